/**
 * What a cold visit to the sign-in page costs: the JavaScript it downloads
 * (compressed, and without any admin or account screen), printed with the
 * largest-paint time. Times are printed for the README, never asserted.
 */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../fixtures/env.ts';
import { expect, test } from '../fixtures/test.ts';

/**
 * Gzip kilobytes of JavaScript the sign-in page may load: the 60. The
 * SPA ships Preact through preact/compat instead of React DOM (about 58 KB gzip
 * on its own), see docs/decisions/0011-preact-for-the-spa.md.
 */
const SIGN_IN_JS_BUDGET_KB = 60;

/** Screens that must never be part of the sign-in page's download. */
const ON_DEMAND = /\/assets\/(account-page|setup-page|admin-[a-z-]+-page|federation-error-page)-/;

test('the sign-in page loads only its own JavaScript, compressed, within budget', async ({ browser }) => {
  const context = await browser.newContext(); // a fresh context: nothing cached
  const page = await context.newPage();
  const scripts: { url: string; encoding: string | undefined; wire: number }[] = [];
  const settled: Promise<void>[] = [];
  let requests = 0;
  page.on('response', (response) => {
    requests += 1;
    if (response.request().resourceType() !== 'script') return;
    settled.push(
      response
        .request()
        .sizes()
        .then((sizes) => {
          scripts.push({ url: response.url(), encoding: response.headers()['content-encoding'], wire: sizes.responseBodySize });
        }),
    );
  });

  await page.goto('/bff/login');
  await expect(page).toHaveURL(/\/interaction\/[^/]+$/);
  await expect(page.getByRole('heading', { name: 'Sign in' })).toBeVisible();
  await page.waitForLoadState('networkidle');
  await Promise.all(settled);

  // Largest paint as the browser reports it (from the start of /bff/login), and how much of it
  // was the redirects through /oauth and the server's answer before the SPA's HTML arrived.
  const paint = await page.evaluate(
    () =>
      new Promise<{ lcp: number; document: number; scripts: number; api: number; awaited: string[] }>((resolve) => {
        new PerformanceObserver((list) => {
          const entries = list.getEntries();
          const navigation = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming;
          const resources = performance.getEntriesByType('resource') as PerformanceResourceTiming[];
          const last = (match: (r: PerformanceResourceTiming) => boolean) => Math.max(0, ...resources.filter(match).map((r) => r.responseEnd));
          const lcp = entries[entries.length - 1]!.startTime;
          resolve({
            lcp,
            document: navigation.responseEnd,
            scripts: last((r) => r.initiatorType === 'script' || r.initiatorType === 'link'),
            api: last((r) => r.initiatorType === 'fetch'),
            // The BFF calls answered before the paint: a round trip after the scripts when the form waits for one.
            awaited: resources.filter((r) => r.initiatorType === 'fetch' && r.responseEnd <= lcp).map((r) => new URL(r.name).pathname),
          });
        }).observe({ type: 'largest-contentful-paint', buffered: true });
      }),
  );

  expect(scripts.length).toBeGreaterThan(0);
  expect(scripts.filter((s) => ON_DEMAND.test(s.url)).map((s) => s.url)).toEqual([]);
  expect(scripts.filter((s) => s.encoding !== 'br').map((s) => s.url)).toEqual([]);

  // The gzip weight of exactly these files, from the build's own .gz copies.
  const gzipBytes = scripts.reduce((sum, s) => sum + statSync(join(ROOT, 'dist/web', `${new URL(s.url).pathname}.gz`)).size, 0);
  const brBytes = scripts.reduce((sum, s) => sum + s.wire, 0);
  const kb = (bytes: number) => (bytes / 1024).toFixed(1);
  console.log(
    `sign-in page: ${scripts.length} scripts, JavaScript ${kb(gzipBytes)} KB gzip (${kb(brBytes)} KB brotli on the wire), ${requests} requests, largest paint ${Math.round(paint.lcp)} ms (HTML in at ${Math.round(paint.document)} ms after the redirects, scripts and CSS at ${Math.round(paint.scripts)} ms, the BFF's answers at ${Math.round(paint.api)} ms; before the paint: ${paint.awaited.join(', ') || 'no BFF call'})`,
  );
  expect(gzipBytes / 1024).toBeLessThanOrEqual(SIGN_IN_JS_BUDGET_KB);
  await context.close();
});
