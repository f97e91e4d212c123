/**
 * `npm run dev`: the BFF on PORT (default 3000) and Vite with hot reload on
 * 5173, which serves the SPA and forwards /bff, /oauth and the compatibility
 * APIs to the BFF. Open http://localhost:5173 (PUBLIC_URL is set to it, so
 * cookies, redirects and the same-origin checks all see one origin).
 */
import { spawn } from 'node:child_process';
import { createServer } from 'vite';

const VITE_PORT = 5173;
const bffPort = process.env.PORT ?? '3000';
const publicUrl = `http://localhost:${VITE_PORT}`;

const bff = spawn(process.execPath, ['--watch-path=bff', 'bff/main.ts', '--no-build'], {
  stdio: 'inherit',
  env: { ...process.env, PORT: bffPort, PUBLIC_URL: process.env.PUBLIC_URL ?? publicUrl },
});

// vite.config.ts forwards to this address.
process.env.PORTAL_BFF_URL ??= `http://127.0.0.1:${bffPort}`;
const vite = await createServer({
  configFile: new URL('../vite.config.ts', import.meta.url).pathname,
  server: { port: VITE_PORT, strictPort: true, host: 'localhost' },
});
await vite.listen();
vite.printUrls();
process.stdout.write(`  BFF on http://127.0.0.1:${bffPort} (PUBLIC_URL ${process.env.PUBLIC_URL ?? publicUrl})\n`);

const stop = async () => {
  bff.kill('SIGTERM');
  await vite.close();
  process.exit(0);
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
bff.on('exit', (code) => {
  if (code !== null && code !== 0) process.stderr.write(`the BFF exited with code ${code}\n`);
});
