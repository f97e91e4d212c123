/**
 * The admin screen for gateway routes (issue 18): an admin sees a refused route named at its
 * field, adds a route to an API, and removes it after confirming (Escape cancels, focus comes
 * back); the audit log records both changes. axe finds nothing; no sideways scroll.
 */
import { expectAccessibleAtAllWidths as expectAccessible } from '../fixtures/a11y.ts';
import { expect, signInViaApi, test } from '../fixtures/impersonation.ts';
import { PORTAL_URL } from '../fixtures/env.ts';

test('an admin adds a gateway route to an API and removes it, confirmed and audited', async ({ page, context, seedAdmin }) => {
  const admin = await seedAdmin();
  await signInViaApi(context, admin);
  const stamp = Date.now();
  const identifier = `https://orders-${stamp}.example`;
  const path = `/api/orders-${stamp}`;
  // The API the route sends tokens for, through the APIs screen's own endpoint.
  const created = await page.request.post('/bff/admin/resources', {
    data: { identifier, name: 'Orders', scopes: ['orders:read'] },
    headers: { 'x-portal-csrf': '1', origin: PORTAL_URL },
  });
  expect(created.status()).toBe(201);
  await page.goto('/admin/api-routes');
  await expect(page.getByRole('heading', { name: 'API routes (the portal as your BFF)', level: 1 })).toBeVisible({ timeout: 30_000 });
  const form = page.getByRole('form', { name: 'Add a route' });
  await form.getByLabel('Path').fill('/bff/orders');
  await form.getByLabel('Upstream address').fill('https://orders.internal');
  await form.getByLabel('API identifier').fill(identifier);
  await form.getByRole('button', { name: 'Add route' }).click();
  await expect(form.getByLabel('Path')).toBeFocused();
  await expect(form.getByLabel('Path')).toHaveAttribute('aria-invalid', 'true');
  await expectAccessible(page, 'API routes with an error');

  await form.getByLabel('Path').fill(path);
  await form.getByLabel('Who may use it').selectOption('admin');
  await form.getByRole('button', { name: 'Add route' }).click();
  const row = page.getByRole('row', { name: new RegExp(path) });
  await expect(row).toContainText('Administrators');
  await expect(row).toContainText('orders:read');
  await expectAccessible(page, 'API routes with a route');

  const remove = page.getByRole('button', { name: `Remove ${path}` });
  await remove.click();
  await expect(page.getByRole('dialog', { name: `Remove ${path}?` })).toBeVisible();
  await page.keyboard.press('Escape');
  await expect(page.getByRole('dialog')).toHaveCount(0);
  await expect(remove).toBeFocused();
  await remove.click();
  await page.getByRole('button', { name: 'Remove route' }).click();
  await expect(page.getByText(`${path} was removed`)).toBeVisible();
  await expect(page.getByRole('row', { name: new RegExp(path) })).toHaveCount(0);

  const audit = await (await page.request.get('/bff/admin/audit?limit=20')).json();
  const kinds = (audit.entries as Array<{ kind: string; data: { path?: string } }>).filter((e) => e.data?.path === path).map((e) => e.kind);
  expect(kinds.sort()).toEqual(['api_route_created', 'api_route_deleted']);
});
