/**
 * The sign-in and consent screens cannot be framed by another origin
 * (CSP frame-ancestors 'none', X-Frame-Options DENY), so a site cannot overlay
 * them and trick a person into clicking Allow.
 */
import type { Page } from '@playwright/test';
import { PORTAL_URL } from '../fixtures/env.ts';
import type { Partner } from '../fixtures/partner.ts';
import { expect, signInViaApi, test } from '../fixtures/test.ts';

function expectNoFraming(headers: Record<string, string>, url: string): void {
  expect(headers['content-security-policy'], `CSP on ${url}`).toMatch(/(^|;)\s*frame-ancestors 'none'\s*(;|$)/);
  expect(headers['x-frame-options'], `X-Frame-Options on ${url}`).toBe('DENY');
}

/**
 * Opens `target` inside an iframe on the partner's origin and reports what the
 * frame ended up showing, and what the browser said about it.
 */
async function frameFromOtherOrigin(page: Page, partner: Partner, target: string) {
  const console: string[] = [];
  page.on('console', (m) => console.push(m.text()));
  await page.goto(partner.frameUrl(target));
  await expect(page.getByRole('heading', { name: 'Another site' })).toBeVisible();
  const frame = page.frames().find((f) => f !== page.mainFrame())!;
  // The load settles either way: with the target, or with Chromium's error page.
  await frame.waitForLoadState('load');
  const body = await frame
    .locator('body')
    .innerText({ timeout: 5000 })
    .catch(() => '');
  return { frameUrl: frame.url(), body, console };
}

test('the SPA pages carry the anti-framing headers', async ({ page }) => {
  for (const path of ['/', '/account', '/setup', '/admin/clients']) {
    const res = await page.request.get(path);
    expect(res.status()).toBe(200);
    expect(res.headers()['content-type']).toMatch(/^text\/html/);
    expectNoFraming(res.headers(), path);
  }
  // The interaction page itself, as the browser received it.
  const res = await page.goto('/bff/login');
  await expect(page).toHaveURL(/\/interaction\/[^/]+$/);
  expectNoFraming(await res!.allHeaders(), page.url());
  const csp = (await res!.allHeaders())['content-security-policy']!;
  expect(csp).toMatch(/script-src 'self'/);
  expect(csp).not.toMatch(/unsafe-inline|unsafe-eval/);
});

test('the sign-in screen cannot be framed by another origin', async ({ page, context, partner }) => {
  // A live sign-in interaction, opened the normal way.
  const top = await context.newPage();
  await top.goto('/bff/login');
  await expect(top.getByRole('heading', { name: 'Sign in' })).toBeVisible();
  const interaction = top.url();
  expect(interaction).toMatch(/\/interaction\/[^/]+$/);

  // Control: the framing page does show a frame that allows it (the partner's own page).
  const control = await frameFromOtherOrigin(await context.newPage(), partner, `${partner.origin}/cb?hello=world`);
  expect(control.frameUrl).toBe(`${partner.origin}/cb?hello=world`);
  expect(control.body).toContain('Partner callback');

  const framed = await frameFromOtherOrigin(page, partner, interaction);
  expect(framed.frameUrl.startsWith(PORTAL_URL), `the frame stayed off the portal (it is at ${framed.frameUrl})`).toBe(false);
  expect(framed.body).not.toContain('Sign in');
  await expect(page.frameLocator('iframe').getByLabel('Password')).toHaveCount(0);
  expect(framed.console.join('\n')).toMatch(/frame-ancestors 'none'/);

  // The interaction is untouched: the real tab still signs in.
  await expect(top.getByRole('button', { name: 'Sign in', exact: true })).toBeEnabled();
});

test('the consent screen cannot be framed by another origin', async ({ page, context, partner, seedUser, seedPartnerApp }) => {
  const user = await seedUser();
  const app = await seedPartnerApp();
  await signInViaApi(context, user);

  const top = await context.newPage();
  await top.goto(partner.startUrl(app.clientId, 'openid profile'));
  await top.getByRole('link', { name: 'Sign in with Portal' }).click();
  await expect(top.getByRole('heading', { name: `${app.name} wants to access your Portal account` })).toBeVisible();
  const consent = top.url();

  const framed = await frameFromOtherOrigin(page, partner, consent);
  expect(framed.frameUrl.startsWith(PORTAL_URL), `the frame stayed off the portal (it is at ${framed.frameUrl})`).toBe(false);
  expect(framed.body).not.toContain(app.name);
  await expect(page.frameLocator('iframe').getByRole('button', { name: 'Allow' })).toHaveCount(0);
  expect(framed.console.join('\n')).toMatch(/frame-ancestors 'none'/);
});
