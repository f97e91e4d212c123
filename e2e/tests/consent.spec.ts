/**
 * The consent screen, reached the way a person reaches it: from a partner
 * app's page on another origin, to the portal's /oauth/authorize, and back to
 * the partner's redirect URI. The partner's back channel (the code exchange)
 * is done by the test with fetch.
 */
import type { Page } from '@playwright/test';
import { callbackParams, exchangeCode, scopesOf, tokenRequest } from '../fixtures/oauth.ts';
import type { Partner } from '../fixtures/partner.ts';
import { ISSUER, PORTAL_URL } from '../fixtures/env.ts';
import { expect, screenshot, signInViaApi, test, type SeededApp } from '../fixtures/test.ts';

/** From the partner's start page to the portal; resolves once the browser has left the partner. */
async function startAtPartner(page: Page, partner: Partner, app: SeededApp, scope: string): Promise<void> {
  await page.goto(partner.startUrl(app.clientId, scope));
  await page.getByRole('link', { name: 'Sign in with Portal' }).click();
}

async function expectConsentScreen(page: Page, app: SeededApp): Promise<void> {
  await expect(page).toHaveURL(/\/interaction\/[^/]+$/);
  await expect(page.getByRole('heading', { name: `${app.name} wants to access your Portal account` })).toBeVisible();
}

async function expectBackAtPartner(page: Page, partner: Partner): Promise<Record<string, string>> {
  await expect(page).toHaveURL((u) => u.href.startsWith(partner.redirectUri));
  await expect(page.getByRole('heading', { name: 'Partner callback' })).toBeVisible();
  return callbackParams(page);
}

test('allow: the partner receives a code and redeems it for the scopes it asked for', async ({ page, context, partner, seedUser, seedPartnerApp }) => {
  const user = await seedUser();
  const app = await seedPartnerApp();
  await signInViaApi(context, user);

  await startAtPartner(page, partner, app, 'openid profile email');
  await expectConsentScreen(page, app);
  await expect(page.getByText(`Signed in as ${user.email}`)).toBeVisible();
  const asked = page.getByRole('group', { name: `${app.name} is asking to:` });
  await expect(asked.getByRole('checkbox')).toHaveCount(3);
  await screenshot(page, 'consent');
  await page.getByRole('button', { name: 'Allow' }).click();

  const cb = await expectBackAtPartner(page, partner);
  expect(cb.code).toBeTruthy();
  expect(cb.error).toBeUndefined();
  expect(cb.iss).toBe(ISSUER);
  expect(cb.state).toBeTruthy();
  const tokens = await exchangeCode(app, partner, cb);
  expect(scopesOf(tokens)).toEqual(['email', 'openid', 'profile']);
  expect(tokens.token_type).toBe('Bearer');
  expect(tokens.id_token).toBeTruthy();
});

test('a signed-out user signs in on the way, then consents, in one trip from the partner', async ({ page, partner, seedUser, seedPartnerApp }) => {
  const user = await seedUser();
  const app = await seedPartnerApp();

  await startAtPartner(page, partner, app, 'openid email');
  await expect(page.getByRole('heading', { name: 'Sign in' })).toBeVisible();
  await expect(page.getByText(`to continue to ${app.name}`)).toBeVisible();
  await page.getByLabel('Email', { exact: true }).fill(user.email);
  await page.getByLabel('Password', { exact: true }).fill(user.password);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();

  await expectConsentScreen(page, app);
  await expect(page.getByText(`Signed in as ${user.email}`)).toBeVisible();
  await page.getByRole('button', { name: 'Allow' }).click();
  const cb = await expectBackAtPartner(page, partner);
  const tokens = await exchangeCode(app, partner, cb);
  expect(scopesOf(tokens)).toEqual(['email', 'openid']);
  const idClaims = JSON.parse(Buffer.from(tokens.id_token!.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;
  expect(idClaims.email).toBe(user.email);
});

test('deny: the partner receives error=access_denied and no code', async ({ page, context, partner, seedUser, seedPartnerApp }) => {
  const user = await seedUser();
  const app = await seedPartnerApp();
  await signInViaApi(context, user);

  await startAtPartner(page, partner, app, 'openid profile');
  await expectConsentScreen(page, app);
  await page.getByRole('button', { name: 'Deny' }).click();

  const cb = await expectBackAtPartner(page, partner);
  expect(cb.error).toBe('access_denied');
  expect(cb.code).toBeUndefined();
  expect(cb.state).toBeTruthy();
  expect(cb.iss).toBe(ISSUER);

  // Nothing was granted: the account lists no connected app.
  await page.goto('/account');
  await expect(page.getByRole('region', { name: 'Connected apps' })).toContainText('No apps can access your account.');
});

test('unticking a scope: the tokens hold only the scopes the user allowed', async ({ page, context, partner, seedUser, seedPartnerApp }) => {
  const user = await seedUser();
  const app = await seedPartnerApp();
  await signInViaApi(context, user);

  await startAtPartner(page, partner, app, 'openid profile email');
  await expectConsentScreen(page, app);
  const openid = page.getByRole('checkbox', { name: /Confirm who you are/ });
  await expect(openid).toBeChecked();
  await expect(openid).toBeDisabled();
  const email = page.getByRole('checkbox', { name: /See your email address/ });
  await expect(email).toBeChecked();
  await email.uncheck();
  await expect(email).not.toBeChecked();
  await page.getByRole('button', { name: 'Allow' }).click();

  const cb = await expectBackAtPartner(page, partner);
  const tokens = await exchangeCode(app, partner, cb);
  expect(scopesOf(tokens)).toEqual(['openid', 'profile']);
  const idClaims = JSON.parse(Buffer.from(tokens.id_token!.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;
  expect(idClaims.email).toBeUndefined();

  // The account screen lists what was allowed, and only that.
  await page.goto('/account');
  const apps = page.getByRole('region', { name: 'Connected apps' });
  await expect(apps.getByRole('heading', { name: app.name })).toBeVisible();
  await expect(apps.getByText('See your name')).toBeVisible();
  await expect(apps.getByText('See your email address')).toHaveCount(0);
});

test('a remembered decision skips the screen; asking for more shows only the new scope', async ({ page, context, partner, seedUser, seedPartnerApp }) => {
  const user = await seedUser();
  const app = await seedPartnerApp();
  await signInViaApi(context, user);

  await startAtPartner(page, partner, app, 'openid profile');
  await expectConsentScreen(page, app);
  await page.getByRole('button', { name: 'Allow' }).click();
  await expectBackAtPartner(page, partner);

  // Same scopes again: straight back to the partner, the consent screen never shown.
  const visited: string[] = [];
  page.on('framenavigated', (f) => {
    if (f === page.mainFrame()) visited.push(f.url());
  });
  await startAtPartner(page, partner, app, 'openid profile');
  const cb = await expectBackAtPartner(page, partner);
  expect(visited.filter((u) => u.startsWith(`${PORTAL_URL}/interaction/`))).toEqual([]);
  expect(scopesOf(await exchangeCode(app, partner, cb))).toEqual(['openid', 'profile']);

  // One scope more: the screen asks about email only; profile is listed as already allowed.
  await startAtPartner(page, partner, app, 'openid profile email');
  await expectConsentScreen(page, app);
  const asked = page.getByRole('group', { name: `${app.name} is asking to:` });
  await expect(asked.getByRole('checkbox')).toHaveCount(1);
  await expect(asked.getByRole('checkbox', { name: /See your email address/ })).toBeChecked();
  const already = page.getByRole('region', { name: 'Already allowed' });
  await expect(already).toContainText('See your name');
  await expect(already).toContainText('Confirm who you are');
  await page.getByRole('button', { name: 'Allow' }).click();
  const more = await expectBackAtPartner(page, partner);
  expect(scopesOf(await exchangeCode(app, partner, more))).toEqual(['email', 'openid', 'profile']);
});

test('revoking from the account screen removes the app and stops its tokens', async ({ page, context, partner, seedUser, seedPartnerApp }) => {
  const user = await seedUser();
  const app = await seedPartnerApp();
  const other = await seedPartnerApp();
  await signInViaApi(context, user);

  for (const a of [app, other]) {
    await startAtPartner(page, partner, a, 'openid profile offline_access');
    await expectConsentScreen(page, a);
    await page.getByRole('button', { name: 'Allow' }).click();
    await expectBackAtPartner(page, partner);
  }
  const cb = await (async () => {
    await startAtPartner(page, partner, app, 'openid profile offline_access');
    return expectBackAtPartner(page, partner);
  })();
  const tokens = await exchangeCode(app, partner, cb);
  expect(tokens.refresh_token).toBeTruthy();
  // Control: the refresh token works before the revocation.
  const before = await tokenRequest(app, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token! });
  expect(before.status, JSON.stringify(before.body)).toBe(200);
  const userinfo = (token: unknown) => fetch(`${ISSUER}/userinfo`, { headers: { authorization: `Bearer ${String(token)}` } });
  expect((await userinfo(before.body.access_token)).status).toBe(200);

  await page.goto('/account');
  const apps = page.getByRole('region', { name: 'Connected apps' });
  await expect(apps.getByRole('heading', { name: app.name })).toBeVisible();
  await expect(apps.getByRole('heading', { name: other.name })).toBeVisible();
  await page.getByRole('button', { name: `Revoke access for ${app.name}` }).click();
  await expect(apps.getByRole('heading', { name: app.name })).toHaveCount(0);
  await expect(page.getByRole('button', { name: `Revoke access for ${app.name}` })).toHaveCount(0);
  await expect(apps.getByRole('heading', { name: other.name })).toBeVisible();

  // Still gone after a reload (the server forgot it, not only the screen).
  await page.reload();
  await expect(apps.getByRole('heading', { name: other.name })).toBeVisible();
  await expect(apps.getByRole('heading', { name: app.name })).toHaveCount(0);

  // Its tokens stop working at once.
  const after = await tokenRequest(app, { grant_type: 'refresh_token', refresh_token: String(before.body.refresh_token) });
  expect(after.status).toBe(400);
  expect(after.body.error).toBe('invalid_grant');
  expect((await userinfo(before.body.access_token)).status).toBe(401);

  // And the next authorization asks again.
  await startAtPartner(page, partner, app, 'openid profile');
  await expectConsentScreen(page, app);
});
