/**
 * The admin screen for machine clients: an admin adds an API with its scopes,
 * registers a machine client for it (secret shown once), and removes the API
 * after confirming (Escape cancels, focus comes back). The client it registers
 * gets a token with openid-client; axe finds nothing; no sideways scroll.
 */
import * as oidc from 'openid-client';
import { expectAccessibleAtAllWidths as expectAccessible } from '../fixtures/a11y.ts';
import { ISSUER } from '../fixtures/env.ts';
import { expect, signInViaApi, test } from '../fixtures/impersonation.ts';

test('an admin adds an API, registers a machine client that then gets a token, and removes the API', async ({ page, context, seedAdmin }) => {
  const admin = await seedAdmin();
  await signInViaApi(context, admin);
  const identifier = `https://orders-${Date.now()}.example`;

  await page.goto('/admin/resources');
  await expect(page.getByRole('heading', { name: 'APIs for machine clients', level: 1 })).toBeVisible({ timeout: 30_000 });
  const addApi = page.getByRole('form', { name: 'Add an API' });
  await addApi.getByLabel('Identifier').fill('http://orders.example');
  await addApi.getByRole('button', { name: 'Add API' }).click();
  await expect(addApi.getByLabel('Identifier')).toBeFocused();
  await expect(addApi.getByLabel('Identifier')).toHaveAttribute('aria-invalid', 'true');
  await expectAccessible(page, 'APIs with an error');

  // Another journey (the gateway's) may have added an API named Orders to the same database: this one has a name of its own.
  await addApi.getByLabel('Identifier').fill(identifier);
  await addApi.getByLabel('Name').fill('Order history');
  await addApi.getByLabel('Scopes').fill('orders:read, orders:write');
  await addApi.getByRole('button', { name: 'Add API' }).click();
  const row = page.getByRole('row', { name: /Order history/ });
  await expect(row).toContainText('orders:read, orders:write');

  const machine = page.getByRole('form', { name: 'Register a machine client' });
  await machine.getByLabel('Client name').fill('Nightly export');
  await machine.getByLabel('Allowed scopes').fill('orders:read');
  await machine.getByRole('button', { name: 'Register machine client' }).click();
  const box = page.getByRole('region', { name: 'Nightly export is registered' });
  await expect(box).toBeVisible();
  const [clientId, secret] = await box.locator('code').allTextContents();
  await expectAccessible(page, 'APIs with a new machine client');
  const config = await oidc.discovery(new URL(ISSUER), clientId!, {}, oidc.ClientSecretBasic(secret!), { execute: [oidc.allowInsecureRequests] });
  expect((await oidc.clientCredentialsGrant(config, { resource: identifier, scope: 'orders:read' })).scope).toBe('orders:read');
  await box.getByRole('button', { name: 'Done' }).click();

  const del = page.getByRole('button', { name: 'Delete Order history' });
  await del.click();
  await expect(page.getByRole('dialog', { name: 'Remove Order history?' })).toBeVisible();
  await page.keyboard.press('Escape');
  await expect(page.getByRole('dialog')).toHaveCount(0);
  await expect(del).toBeFocused();
  await del.click();
  await page.getByRole('button', { name: 'Remove API' }).click();
  await expect(page.getByText('Order history was removed')).toBeVisible();
  await expect(page.getByRole('row', { name: /Order history/ })).toHaveCount(0);
});
