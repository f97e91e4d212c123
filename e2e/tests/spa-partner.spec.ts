/**
 * A browser partner (issue 15): a single-page app on another origin using
 * oidc-client-ts, in Chromium. Sign-in with PKCE (a public client), userinfo
 * across origins (CORS, preflight with Authorization), renewal with the
 * refresh token at the token endpoint, and RP-initiated sign-out back to the
 * app's registered post-logout redirect URI.
 */
import { registerClient } from '../../bff/oauth/clients.ts';
import { ISSUER } from '../fixtures/env.ts';
import { startSpaPartner, type SpaPartner } from '../fixtures/spa-partner.ts';
import { expect, test } from '../fixtures/test.ts';

let spa: SpaPartner;
test.beforeAll(async () => {
  spa = await startSpaPartner();
});
test.afterAll(() => spa.close());

test('sign-in, userinfo, renewal and sign-out of a partner SPA on another origin', async ({ page, store, seedUser }) => {
  // The whole journey is one test on a shared, busy machine: a budget, not a timed assertion.
  test.setTimeout(120_000);
  const user = await seedUser();
  const name = `Spa Partner ${Date.now()}`;
  const { client } = await registerClient(
    store,
    { name, redirectUris: [spa.redirectUri], postLogoutRedirectUris: [spa.postLogoutRedirectUri], isPublic: true, scopes: ['openid', 'email', 'profile'] },
    Date.now(),
  );
  const failed: string[] = [];
  page.on('requestfailed', (r) => failed.push(`${r.method()} ${r.url()} ${r.failure()?.errorText}`));
  const tokenCalls: string[] = [];
  page.on('request', (r) => {
    if (r.url() === `${ISSUER}/token` && r.method() === 'POST') tokenCalls.push(new URLSearchParams(r.postData() ?? '').get('grant_type') ?? '');
  });

  await page.goto(spa.startUrl(client.clientId));
  await expect(page.getByRole('status')).toHaveText('Ready');
  await page.getByRole('button', { name: 'Sign in with Portal' }).click();

  await expect(page.getByText(`to continue to ${name}`)).toBeVisible();
  await page.getByLabel('Email', { exact: true }).fill(user.email);
  await page.getByLabel('Password', { exact: true }).fill(user.password);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await expect(page.getByRole('heading', { name: `${name} wants to access your Portal account` })).toBeVisible();
  await page.getByRole('button', { name: 'Allow' }).click();

  // Back at the app: the library redeemed the code (PKCE, no secret) and read userinfo.
  await expect(page.getByRole('status')).toHaveText('Signed in');
  expect(new URL(page.url()).origin).toBe(spa.origin);
  await expect(page.getByText(`Signed in as ${user.email}`)).toBeVisible();
  await expect(page.locator('#has-refresh')).toHaveText('yes');
  await page.getByRole('button', { name: 'Load profile' }).click();
  await expect(page.locator('#userinfo')).toHaveText(`200 ${user.email}`);

  const first = await page.locator('#token').textContent();
  await page.getByRole('button', { name: 'Renew' }).click();
  await expect(page.getByRole('status')).toHaveText('Renewed');
  await expect(page.locator('#token')).not.toHaveText(first!);
  expect(tokenCalls).toEqual(['authorization_code', 'refresh_token']);
  await page.getByRole('button', { name: 'Load profile' }).click();
  await expect(page.locator('#userinfo')).toHaveText(`200 ${user.email}`);

  await page.getByRole('button', { name: 'Sign out', exact: true }).click();
  await expect(page.getByRole('heading', { name: `Sign out of ${name}?` })).toBeVisible();
  await page.getByRole('button', { name: 'Yes, sign me out' }).click();
  await expect(page.getByRole('status')).toHaveText('Signed out of the partner');
  expect(page.url().startsWith(spa.postLogoutRedirectUri)).toBe(true);
  await expect(page.getByText('Not signed in')).toBeVisible();
  expect(failed).toEqual([]);
});

test('a page on an origin no app registered cannot call userinfo: the preflight gets no CORS answer', async ({ page, store }) => {
  // The same app served from a fresh origin, whose client is registered for another origin only.
  const stranger = await startSpaPartner();
  try {
    const { client } = await registerClient(store, { name: 'Elsewhere', redirectUris: ['https://elsewhere.example/cb'], isPublic: true }, Date.now());
    await page.goto(stranger.startUrl(client.clientId));
    await expect(page.getByRole('status')).toHaveText('Ready');
    const call = (url: string) =>
      page.evaluate(async (u) => {
        try {
          return String((await fetch(u, { headers: { authorization: 'Bearer x' } })).status);
        } catch {
          return 'blocked';
        }
      }, url);
    expect(await call(`${ISSUER}/userinfo`)).toBe('blocked');
    // From a registered app's own origin the same call is answered (401: the token is not real).
    await registerClient(store, { name: 'Spa here', redirectUris: [spa.redirectUri], isPublic: true }, Date.now());
    await page.goto(spa.origin);
    expect(await call(`${ISSUER}/userinfo`)).toBe('401');
  } finally {
    await stranger.close();
  }
});
