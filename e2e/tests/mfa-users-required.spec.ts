/**
 * MFA_USERS=required in Chromium (issue 10): a user without a second factor
 * who signs in to the portal sees only the way to set one up until they add a
 * passkey (CDP virtual authenticator), then the whole account screen; a
 * partner app's sign-in is held at a setup step, where an authenticator app is
 * set up with the code an independent RFC 6238 implementation computes, the
 * recovery codes are shown once, and the partner gets its code. Axe and phone
 * widths on the new screens. Its own portal at http://localhost (a WebAuthn
 * RP ID must be a domain name), on the suite's database kind.
 */
import { createHash, randomBytes } from 'node:crypto';
import { expect, test, type Page } from '@playwright/test';
import { PORTAL_PORT } from '../fixtures/env.ts';
import { ownPortalForFile } from '../fixtures/own-portal.ts';
import { expectAccessibleAtAllWidths } from '../fixtures/a11y.ts';
import { virtualAuthenticator } from '../fixtures/webauthn.ts';
import { createAccount } from '../../bff/accounts/accounts.ts';
import { registerClient } from '../../bff/oauth/clients.ts';
import { codeForStep, stepAt } from '../../bff/testing/totp.ts';

const PORT = PORTAL_PORT + 19;
/** Nothing listens here: the browser's arrival is answered by page.route. */
const PARTNER_CALLBACK = 'http://127.0.0.1:9/cb';
const own = ownPortalForFile(PORT, `http://localhost:${PORT}`, { MFA_USERS: 'required' });
test.setTimeout(180_000);

async function seed(): Promise<{ email: string; password: string }> {
  const email = `req-${Date.now()}-${Math.random().toString(36).slice(2, 8)}@example.com`;
  const password = 'correct horse required staple';
  await createAccount(own.store(), { email, password, name: 'Rae Quired', emailVerified: true }, Date.now());
  return { email, password };
}

async function typePassword(page: Page, user: { email: string; password: string }): Promise<void> {
  await page.getByLabel('Email').fill(user.email);
  await page.getByLabel('Password', { exact: true }).fill(user.password);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
}

test('the account screen shows only the setup until a passkey is added, then opens', async ({ page }) => {
  await virtualAuthenticator(page);
  await page.goto(`${own.portal().url}/account`);
  await typePassword(page, await seed());
  await expect(page.getByRole('heading', { name: 'Your account' })).toBeVisible();
  await expect(page.getByText('Set up two-step verification to use your account')).toBeVisible();
  await expect(page.getByRole('region', { name: 'Passkeys' })).toBeVisible();
  await expect(page.getByRole('region', { name: 'Two-step verification' })).toBeVisible();
  await expect(page.getByRole('heading', { name: 'Change password' })).toHaveCount(0);
  await expectAccessibleAtAllWidths(page, 'account: set up first');

  const card = page.getByRole('region', { name: 'Passkeys' });
  await card.getByLabel('Passkey name').fill('Work laptop');
  await card.getByRole('button', { name: 'Add a passkey' }).click();
  await expect(card.getByRole('heading', { name: 'Work laptop' })).toBeVisible();
  await expect(page.getByText('Set up two-step verification to use your account')).toHaveCount(0);
  await expect(page.getByRole('heading', { name: 'Change password' })).toBeVisible();
  await expect(page.getByRole('heading', { name: 'Connected apps' })).toBeVisible();
});

test('a partner’s sign-in waits at the setup step: an authenticator app, its recovery codes once, then the partner gets its code', async ({ page }) => {
  const { client } = await registerClient(
    own.store(),
    { name: 'Held Partner', redirectUris: [PARTNER_CALLBACK], isPublic: true, scopes: ['openid', 'email'] },
    Date.now(),
  );
  let arrived: URL | null = null;
  await page.route(`${PARTNER_CALLBACK}**`, async (route) => {
    arrived = new URL(route.request().url());
    await route.fulfill({
      status: 200,
      contentType: 'text/html',
      body: '<!doctype html><html lang="en"><title>Partner</title><h1>Back at the partner</h1></html>',
    });
  });
  const verifier = randomBytes(32).toString('base64url');
  const authorize = new URL(`${own.portal().url}/oauth/authorize`);
  authorize.search = new URLSearchParams({
    client_id: client.clientId,
    redirect_uri: PARTNER_CALLBACK,
    response_type: 'code',
    scope: 'openid email',
    state: 'held-state',
    code_challenge: createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256',
  }).toString();
  await page.goto(authorize.href);
  await typePassword(page, await seed());

  await expect(page.getByRole('heading', { name: 'Set up two-step verification' })).toBeVisible();
  await expectAccessibleAtAllWidths(page, 'sign-in: set up a second factor');
  await page.getByRole('button', { name: 'Use an authenticator app instead' }).click();
  await expect(page.getByRole('img', { name: 'QR code for your authenticator app' })).toBeVisible();
  const secret = (await page.locator('.totp-secret').innerText()).replace(/\s/g, '');
  await page.getByLabel('Code from your authenticator app').fill(codeForStep(secret, stepAt(Date.now()) + 9));
  await page.getByRole('button', { name: 'Turn on two-step verification' }).click();
  await expect(page.getByRole('alert')).toContainText('That code is not right');
  await expect(page.getByLabel('Code from your authenticator app')).toBeFocused();
  await page.getByLabel('Code from your authenticator app').fill(codeForStep(secret, stepAt(Date.now())));
  await page.getByRole('button', { name: 'Turn on two-step verification' }).click();

  await expect(page.getByText('Save your recovery codes now')).toBeVisible();
  await expect(page.getByRole('list', { name: 'Recovery codes' }).getByRole('listitem')).toHaveCount(10);
  await expectAccessibleAtAllWidths(page, 'sign-in: recovery codes');
  await page.getByRole('button', { name: 'I saved them' }).click();
  // A public partner asks for consent once.
  const allow = page.getByRole('button', { name: 'Allow' });
  await expect(allow.or(page.getByRole('heading', { name: 'Back at the partner' }))).toBeVisible();
  if (await allow.isVisible()) await allow.click();
  await expect(page.getByRole('heading', { name: 'Back at the partner' })).toBeVisible();
  expect(arrived).not.toBeNull();
  expect(arrived!.searchParams.get('state')).toBe('held-state');
  expect(arrived!.searchParams.get('code')).toBeTruthy();
});
