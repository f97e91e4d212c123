import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vitest/config';

/**
 * Web (SPA) tests only. The BFF has its own runner (`node --test`) and the
 * end-to-end suite runs under Playwright, so neither folder is collected here.
 */
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  plugins: [react()],
  test: {
    environment: 'jsdom',
    include: ['web/**/*.test.{ts,tsx}'],
    exclude: ['bff/**', 'e2e/**', 'node_modules/**', 'dist/**'],
    setupFiles: ['web/test/setup.ts'],
    restoreMocks: true,
  },
});
