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
import { ownPortalForFile } from '../fixtures/own-portal.ts';
import { expectAccessible } from '../fixtures/a11y.ts';
import { virtualAuthenticator } from '../fixtures/webauthn.ts';
import { createAccount } from '../../bff/accounts/accounts.ts';

const PORT = PORTAL_PORT + 21;
const own = ownPortalForFile(PORT, `http://localhost:${PORT}`);
test.setTimeout(180_000);

test('an admin confirms it is them with a passkey, and the impersonation starts', async ({ page }) => {
  await virtualAuthenticator(page);
  const suffix = `${Date.now()}-${Math.random().toString(36).slice(2, 8)}`;
  const password = 'correct horse step-up staple';
  const admin = await createAccount(own.store(), { email: `step-${suffix}@example.com`, password, name: 'Ada Admin', role: 'admin' }, Date.now());
  const target = await createAccount(own.store(), { email: `help-${suffix}@example.com`, password, name: 'Hal Help' }, Date.now());

  await page.goto(`${own.portal().url}/account`);
  await page.getByLabel('Email').fill(admin.email);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  const card = page.getByRole('region', { name: 'Passkeys' });
  await card.getByLabel('Passkey name').fill('Admin laptop');
  await card.getByRole('button', { name: 'Add a passkey' }).click();
  await expect(card.getByRole('heading', { name: 'Admin laptop' })).toBeVisible();

  await page.goto(`${own.portal().url}/admin/impersonate`);
  await page.getByLabel('Search users').fill(target.email);
  await page.getByRole('radio', { name: new RegExp(target.email.replace(/[.+]/g, '\\$&')) }).check();
  await page.getByLabel('Reason (shown to the user and recorded)').fill('Ticket 88: cannot find the invoices page');
  await page.getByRole('button', { name: 'Continue' }).click();
  await page
    .getByRole('dialog', { name: /^Impersonate / })
    .getByRole('button', { name: 'Start impersonating' })
    .click();
  await expect(page.getByText('Confirm it is you')).toBeVisible();
  // Only a passkey here: no code form for an app the admin does not have.
  await expect(page.getByLabel('Code from your authenticator app')).toHaveCount(0);
  await expectAccessible(page, 'step-up with a passkey');
  await page.getByRole('button', { name: 'Verify with a passkey and start' }).click();
  await expect(page.getByRole('region', { name: 'Impersonation', exact: true })).toContainText(`You are impersonating ${target.email}`);

  const [requested] = await own.store().audit.list({ kind: 'impersonation_requested', actorId: admin.id, limit: 1 });
  expect(requested!.data.secondFactor).toBe('passkey');
  const [verified] = await own.store().audit.list({ kind: 'mfa_verified', actorId: admin.id, limit: 1 });
  expect([verified!.data.method, verified!.data.purpose]).toEqual(['passkey', 'step_up']);
});
