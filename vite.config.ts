import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';
import type { ProxyOptions } from 'vite';

const bffUrl = process.env.PORTAL_BFF_URL ?? 'http://127.0.0.1:3000';

/** Paths the BFF answers; in dev, Vite serves the SPA and forwards these. */
const proxied = ['/bff', '/oauth', '/healthz', '/user_management', '/sso', '/admin/login'];

const proxy: Record<string, ProxyOptions> = Object.fromEntries(
  proxied.map((path) => [path, { target: bffUrl, changeOrigin: false }]),
);
proxy['/Zenith'] = { target: bffUrl, changeOrigin: false, ws: true };

export default defineConfig({
  root: fileURLToPath(new URL('./web', import.meta.url)),
  base: '/',
  plugins: [react()],
  build: {
    outDir: fileURLToPath(new URL('./dist/web', import.meta.url)),
    emptyOutDir: true,
  },
  server: {
    proxy,
  },
});
