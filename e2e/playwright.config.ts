/**
 * Browser journeys against the real portal (`npm run test:e2e`).
 *
 * - The portal is started by the global setup (fixtures/server.ts) on
 *   127.0.0.1:3217 (E2E_PORT) with a fresh SQLite database, or on PostgreSQL
 *   with `E2E_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test npm run test:e2e`
 *   (a throwaway schema in that database).
 * - Run through npm (or npx) so node_modules/.bin is first on PATH: the runner
 *   then uses the pinned Node 24, which the fixtures need (they import bff/
 *   modules that use node:sqlite).
 * - Browser: Playwright's own Chromium when one is installed; otherwise the
 *   system Chromium at PLAYWRIGHT_CHROMIUM_PATH or /usr/bin/chromium (Playwright
 *   cannot download browsers on this machine).
 * - E2E_SCREENSHOT_DIR=/tmp/shots saves the sign-in and consent screens there;
 *   E2E_SERVER_LOG=1 echoes the portal's output.
 */
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, defineConfig } from '@playwright/test';
import { PORTAL_URL } from './fixtures/env.ts';

if (Number(process.versions.node.split('.')[0]) < 24) {
  // The fixtures import bff/ modules that need Node 24 (node:sqlite, type stripping).
  throw new Error(`the e2e runner needs the pinned Node 24, not ${process.version}: run it with \`npm run test:e2e\``);
}

function systemChromium(): string | undefined {
  let managed = '';
  try {
    managed = chromium.executablePath();
  } catch {
    // no Playwright-managed browser registered
  }
  if (managed && existsSync(managed)) return undefined;
  const path = process.env.PLAYWRIGHT_CHROMIUM_PATH ?? '/usr/bin/chromium';
  if (!existsSync(path)) {
    throw new Error(`no Chromium: install one (apt-get install chromium) or set PLAYWRIGHT_CHROMIUM_PATH (looked at ${path})`);
  }
  return path;
}

export default defineConfig({
  testDir: './tests',
  outputDir: join(tmpdir(), 'portal-e2e-results'),
  globalSetup: './fixtures/server.ts',
  fullyParallel: false,
  forbidOnly: Boolean(process.env.CI),
  retries: 0,
  workers: 2,
  reporter: 'list',
  // Limits that catch a hang, not a speed check (figures belong in `npm run bench`). On CI's 2 cores,
  // after the node suites, every journey runs about three times slower than on a quiet machine (the
  // admin and device journeys took 26–32 s there, against 3–7 s alone): 30 s failed them at random.
  timeout: 90_000,
  expect: { timeout: 20_000 },
  use: {
    baseURL: PORTAL_URL,
    headless: true,
    trace: 'retain-on-failure',
    launchOptions: {
      executablePath: systemChromium(),
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--disable-quic',
        '--no-first-run',
      ],
    },
  },
  // setup.spec.ts needs the first-run state (no admin yet) and impersonation.spec.ts seeds admins: first run goes first.
  projects: [
    { name: 'first-run', testMatch: /setup\.spec\.ts$/, use: { browserName: 'chromium' } },
    { name: 'chromium', testIgnore: /setup\.spec\.ts$/, dependencies: ['first-run'], use: { browserName: 'chromium' } },
  ],
});
