/**
 * Use Portal as your BFF (issue 18): a first-party SPA page served from the portal's origin
 * (through an anonymous gateway route) calls a protected API through /api/... in Chromium. The
 * API verifies the JWT against the portal's JWKS, audience and scope; the browser never holds a
 * token (no JWT in any response, cookie or storage), across an access-token expiry. Its own
 * portal (short token lifetimes), on the suite's database kind.
 */
import { expect, test } from '@playwright/test';
import { PORTAL_PORT } from '../fixtures/env.ts';
import { startOwnPortal, type OwnPortal } from '../fixtures/own-portal.ts';
import { openStore } from '../../bff/store/open-store.ts';
import { createAccount } from '../../bff/accounts/accounts.ts';
import { createApiRoute } from '../../bff/gateway/route-table.ts';
import { startUpstreamApi, type UpstreamApi } from '../../bff/testing/upstream-api.ts';

const PORT = PORTAL_PORT + 14;
const RESOURCE = 'https://orders.example';
const USER = { email: 'spa-gateway@example.com', password: 'correct horse gateway staple' };
const JWT = /eyJ[\w-]+\.eyJ[\w-]+\.[\w-]+/;
let portal: OwnPortal;
let api: UpstreamApi;

test.describe.configure({ mode: 'serial' });
test.beforeAll(async () => {
  // Access tokens (the session's and the API's) live 3 seconds: the journey crosses their expiry.
  portal = await startOwnPortal(PORT, `http://127.0.0.1:${PORT}`, { ACCESS_TOKEN_TTL: '3', BFF_REFRESH_MARGIN: '1' });
  api = await startUpstreamApi({ issuer: `${portal.url}/oauth`, audience: RESOURCE, scope: 'orders:read' });
  const store = await openStore(portal.databaseUrl);
  try {
    await store.resources.create({ identifier: RESOURCE, name: 'Orders', scopes: ['orders:read'], createdAt: Date.now() });
    await createApiRoute(store, { path: '/api/orders', upstream: api.url, resource: RESOURCE, scopes: ['orders:read'] }, Date.now());
    await createApiRoute(store, { path: '/api/app', upstream: `${api.url}/app`, anonymous: true }, Date.now());
    await createAccount(store, { ...USER, name: 'Pat Gateway', emailVerified: true }, Date.now());
  } finally {
    await store.close();
  }
});
test.afterAll(async () => {
  await api?.close();
  await portal?.stop();
});

test('an SPA on the portal calls its API through /api with no token in the browser, across an expiry', async ({ page, context }) => {
  test.slow();
  const seen: string[] = [];
  page.on('response', async (res) => {
    seen.push(`${res.url()} ${JSON.stringify(await res.allHeaders())} ${await res.text().catch(() => '')}`);
  });

  await page.goto(`${portal.url}/account`);
  await page.getByLabel('Email').fill(USER.email);
  await page.getByLabel('Password', { exact: true }).fill(USER.password);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await expect(page.getByRole('heading', { name: 'Your account' })).toBeVisible();

  await page.goto(`${portal.url}/api/app/`);
  await expect(page.getByRole('heading', { name: 'Orders' })).toBeVisible();
  const result = page.locator('#result');
  await page.getByRole('button', { name: 'Load my orders' }).click();
  await expect(result).toHaveText(`200 GET ${RESOURCE}`);
  await page.getByRole('button', { name: 'Place an order' }).click();
  await expect(result).toHaveText(`200 POST ${RESOURCE}`);
  const firstToken = api.accepted.at(-1);

  // Past both tokens' lifetime: the portal renews the session and the API token on its own.
  await page.waitForTimeout(3_500);
  await page.getByRole('button', { name: 'Load my orders' }).click();
  await expect(result).toHaveText(`200 GET ${RESOURCE}`);
  expect(api.accepted.at(-1)).not.toBe(firstToken);

  // Nothing the browser received or keeps holds a token.
  expect(seen.length).toBeGreaterThan(5);
  for (const s of seen) expect(s).not.toMatch(JWT);
  for (const c of await context.cookies()) expect(c.value).not.toMatch(JWT);
  const storage = await page.evaluate(() => JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }));
  expect(storage).not.toMatch(JWT);

  // Signed out, the API is answered by the portal itself.
  const signedOut = await page.request.get(`${portal.url}/api/orders/me`, { headers: { cookie: '' } });
  expect(signedOut.status()).toBe(401);
});
