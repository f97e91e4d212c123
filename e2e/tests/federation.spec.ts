/**
 * "Continue with <provider>" in a real browser, through a REAL upstream
 * OpenID Provider (a second oidc-provider on its own loopback port, with its
 * own login page and users): the first sign-in creates the user, an
 * organization's email domain routes straight to its provider, and a provider
 * that is down or an unverified email end on a clear screen with a way back.
 * (Tampered state, wrong nonce and expired ID tokens: bff/federation/federation.test.ts.)
 */
import type { Page } from '@playwright/test';
import { PORTAL_URL } from '../fixtures/env.ts';
import { expect, screenshot, test } from '../fixtures/federation.ts';
import type { Store } from '../../bff/store/store.ts';
import type { UpstreamOp } from '../../bff/testing/upstream-op.ts';

const ALICE = { email: 'alice@acme.test', password: 'alice-upstream-pw', name: 'Alice Upstream' };
const UMA = { email: 'uma@acme.test', password: 'uma-upstream-pw' };

/** From the home page to the portal's sign-in screen; returns the interaction's address. */
async function openSignIn(page: Page): Promise<string> {
  await page.goto('/');
  await page.getByRole('link', { name: 'Sign in' }).click();
  await expect(page).toHaveURL(/\/interaction\/[^/]+$/);
  await expect(page.getByRole('heading', { name: 'Sign in' })).toBeVisible();
  return page.url();
}

async function expectUpstreamLogin(page: Page, upstream: UpstreamOp): Promise<void> {
  await expect(page).toHaveURL((u) => u.origin === upstream.issuer && u.pathname.startsWith('/interaction/'));
  await expect(page.getByRole('heading', { name: 'Upstream IdP: sign in' })).toBeVisible();
}

async function signInUpstream(page: Page, email: string, password: string): Promise<void> {
  await page.getByLabel('Email', { exact: true }).fill(email);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
}

/** The `federation_failed` audit entries for this connection (failures are audited, not only shown). */
async function failuresAudited(store: Store, connectionId: string): Promise<unknown[]> {
  const entries = await store.audit.list({ kind: 'federation_failed', limit: 200 });
  return entries.filter((e) => e.data.connection === connectionId).map((e) => e.data.reason);
}

async function expectAccount(page: Page, email: string, name?: string): Promise<void> {
  await expect(page).toHaveURL(`${PORTAL_URL}/account`);
  const details = page.getByRole('region', { name: 'Your details' });
  await expect(details.getByRole('definition').filter({ hasText: email })).toHaveText(email);
  if (name) await expect(details.getByRole('definition').filter({ hasText: name })).toHaveText(name);
}

test('continue with the provider, sign in there, land signed in; the first sign-in creates the user', async ({ page, store, upstream, createConnection }) => {
  const connection = await createConnection({ name: 'Upstream' });
  expect(await store.users.findByEmail(ALICE.email), 'alice must not exist before her first sign-in').toBeNull();

  await openSignIn(page);
  await page.getByRole('button', { name: 'Continue with Upstream' }).click();
  await expectUpstreamLogin(page, upstream);
  await signInUpstream(page, ALICE.email, ALICE.password);

  await expectAccount(page, ALICE.email, ALICE.name);
  expect(await (await page.request.get('/bff/session')).json()).toMatchObject({ authenticated: true, user: { email: ALICE.email }, impersonation: null });
  // Just in time: created by this sign-in, with the provider's name, and no password of its own.
  const alice = await store.users.findByEmail(ALICE.email);
  expect(alice).toMatchObject({ email: ALICE.email, name: ALICE.name, role: 'user', disabled: false, passwordHash: null });
  // Created once, by this connection's sign-in (and audited so): no clock needed to say so.
  const created = await store.audit.list({ kind: 'user_created', subjectId: alice!.id });
  expect(created.map((e) => e.data)).toEqual([{ via: 'federation', connection: connection.id }]);

  // The session survives a reload like any other.
  await page.reload();
  await expectAccount(page, ALICE.email);
});

test('an email at an organization’s domain goes straight to its provider', async ({ page, store, upstream, createConnection, createOrg }) => {
  const org = await createOrg('Acme');
  const connection = await createConnection({ name: 'Acme SSO', org: org.id, domains: ['acme.test'] });
  expect(connection).toMatchObject({ kind: 'sso', orgId: org.id, domains: ['acme.test'] });
  const dana = upstream.extra;

  const signIn = await openSignIn(page);
  const email = page.getByLabel('Email', { exact: true });
  const discovered = () => page.waitForResponse((r) => /\/bff\/interaction\/[^/]+\/discover$/.test(r.url()) && r.request().method() === 'POST');

  // Another domain: discovery finds nothing and the password form stays.
  const answer = discovered();
  await email.fill('someone@example.com');
  await email.press('Tab');
  expect(await (await answer).json()).toEqual({ connection: null });
  expect(page.url()).toBe(signIn);
  await expect(page.getByLabel('Password', { exact: true })).toBeVisible();

  // The organization's domain: leaving the field is enough (no password typed).
  // (The browser leaves at once, so the discovery answer's body cannot be read here; where it lands says enough.)
  await email.fill(dana.email);
  await email.press('Tab');
  await expectUpstreamLogin(page, upstream);
  // The email went along as login_hint.
  await expect(page.getByLabel('Email', { exact: true })).toHaveValue(dana.email);
  await page.getByLabel('Password', { exact: true }).fill(dana.password);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();

  await expectAccount(page, dana.email, dana.name);
  const user = await store.users.findByEmail(dana.email);
  expect(user).not.toBeNull();
  // An organization connection makes its users members of the organization.
  expect(await store.orgs.findMembership(user!.id, org.id)).toMatchObject({ userId: user!.id, organizationId: org.id });
});

test('provider down: a clear screen, and a way back to the sign-in that still works', async ({ page, store, upstream, createConnection, seedUser }) => {
  const connection = await createConnection({ name: 'Upstream' });
  await upstream.close();
  const user = await seedUser();

  const signIn = await openSignIn(page);
  const uid = new URL(signIn).pathname.split('/')[2]!;
  await page.getByRole('button', { name: 'Continue with Upstream' }).click();

  await expect(page).toHaveURL((u) => u.origin === PORTAL_URL && u.pathname === '/federation/error');
  const params = new URL(page.url()).searchParams;
  expect(params.get('reason')).toBe('provider_unavailable');
  expect(params.get('uid')).toBe(uid);
  await expect(page.getByRole('heading', { name: 'The sign-in provider is not responding', level: 1 })).toBeVisible();
  await expect(page.getByText('The portal could not reach the provider you chose.')).toBeVisible();
  expect(await (await page.request.get('/bff/session')).json()).toEqual({ authenticated: false });
  await screenshot(page, 'federation-error');
  expect(await failuresAudited(store, connection.id)).toEqual(['provider_unavailable']);

  await page.getByRole('link', { name: 'Back to sign-in' }).click();
  await expect(page).toHaveURL(signIn);
  await expect(page.getByRole('heading', { name: 'Sign in' })).toBeVisible();
  await page.getByLabel('Email', { exact: true }).fill(user.email);
  await page.getByLabel('Password', { exact: true }).fill(user.password);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await expectAccount(page, user.email);
});

test('an email the provider has not verified is refused, and no account is created', async ({ page, store, upstream, createConnection }) => {
  const connection = await createConnection({ name: 'Upstream' });
  expect(await store.users.findByEmail(UMA.email)).toBeNull();

  const signIn = await openSignIn(page);
  await page.getByRole('button', { name: 'Continue with Upstream' }).click();
  await expectUpstreamLogin(page, upstream);
  await signInUpstream(page, UMA.email, UMA.password);

  await expect(page).toHaveURL((u) => u.origin === PORTAL_URL && u.pathname === '/federation/error');
  expect(new URL(page.url()).searchParams.get('reason')).toBe('email_unverified');
  await expect(page.getByRole('heading', { name: 'Your email address is not verified', level: 1 })).toBeVisible();
  await expect(page.getByText('Verify your email address with the provider, then try again.', { exact: false })).toBeVisible();
  expect(await (await page.request.get('/bff/session')).json()).toEqual({ authenticated: false });
  expect(await store.users.findByEmail(UMA.email)).toBeNull();
  expect(await failuresAudited(store, connection.id)).toEqual(['email_unverified']);

  await page.getByRole('link', { name: 'Back to sign-in' }).click();
  await expect(page).toHaveURL(signIn);
  await expect(page.getByRole('heading', { name: 'Sign in' })).toBeVisible();
});
