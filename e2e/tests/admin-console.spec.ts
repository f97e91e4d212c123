/**
 * The console's organizations, activity and audit-download screens, driven as
 * an administrator does, each checked with axe at a desktop and a phone width.
 */
import { readFile } from 'node:fs/promises';
import { AxeBuilder } from '@axe-core/playwright';
import type { Page } from '@playwright/test';
import { expectAccessible } from '../fixtures/a11y.ts';
import { PORTAL_URL } from '../fixtures/env.ts';
import { expect, signInViaApi, spaHeaders, test } from '../fixtures/impersonation.ts';

// A 1×1 PNG for the logo upload.
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==', 'base64');

const VIEWPORTS = [
  { name: 'desktop', width: 1280, height: 800 },
  { name: 'phone', width: 390, height: 844 },
] as const;

const notice = (page: Page, text: string | RegExp) => page.getByRole('status').filter({ hasText: text });

for (const viewport of VIEWPORTS) {
  test.describe(`admin console at ${viewport.name} ${viewport.width} px`, () => {
    test.describe.configure({ timeout: 180_000 });
    test.use({ viewport: { width: viewport.width, height: viewport.height } });

    test('organizations: create, rename (stale page refused), members and roles, invitations, delete with the typed name', async ({
      page,
      context,
      store,
      seedAdmin,
      seedUser,
    }) => {
      const admin = await seedAdmin();
      const member = await seedUser();
      const orgName = `Acme ${viewport.name} ${Date.now()}`;
      await signInViaApi(context, admin);
      await page.goto('/admin/organizations');
      await expect(page.getByRole('heading', { level: 1, name: 'Organizations' })).toBeVisible();
      await page.getByRole('button', { name: 'Create organization' }).click();
      await expect(page.getByLabel('Name', { exact: true })).toBeFocused();
      await expect(page.getByText('Give the organization a name.')).toBeVisible();
      await page.getByLabel('Name', { exact: true }).fill(orgName);
      await page.getByRole('button', { name: 'Create organization' }).click();
      await expect(notice(page, `${orgName} was created`)).toBeFocused();
      await expectAccessible(page, 'organizations');
      await page.getByRole('link', { name: `Open ${orgName}` }).click();
      await expect(page.getByLabel('Organization name')).toHaveValue(orgName);

      // Another admin renames it meanwhile: this page's rename is refused, nothing is overwritten.
      const org = (await store.orgs.findByName(orgName))!;
      await store.orgs.rename(org.id, `${orgName} (theirs)`, org.updatedAt, Date.now());
      await page.getByLabel('Organization name').fill(`${orgName} (mine)`);
      await page.getByRole('button', { name: 'Rename' }).click();
      await expect(page.getByRole('alert')).toContainText('Another administrator changed this organization');
      expect((await store.orgs.find(org.id))?.name).toBe(`${orgName} (theirs)`);
      await page.getByRole('button', { name: 'Rename' }).click();
      await expect(notice(page, 'The organization was renamed')).toBeVisible();
      const renamed = `${orgName} (mine)`;
      expect((await store.orgs.find(org.id))?.name).toBe(renamed);

      await page.getByRole('textbox', { name: 'Email', exact: true }).fill(member.email);
      await page.getByRole('button', { name: 'Add member' }).click();
      await expect(notice(page, `${member.email} was added`)).toBeVisible();
      await page.getByLabel(`Role of ${member.email}`).selectOption('admin');
      await page.getByRole('button', { name: 'Change role' }).click();
      await expect.poll(async () => (await store.orgs.findMembership(member.id, org.id))?.role).toBe('admin');

      await page.getByLabel('Email to invite').fill(member.email);
      await page.getByLabel('Role when they join').selectOption('owner');
      await page.getByRole('button', { name: 'Send invitation' }).click();
      await expect(notice(page, `Invitation sent to ${member.email}`)).toContainText('the partner app redeems the invitation');
      const row = page.getByRole('row').filter({ hasText: member.email }).filter({ hasText: 'Waiting' });
      await expect(row).toHaveCount(1);
      await expectAccessible(page, 'organization');

      const revoke = page.getByRole('button', { name: `Revoke the invitation to ${member.email}` });
      await revoke.click();
      const dialog = page.getByRole('dialog', { name: `Revoke the invitation to ${member.email}?` });
      await expect(dialog).toBeVisible();
      await page.keyboard.press('Escape');
      await expect(dialog).toBeHidden();
      await expect(revoke).toBeFocused();
      await revoke.click();
      await dialog.getByRole('button', { name: 'Revoke invitation' }).click();
      await expect(notice(page, `The invitation to ${member.email} was revoked`)).toBeVisible();
      await expect(page.getByRole('row').filter({ hasText: member.email }).filter({ hasText: 'Revoked' })).toHaveCount(1);

      await page.getByRole('button', { name: `Remove ${member.email}` }).click();
      await page
        .getByRole('dialog', { name: `Remove ${member.email}?` })
        .getByRole('button', { name: 'Remove member' })
        .click();
      await expect(notice(page, `${member.email} was removed`)).toBeVisible();
      expect(await store.orgs.findMembership(member.id, org.id)).toBeNull();

      await page.getByRole('button', { name: 'Delete organization' }).click();
      const del = page.getByRole('dialog', { name: `Delete ${renamed}?` });
      await del.getByLabel(`Type ${renamed} to confirm`).fill('Acme');
      await del.getByRole('button', { name: 'Delete organization' }).click();
      await expect(del.getByRole('alert')).toContainText(`Type ${renamed} exactly`);
      // The dialog alone (axe cannot judge contrast in the top layer: see a11y.spec.ts).
      expect((await new AxeBuilder({ page }).include('dialog').analyze()).violations.map((v) => v.id)).toEqual([]);
      await del.getByLabel(`Type ${renamed} to confirm`).fill(renamed);
      await del.getByRole('button', { name: 'Delete organization' }).click();
      await expect(page).toHaveURL(/\/admin\/organizations$/);
      expect(await store.orgs.find(org.id)).toBeNull();
      const kinds = (await store.audit.list({ actorId: admin.id, limit: 50 })).map((e) => e.kind).reverse();
      // Signing in is sign_in plus mfa_verified (admins answer a second factor).
      expect(kinds.filter((k) => k !== 'sign_in' && k !== 'mfa_verified')).toEqual([
        'org_created',
        'org_renamed',
        'org_member_added',
        'org_member_role_changed',
        'invitation_created',
        'invitation_revoked',
        'org_member_removed',
        'org_deleted',
      ]);
    });

    test('branding: contrast checked in the preview and before saving; the colour reaches the SPA and the server-rendered pages', async ({
      page,
      context,
      browser,
      seedAdmin,
    }) => {
      await signInViaApi(context, await seedAdmin());
      await page.goto('/admin/branding');
      await expect(page.getByRole('heading', { level: 1, name: 'Branding' })).toBeVisible();
      const colour = page.getByLabel('Primary colour');
      await colour.fill('#ffcc00');
      await expect(page.getByRole('list', { name: 'Contrast checks' })).toContainText('White text on the colour: 1.');
      await expect(page.getByRole('list', { name: 'Contrast checks' })).toContainText('(too low: AA needs 4.5:1)');
      await page.getByRole('button', { name: 'Save branding' }).click();
      await expect(colour).toBeFocused();
      await expect(page.getByText(/^Too little contrast for WCAG AA/)).toBeVisible();
      await expectAccessible(page, 'branding with an error');
      await colour.fill('#7a1f5c');
      await page.getByLabel('Portal name').fill('Acme Login');
      await page.getByLabel('Support email').fill('help@acme.test');
      // An SVG is refused (it can carry script); a PNG is taken and fills the logo address.
      const upload = page.getByLabel('Upload a logo');
      await upload.setInputFiles({ name: 'logo.svg', mimeType: 'image/svg+xml', buffer: Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"/>') });
      await expect(page.getByRole('alert').filter({ hasText: 'The logo must be a PNG, JPEG or WebP image' })).toBeVisible();
      await upload.setInputFiles({ name: 'logo.png', mimeType: 'image/png', buffer: PNG });
      await expect(page.getByText('Uploaded. Save the branding to use it.')).toBeVisible();
      await expect(page.getByLabel('Logo address')).toHaveValue(/^\/branding\/logo\/[0-9a-f]{32}\.png$/);
      await page.getByRole('button', { name: 'Save branding' }).click();
      await expect(notice(page, 'Branding saved')).toBeVisible();
      await expectAccessible(page, 'branding');

      // A visitor who never signed in: the sign-in screen and a server-rendered error page both carry the colour.
      // A context of its own (axe needs one): no cookies, no cache.
      const visitorContext = await browser.newContext();
      const visitor = await visitorContext.newPage();
      const primary = () => visitor.evaluate(() => getComputedStyle(document.documentElement).getPropertyValue('--primary').trim());
      await visitor.goto(`${PORTAL_URL}/bff/login`);
      // A cold page on a busy machine: give the first paint longer than the default.
      await expect(visitor.getByRole('heading', { name: 'Sign in' })).toBeVisible({ timeout: 30_000 });
      expect(await primary()).toBe('#7a1f5c');
      // The name, logo and support address came with the page itself (no request of their own).
      await expect(visitor).toHaveTitle('Acme Login');
      await expect(visitor.getByRole('link', { name: 'Acme Login', exact: true })).toBeVisible();
      await expect(visitor.locator('.topbar__logo')).toHaveJSProperty('naturalWidth', 1);
      await expect(visitor.getByRole('contentinfo')).toContainText('Need help? Write to help@acme.test.');
      await expectAccessible(visitor, 'branded sign-in');
      await visitor.goto(`${PORTAL_URL}/oauth/authorize?client_id=no-such-app&response_type=code&scope=openid`);
      expect(await primary()).toBe('#7a1f5c');
      await expect(visitor).toHaveTitle('Sign-in error · Acme Login');
      await expect(visitor.getByText('Need help? Write to help@acme.test.')).toBeVisible();
      await expect(visitor.locator('.topbar__logo')).toHaveJSProperty('naturalWidth', 1);
      await visitorContext.close();

      // Put the default back for the other journeys.
      const { branding } = (await (await page.request.get('/bff/admin/branding')).json()) as { branding: { updatedAt: number } };
      const reset = await page.request.put('/bff/admin/branding', {
        headers: spaHeaders,
        data: { portalName: 'Portal', logoUrl: null, primaryColour: '#2446c7', supportEmail: null, updatedAt: branding.updatedAt },
      });
      expect(reset.status()).toBe(200);
    });

    test('activity dashboard: totals, the chart and its table; audit download as JSON lines', async ({ page, context, seedAdmin }) => {
      const admin = await seedAdmin();
      await signInViaApi(context, admin);
      await page.goto('/admin');
      await expect(page.getByRole('heading', { level: 1, name: 'Activity' })).toBeVisible();
      await expect(page.getByText('Active sessions')).toBeVisible();
      await expect(page.locator('.activity-chart canvas')).toHaveCount(1);
      await page.getByText('Show the numbers as a table').click();
      const table = page.getByRole('table', { name: /Activity per hour/ });
      await expect(table).toBeVisible();
      // The admin's own sign-in is in the current hour's row.
      await expect(table.getByRole('row').last()).toContainText(/\d/);
      await expectAccessible(page, 'activity dashboard');

      await page.goto(`/admin/audit?email=${encodeURIComponent(admin.email)}`);
      await expect(page.getByRole('heading', { level: 1, name: 'Audit log' })).toBeVisible();
      const downloading = page.waitForEvent('download');
      await page.getByRole('link', { name: 'Download these entries (JSON lines)' }).click();
      const download = await downloading;
      expect(download.suggestedFilename()).toMatch(/^audit-.*\.jsonl$/);
      const lines = (await readFile((await download.path())!, 'utf8'))
        .trimEnd()
        .split('\n')
        .map((l) => JSON.parse(l) as { kind: string; actorId: string | null; subjectId: string | null });
      // Newest first: the download records itself before it streams; the sign-in is a password, then a second factor.
      expect(lines.map((l) => l.kind)).toEqual(['audit_exported', 'mfa_verified', 'sign_in']);
      expect(lines.every((l) => l.actorId === admin.id)).toBe(true);
    });
  });
}
