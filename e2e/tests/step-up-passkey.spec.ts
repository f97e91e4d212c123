/**
 * The step-up before impersonating, answered with a passkey in Chromium
 * (issue 10): an admin whose only second factor is a passkey (added from the
 * account screen with a CDP virtual authenticator that verifies its user) is
 * asked to confirm it is them before impersonating, does so with the passkey,
 * and the impersonation starts; its audit entry names the passkey. Axe on the
 * step-up. Its own portal at http://localhost (a WebAuthn RP ID must be a
 * domain name), on the suite's database kind.
 */
import { expect, test } from '@playwright/test';
import { PORTAL_PORT } from '../fixtures/env.ts';
import { startOwnPortal, type OwnPortal } from '../fixtures/own-portal.ts';
import { expectAccessible } from '../fixtures/a11y.ts';
import { virtualAuthenticator } from '../fixtures/webauthn.ts';
import { openStore } from '../../bff/store/open-store.ts';
import { createAccount } from '../../bff/accounts/accounts.ts';
import type { Store } from '../../bff/store/store.ts';

const PORT = PORTAL_PORT + 21;
let portal: OwnPortal;
let store: Store;

test.describe.configure({ mode: 'serial' });
test.setTimeout(180_000);
test.beforeAll(async () => {
  portal = await startOwnPortal(PORT, `http://localhost:${PORT}`);
  store = await openStore(portal.databaseUrl);
});
test.afterAll(async () => {
  await store?.close();
  await portal?.stop();
});

test('an admin confirms it is them with a passkey, and the impersonation starts', async ({ page }) => {
  await virtualAuthenticator(page);
  const suffix = `${Date.now()}-${Math.random().toString(36).slice(2, 8)}`;
  const password = 'correct horse step-up staple';
  const admin = await createAccount(store, { email: `step-${suffix}@example.com`, password, name: 'Ada Admin', role: 'admin' }, Date.now());
  const target = await createAccount(store, { email: `help-${suffix}@example.com`, password, name: 'Hal Help' }, Date.now());

  await page.goto(`${portal.url}/account`);
  await page.getByLabel('Email').fill(admin.email);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  const card = page.getByRole('region', { name: 'Passkeys' });
  await card.getByLabel('Passkey name').fill('Admin laptop');
  await card.getByRole('button', { name: 'Add a passkey' }).click();
  await expect(card.getByRole('heading', { name: 'Admin laptop' })).toBeVisible();

  await page.goto(`${portal.url}/admin/impersonate`);
  await page.getByLabel('Search users').fill(target.email);
  await page.getByRole('radio', { name: new RegExp(target.email.replace(/[.+]/g, '\\$&')) }).check();
  await page.getByLabel('Reason (shown to the user and recorded)').fill('Ticket 88: cannot find the invoices page');
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.getByRole('dialog', { name: /^Impersonate / }).getByRole('button', { name: 'Start impersonating' }).click();
  await expect(page.getByText('Confirm it is you')).toBeVisible();
  // Only a passkey here: no code form for an app the admin does not have.
  await expect(page.getByLabel('Code from your authenticator app')).toHaveCount(0);
  await expectAccessible(page, 'step-up with a passkey');
  await page.getByRole('button', { name: 'Verify with a passkey and start' }).click();
  await expect(page.getByRole('region', { name: 'Impersonation', exact: true })).toContainText(`You are impersonating ${target.email}`);

  const [requested] = await store.audit.list({ kind: 'impersonation_requested', actorId: admin.id, limit: 1 });
  expect(requested!.data.secondFactor).toBe('passkey');
  const [verified] = await store.audit.list({ kind: 'mfa_verified', actorId: admin.id, limit: 1 });
  expect([verified!.data.method, verified!.data.purpose]).toEqual(['passkey', 'step_up']);
});
