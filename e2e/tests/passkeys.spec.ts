/**
 * Passkeys in Chromium with a virtual authenticator (CDP WebAuthn: ctap2,
 * internal transport, resident keys, user verification): register one from the
 * account screen, sign out, sign in with it and no password; remove it and see
 * it refused. Runs on its own portal at http://localhost (a WebAuthn RP ID must
 * be a domain name, never the suite's 127.0.0.1), on the suite's database kind.
 */
import { expect, test, type Page } from '@playwright/test';
import { virtualAuthenticator } from '../fixtures/webauthn.ts';
import { PORTAL_PORT } from '../fixtures/env.ts';
import { startOwnPortal, type OwnPortal } from '../fixtures/own-portal.ts';
import { expectAccessible, expectDialogAccessible } from '../fixtures/a11y.ts';
import { openStore } from '../../bff/store/open-store.ts';
import { createAccount } from '../../bff/accounts/accounts.ts';
import type { Store } from '../../bff/store/store.ts';

const PORT = PORTAL_PORT + 13;
let portal: OwnPortal;
let store: Store;

// One portal on one port: every test of this file in one worker.
test.describe.configure({ mode: 'serial' });
test.beforeAll(async () => {
  portal = await startOwnPortal(PORT, `http://localhost:${PORT}`);
  store = await openStore(portal.databaseUrl);
});
test.afterAll(async () => {
  await store?.close();
  await portal?.stop();
});

/** A browser without passkey autofill (conditional mediation), so only the button can start a passkey sign-in. */
async function withoutAutofill(page: Page): Promise<void> {
  await page.addInitScript(() => {
    PublicKeyCredential.isConditionalMediationAvailable = async () => false;
  });
}

async function signInWithPassword(page: Page, user: { email: string; password: string }): Promise<void> {
  await openSignIn(page);
  await page.getByLabel('Email').fill(user.email);
  await page.getByLabel('Password', { exact: true }).fill(user.password);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await expect(page.getByRole('heading', { name: 'Your account' })).toBeVisible();
}

/** Signs in with the password and adds a passkey named `name` from the account screen. */
async function registerThroughAccount(page: Page, user: { email: string; password: string }, name: string): Promise<void> {
  await signInWithPassword(page, user);
  const card = page.getByRole('region', { name: 'Passkeys' });
  await card.getByLabel('Passkey name').fill(name);
  await card.getByRole('button', { name: 'Add a passkey' }).click();
  await expect(card.getByRole('status').filter({ hasText: `Passkey “${name}” added. You can now sign in with it.` })).toBeFocused();
}

async function seed(): Promise<{ email: string; password: string }> {
  const email = `pk-${Date.now()}-${Math.random().toString(36).slice(2, 8)}@example.com`;
  const password = 'correct horse passkey staple';
  await createAccount(store, { email, password, name: 'Pat Key', emailVerified: true }, Date.now());
  return { email, password };
}

async function openSignIn(page: Page): Promise<void> {
  await page.goto(`${portal.url}/account`);
  await expect(page.getByRole('heading', { name: 'Sign in' })).toBeVisible();
}

async function signOut(page: Page): Promise<void> {
  await page.getByRole('button', { name: 'Sign out', exact: true }).click();
  await expect(page.getByRole('link', { name: 'Sign in' })).toBeVisible();
}

test('register a passkey, sign out, sign in with it and no password; removed, it is refused', async ({ page }) => {
  // Three sign-ins and two axe runs: about 30 s on a loaded shared machine, the default limit.
  test.slow();
  await withoutAutofill(page);
  const { cdp, authenticatorId } = await virtualAuthenticator(page);
  await signInWithPassword(page, await seed());

  const card = page.getByRole('region', { name: 'Passkeys' });
  await expect(card.getByText('You have no passkeys yet.')).toBeVisible();
  await card.getByRole('button', { name: 'Add a passkey' }).click();
  await expect(card.getByText('Give the passkey a name, for example the device it is on.')).toBeVisible();
  await expect(card.getByLabel('Passkey name')).toBeFocused();
  await card.getByLabel('Passkey name').fill('Test laptop');
  await card.getByRole('button', { name: 'Add a passkey' }).click();
  await expect(card.getByRole('status').filter({ hasText: 'Passkey “Test laptop” added. You can now sign in with it.' })).toBeFocused();
  await expect(card.getByRole('heading', { name: 'Test laptop' })).toBeVisible();
  await expect(card.getByText(/never used/)).toBeVisible();
  const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
  expect(credentials.map((c) => c.isResidentCredential)).toEqual([true]);
  await expectAccessible(page, 'account with a passkey');

  await signOut(page);
  await openSignIn(page);
  await page.getByRole('button', { name: 'Sign in with a passkey' }).click();
  await expect(page.getByRole('heading', { name: 'Your account' })).toBeVisible();
  await expect(card.getByText(/last used/)).toBeVisible();

  // Remove, with a confirmation that Escape cancels (focus back on the button).
  const remove = card.getByRole('button', { name: 'Remove Test laptop' });
  await remove.click();
  await expect(page.getByRole('dialog')).toBeVisible();
  await expectDialogAccessible(page);
  await page.keyboard.press('Escape');
  await expect(page.getByRole('dialog')).toHaveCount(0);
  await expect(remove).toBeFocused();
  await remove.click();
  await page.getByRole('button', { name: 'Remove passkey' }).click();
  await expect(card.getByRole('status').filter({ hasText: 'Passkey “Test laptop” removed. It can no longer sign in.' })).toBeFocused();
  await expect(card.getByText('You have no passkeys yet.')).toBeVisible();

  // The authenticator still holds it; the portal no longer accepts it. Checked at phone width.
  await signOut(page);
  await page.setViewportSize({ width: 390, height: 844 });
  await openSignIn(page);
  await page.getByRole('button', { name: 'Sign in with a passkey' }).click();
  const refusal = page.getByRole('alert');
  await expect(refusal).toHaveText('This passkey is not registered here: it may have been removed. Sign in another way.');
  await expect(refusal.locator('xpath=..')).toBeFocused();
  await expect(page.getByRole('heading', { name: 'Sign in' })).toBeVisible();
  expect(await (await page.request.get(`${portal.url}/bff/session`)).json()).toEqual({ authenticated: false });
  await expectAccessible(page, 'sign-in with a refused passkey (phone)');
});

test('the email field offers the passkey through autofill: picking it signs in without a click on the page', async ({ page }) => {
  await virtualAuthenticator(page);
  const user = await seed();
  await registerThroughAccount(page, user, 'Autofill key');
  await signOut(page);
  // The virtual authenticator answers the autofill request at once, as if the person picked the passkey from the list.
  await page.goto(`${portal.url}/account`);
  await expect(page.getByRole('heading', { name: 'Your account' })).toBeVisible();
  await expect(page.getByRole('region', { name: 'Passkeys' }).getByText(/last used/)).toBeVisible();
  const [entry] = await store.audit.list({ kind: 'sign_in', limit: 1 });
  expect(entry?.data).toMatchObject({ method: 'passkey', amr: ['hwk', 'user'] });
});

test('the email field asks for passkeys in its autofill list', async ({ page }) => {
  await virtualAuthenticator(page);
  await openSignIn(page);
  await expect(page.getByLabel('Email')).toHaveAttribute('autocomplete', 'username webauthn');
});
