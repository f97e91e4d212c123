/**
 * `npm start` builds the SPA when dist/web is missing or older than its
 * sources, so a fresh clone runs from two commands.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';

function newestMtime(path: string): number {
  if (!existsSync(path)) return 0;
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  let max = 0;
  for (const e of readdirSync(path)) {
    if (e === 'node_modules' || e.endsWith('.test.tsx') || e.endsWith('.test.ts')) continue;
    max = Math.max(max, newestMtime(join(path, e)));
  }
  return max;
}

export function spaIsStale(root = process.cwd()): boolean {
  const index = resolve(root, 'dist/web/index.html');
  if (!existsSync(resolve(root, 'web'))) return false; // a deployment that ships only dist/
  if (!existsSync(index)) return true;
  const built = statSync(index).mtimeMs;
  return Math.max(newestMtime(resolve(root, 'web')), newestMtime(resolve(root, 'vite.config.ts'))) > built;
}

export function buildSpa(root = process.cwd()): void {
  const vite = resolve(root, 'node_modules/.bin/vite');
  const r = spawnSync(vite, ['build', '--logLevel', 'warn'], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) throw new Error('building the web app failed (see the output above)');
}
