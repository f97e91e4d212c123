/**
 * The admin console's users (issue 11), driven as an administrator does, by keyboard where it
 * matters, with axe at desktop and phone widths: find a person, open their page, sign them out
 * of a session, make them an administrator after a stale-page refusal, disable them, delete
 * them with the typed email. And the account screen's own signed-in sessions.
 */
import { AxeBuilder } from '@axe-core/playwright';
import { expectAccessible } from '../fixtures/a11y.ts';
import { expect, signInViaApi, test } from '../fixtures/impersonation.ts';

const VIEWPORTS = [
  { name: 'desktop', width: 1280, height: 800 },
  { name: 'phone', width: 390, height: 844 },
] as const;

for (const viewport of VIEWPORTS) {
  test.describe(`${viewport.name}`, () => {
    // Five full axe runs on a shared 2-core machine: well past the suite's 30 s.
    test.describe.configure({ timeout: 360_000 });
    test.use({ viewport: { width: viewport.width, height: viewport.height } });

    test('an admin finds a user, ends a session, changes the role past a stale page, disables and deletes them', async ({
      page,
      context,
      browser,
      seedAdmin,
      seedUser,
      store,
    }) => {
      const admin = await seedAdmin();
      const person = await seedUser();
      // The person is signed in in a browser of their own.
      const theirs = await browser.newContext();
      await signInViaApi(theirs, person);
      await signInViaApi(context, admin);

      await page.goto('/admin/users');
      await expect(page.getByRole('heading', { level: 1, name: 'Users' })).toBeVisible();
      await page.getByLabel('Search').fill(person.email);
      await page.getByLabel('Search').press('Enter');
      await expect(page.getByRole('status').filter({ hasText: 'Showing 1 user.' })).toBeVisible();
      await expectAccessible(page, 'users list');

      await page.getByRole('link', { name: person.name }).click();
      await expect(page.getByRole('heading', { name: 'Profile' })).toBeVisible();
      await expect(page.getByText(person.email).first()).toBeVisible();
      await expectAccessible(page, 'user page');

      // One session, ended from here; the person's browser is signed out.
      const sessions = page.getByRole('region', { name: 'Signed-in sessions' });
      await sessions.getByRole('button', { name: /^Sign out .+ on / }).click();
      const dialog = page.getByRole('dialog');
      await expect(dialog).toBeVisible();
      await page.keyboard.press('Escape');
      await expect(dialog).toHaveCount(0);
      await expect(sessions.getByRole('button', { name: /^Sign out .+ on / })).toBeFocused();
      await sessions.getByRole('button', { name: /^Sign out .+ on / }).click();
      await dialog.getByRole('button', { name: 'Sign out', exact: true }).click();
      await expect(page.getByRole('status').filter({ hasText: 'Signed out' })).toBeVisible();
      await expect(sessions.getByText('Not signed in anywhere.')).toBeVisible();
      expect(((await (await theirs.request.get('/bff/session')).json()) as { authenticated: boolean }).authenticated).toBe(false);
      await theirs.close();

      // Another admin changes the person meanwhile: this page is stale, and says so.
      await store.users.update(person.id, { name: `${person.name} (renamed)` }, Date.now() + 5);
      await page.getByRole('button', { name: 'Make administrator' }).click();
      await dialog.getByRole('button', { name: 'Make administrator' }).click();
      await expect(dialog.getByRole('alert')).toContainText('Another administrator changed this user');
      expect((await store.users.findById(person.id))!.role).toBe('user');
      await dialog.getByRole('button', { name: 'Cancel' }).click();
      await expect(page.getByText(`${person.name} (renamed)`)).toBeVisible();
      await page.getByRole('button', { name: 'Make administrator' }).click();
      await dialog.getByRole('button', { name: 'Make administrator' }).click();
      await expect(page.getByRole('status').filter({ hasText: 'Make administrator: done.' })).toBeVisible();
      expect((await store.users.findById(person.id))!.role).toBe('admin');

      await page.getByRole('button', { name: 'Disable' }).click();
      // The open dialog on its own, as a11y.spec.ts does: axe cannot judge contrast in the top layer.
      const dialogScan = await new AxeBuilder({ page }).include('dialog').analyze();
      expect(dialogScan.violations.map((v) => v.id)).toEqual([]);
      await dialog.getByRole('button', { name: 'Disable' }).click();
      await expect(page.getByRole('status').filter({ hasText: 'Disable: done.' })).toBeVisible();
      expect((await store.users.findById(person.id))!.disabled).toBe(true);

      await page.getByRole('button', { name: 'Delete account…' }).click();
      await dialog.getByLabel(`Type ${person.email} to confirm`).fill('someone@example.com');
      await expect(dialog.getByText('The email does not match yet.')).toBeVisible();
      await dialog.getByLabel(`Type ${person.email} to confirm`).fill(person.email);
      await dialog.getByRole('button', { name: 'Delete account' }).click();
      await expect(page.getByRole('status').filter({ hasText: `${person.email} was deleted.` })).toBeVisible();
      expect(await store.users.findById(person.id)).toBeNull();
      await page.reload();
      await expect(page.getByRole('alert')).toContainText('This user no longer exists');
      await expectAccessible(page, 'deleted user');
    });

    test('a person sees where they are signed in and signs out of the others', async ({ page, context, browser, seedUser }) => {
      const person = await seedUser();
      const other = await browser.newContext();
      await signInViaApi(other, person);
      await signInViaApi(context, person);
      await page.goto('/account');
      const region = page.getByRole('region', { name: "Where you're signed in" });
      await expect(region.getByText('This device')).toBeVisible();
      await expect(region.getByRole('listitem')).toHaveCount(2);
      await expectAccessible(page, 'account sessions');
      await region.getByRole('button', { name: 'Sign out of all other sessions' }).click();
      await page.getByRole('dialog').getByRole('button', { name: 'Sign out of others' }).click();
      await expect(page.getByRole('status').filter({ hasText: 'Signed out of 1 other session.' })).toBeVisible();
      await expect(region.getByRole('listitem')).toHaveCount(1);
      expect(((await (await other.request.get('/bff/session')).json()) as { authenticated: boolean }).authenticated).toBe(false);
      expect(((await (await context.request.get('/bff/session')).json()) as { authenticated: boolean }).authenticated).toBe(true);
      await other.close();
    });
  });
}
