/**
 * "Set an initial password" (issue 11), by keyboard and with axe at desktop and phone widths: an
 * administrator adds a person with a password to pass on; the person's first sign-in asks for a
 * password of their own before it completes, and the given one stops working.
 */
import { randomBytes } from 'node:crypto';
import { expectAccessible } from '../fixtures/a11y.ts';
import { expect, signInViaApi, test } from '../fixtures/impersonation.ts';
import { PORTAL_URL } from '../fixtures/env.ts';

const VIEWPORTS = [
  { name: 'desktop', width: 1280, height: 800 },
  { name: 'phone', width: 390, height: 844 },
] as const;

const INITIAL = 'given by the admin 42';
const OWN = 'my very own secret words';

for (const viewport of VIEWPORTS) {
  test.describe(`${viewport.name}`, () => {
    test.describe.configure({ timeout: 240_000 });
    test.use({ viewport: { width: viewport.width, height: viewport.height } });

    test('an admin adds a person with an initial password; their first sign-in makes them choose their own', async ({
      page,
      context,
      browser,
      seedAdmin,
      store,
    }) => {
      const admin = await seedAdmin();
      await signInViaApi(context, admin);
      const email = `hire-${randomBytes(4).toString('hex')}@example.com`;

      await page.goto('/admin/users');
      const form = page.getByRole('region', { name: 'Invite a person' });
      await form.getByLabel('Email', { exact: true }).fill(email);
      await form.getByLabel('Name (optional)').fill('New Hire');
      // The choice by keyboard: the arrow key moves the radio group to the second option.
      await form.getByRole('radio', { name: /Send an invitation by email/ }).focus();
      await page.keyboard.press('ArrowDown');
      await expect(form.getByRole('radio', { name: /Set an initial password/ })).toBeChecked();
      await expect(form.getByRole('button', { name: 'Create account' })).toBeVisible();
      await form.getByLabel('Initial password', { exact: true }).fill(INITIAL);
      await expectAccessible(page, 'add a person with a password');
      await form.getByLabel('Initial password', { exact: true }).press('Enter');
      await expect(page.getByText(`Account created for ${email}.`)).toBeVisible();
      const made = await store.users.findByEmail(email);
      expect(made?.mustChangePassword).toBe(true);

      // The person, in a browser of their own.
      const theirs = await browser.newContext({ viewport: { width: viewport.width, height: viewport.height } });
      const them = await theirs.newPage();
      await them.goto('/bff/login');
      await them.getByLabel('Email', { exact: true }).fill(email);
      await them.getByLabel('Password', { exact: true }).fill(INITIAL);
      await them.getByLabel('Password', { exact: true }).press('Enter');
      await expect(them.getByRole('heading', { name: 'Choose your own password' })).toBeVisible();
      await expectAccessible(them, 'choose your own password');
      await them.getByLabel('New password', { exact: true }).fill(INITIAL);
      await them.getByLabel('Repeat the new password').fill(INITIAL);
      await them.getByLabel('Repeat the new password').press('Enter');
      await expect(them.getByText('Choose a password different from the one you were given.').first()).toBeVisible();
      await them.getByLabel('New password', { exact: true }).fill(OWN);
      await them.getByLabel('Repeat the new password').fill(OWN);
      await them.getByLabel('Repeat the new password').press('Enter');
      await expect(them).toHaveURL(`${PORTAL_URL}/account`);
      expect(((await (await theirs.request.get('/bff/session')).json()) as { user: { email: string } }).user.email).toBe(email);
      expect((await store.users.findByEmail(email))?.mustChangePassword).toBeUndefined();
      const [changed] = await store.audit.list({ kind: 'password_changed', subjectId: made!.id, limit: 1 });
      expect(changed?.data).toEqual({ reason: 'initial_password' });
      await theirs.close();
    });
  });
}
