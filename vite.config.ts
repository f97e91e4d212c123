import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';
import type { Plugin, ProxyOptions } from 'vite';

const bffUrl = process.env.PORTAL_BFF_URL ?? 'http://127.0.0.1:3000';

/** Paths the BFF answers; in dev, Vite serves the SPA and forwards these. */
const proxied = ['/bff', '/oauth', '/healthz', '/user_management', '/sso', '/admin/login'];

const proxy: Record<string, ProxyOptions> = Object.fromEntries(proxied.map((path) => [path, { target: bffUrl, changeOrigin: false }]));
proxy['/Zenith'] = { target: bffUrl, changeOrigin: false, ws: true };

/**
 * The SPA is written against React's API but ships Preact through
 * preact/compat (docs/decisions/0011-preact-for-the-spa.md): React DOM alone
 * is about 58 KB gzip, the sign-in page's whole budget is 60. Exact matches
 * only, so `react-router` and `@tanstack/react-query` resolve as themselves
 * (and then import `react`, which lands here).
 */
export const PREACT_ALIASES = [
  { find: /^react$/, replacement: 'preact/compat' },
  { find: /^react-dom$/, replacement: 'preact/compat' },
  { find: /^react-dom\/client$/, replacement: 'preact/compat/client' },
  { find: /^react\/jsx-runtime$/, replacement: 'preact/compat/jsx-runtime' },
  { find: /^react\/jsx-dev-runtime$/, replacement: 'preact/compat/jsx-dev-runtime' },
];

/** Kept in step with COMPRESSIBLE in bff/http/spa.ts, which serves these copies. */
const COMPRESSIBLE = /\.(js|css|html|svg|json)$/;

/**
 * Writes a `.br` and a `.gz` copy next to every text file of the build, at the
 * highest levels (done once here, never per request), so the BFF only picks a
 * file. A copy that would not be smaller is not written.
 */
function precompress(): Plugin {
  return {
    name: 'portal-precompress',
    apply: 'build',
    writeBundle(options) {
      const dir = options.dir;
      if (!dir) return;
      for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
        if (!entry.isFile() || !COMPRESSIBLE.test(entry.name)) continue;
        const file = join(entry.parentPath, entry.name);
        const raw = readFileSync(file);
        const br = brotliCompressSync(raw, { params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: raw.length } });
        const gz = gzipSync(raw, { level: 9 });
        if (br.length < raw.length) writeFileSync(`${file}.br`, br);
        if (gz.length < raw.length) writeFileSync(`${file}.gz`, gz);
      }
    },
  };
}

export default defineConfig({
  root: fileURLToPath(new URL('./web', import.meta.url)),
  base: '/',
  // No Fast Refresh: it patches React's reconciler, which preact/compat does not have;
  // an edited component reloads the page instead.
  plugins: [react({ refreshExclude: [/./] }), precompress()],
  resolve: { alias: PREACT_ALIASES },
  build: {
    outDir: fileURLToPath(new URL('./dist/web', import.meta.url)),
    emptyOutDir: true,
    rolldownOptions: {
      onwarn(warning, warn) {
        // React Router probes for React 19's useOptimistic and falls back when it
        // is absent (as in preact/compat): expected, not worth a warning per build.
        if (warning.code === 'IMPORT_IS_UNDEFINED' && warning.message.includes('useOptimistic')) return;
        warn(warning);
      },
    },
  },
  server: {
    proxy,
  },
});
