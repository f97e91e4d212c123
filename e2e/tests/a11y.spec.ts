/**
 * Every screen, at a desktop and a phone viewport: no axe-core violations (and
 * no colour contrast left "needs review"), and nothing wider than the screen
 * (on phones down to 320 px).
 * Each test seeds its own people, so the workers never share state.
 */
import type { BrowserContext, Page } from '@playwright/test';
import { PORTAL_URL } from '../fixtures/env.ts';
import { expectAccessible, expectDialogAccessible } from '../fixtures/a11y.ts';
import { expect, impersonate, signInViaApi, test } from '../fixtures/impersonation.ts';

const VIEWPORTS = [
  { name: 'desktop', width: 1280, height: 800 },
  { name: 'phone', width: 390, height: 844 },
] as const;

/** What makes a page look like the portal: the page's colours and font, the top bar's and the card's surfaces. */
async function frameStyle(page: Page): Promise<Record<string, string>> {
  return page.evaluate(() => {
    const style = (selector: string) => {
      const element = document.querySelector(selector);
      if (element === null) return 'missing';
      const css = getComputedStyle(element);
      return [css.backgroundColor, css.color, css.fontFamily, css.borderRadius, css.borderBottomColor, css.boxShadow].join(' | ');
    };
    return { body: style('body'), topbar: style('.topbar'), brand: style('.topbar__brand'), card: style('.card'), heading: style('h1') };
  });
}

async function visit(page: Page, path: string, heading: string | RegExp): Promise<void> {
  await page.goto(path);
  await expect(page.getByRole('heading', { level: 1, name: heading })).toBeVisible();
}

for (const viewport of VIEWPORTS) {
  test.describe(`${viewport.name} ${viewport.width}×${viewport.height}`, () => {
    // Several full axe runs per test on a shared machine: more than the suite's 30 s.
    test.describe.configure({ timeout: 180_000 });
    test.use({ viewport: { width: viewport.width, height: viewport.height } });

    test('signed-out screens: start, sign-in (and its errors), setup, federation error, not found', async ({ page }) => {
      await visit(page, '/', 'Portal');
      await expectAccessible(page, 'start');

      await page.goto('/bff/login');
      await expect(page.getByRole('heading', { name: 'Sign in' })).toBeVisible();
      await expectAccessible(page, 'sign-in');
      await page.getByLabel('Email', { exact: true }).fill('nobody@example.com');
      await page.getByLabel('Password', { exact: true }).fill('wrong password here');
      await page.getByRole('button', { name: 'Sign in', exact: true }).click();
      await expect(page.getByRole('alert')).toBeVisible();
      await expectAccessible(page, 'sign-in with an error');

      await visit(page, '/setup', /.+/);
      await expectAccessible(page, 'setup without a link');
      await visit(page, '/forgot-password', /.+/);
      await expectAccessible(page, 'forgot password');
      await visit(page, '/federation/error', /.+/);
      await expectAccessible(page, 'federation error');
      await visit(page, '/no/such/page', 'Page not found');
      await expectAccessible(page, 'not found');
    });

    test("server-rendered pages (sign-in error, logout confirmation, signed out, /oauth/auth): accessible, in the SPA's frame", async ({
      page,
      context,
      seedUser,
    }) => {
      await visit(page, '/', 'Portal');
      const spa = await frameStyle(page);

      await page.goto('/oauth/authorize?client_id=no-such-app&response_type=code&scope=openid');
      await expect(page.getByRole('heading', { level: 1, name: 'We could not continue' })).toBeVisible();
      await expectAccessible(page, 'server-rendered sign-in error');
      expect(await frameStyle(page), "sign-in error page: the SPA's colours, font, top bar and card").toEqual(spa);

      // The provider asks for confirmation only when there is a session to end.
      await signInViaApi(context, await seedUser());
      await page.goto('/oauth/logout');
      await expect(page.getByRole('heading', { level: 1, name: 'Sign out?' })).toBeVisible();
      await expectAccessible(page, 'logout confirmation');
      expect(await frameStyle(page), 'logout confirmation').toEqual(spa);
      await page.getByRole('button', { name: 'Yes, sign me out' }).click();
      await expect(page.getByRole('heading', { level: 1, name: 'You are signed out' })).toBeVisible();
      await expectAccessible(page, 'signed out');
      expect(await frameStyle(page), 'signed out').toEqual(spa);

      await page.goto('/oauth/auth');
      await expect(page.getByRole('heading', { level: 1, name: 'This is not the authorization endpoint' })).toBeVisible();
      await expectAccessible(page, 'not the authorization endpoint');
    });

    test('a user: account', async ({ page, context, seedUser }) => {
      await signInViaApi(context, await seedUser());
      await visit(page, '/account', 'Your account');
      await expectAccessible(page, 'account');
    });

    test('an admin: partner apps (with a confirmation open), identity providers, impersonation, audit log', async ({
      page,
      context,
      seedAdmin,
      seedPartnerApp,
    }) => {
      await seedPartnerApp();
      await signInViaApi(context, await seedAdmin());
      await visit(page, '/admin/clients', 'Partner apps');
      await expect(page.getByRole('table')).toBeVisible();
      await expectAccessible(page, 'partner apps');
      await page
        .getByRole('button', { name: /^Delete / })
        .first()
        .click();
      await expect(page.getByRole('dialog')).toBeVisible();
      // The open confirmation on its own: axe 4.13 answers "needs review" for every text in a top-layer
      // <dialog> ("partially overlaps other elements"), so only its violations are checked here; its
      // colours are the page's own (--text on --surface, 16:1).
      await expectDialogAccessible(page);
      await page.keyboard.press('Escape');
      await expect(page.getByRole('dialog')).toHaveCount(0);
      // The form that changes an app: it takes focus, and Escape returns it to the row's button.
      const change = page.getByRole('button', { name: /^Change / }).first();
      await change.click();
      await expect(page.getByRole('heading', { level: 2, name: /^Change / })).toBeFocused();
      await expectAccessible(page, 'changing a partner app');
      await page.keyboard.press('Escape');
      await expect(change).toBeFocused();

      await visit(page, '/admin/connections', 'Identity providers');
      await expectAccessible(page, 'identity providers');
      await visit(page, '/admin/impersonate', 'Impersonate a user');
      await expect(page.getByRole('radio').first()).toBeVisible();
      await expectAccessible(page, 'impersonate');
      await visit(page, '/admin/audit', 'Audit log');
      await expect(page.getByRole('table')).toBeVisible();
      await expectAccessible(page, 'audit log');
    });

    test('an admin impersonating: the banner over the account screen', async ({ page, context, seedAdmin, seedUser }) => {
      await impersonate(page, context as BrowserContext, await seedAdmin(), await seedUser(), 'Ticket 4242: cannot see invoices');
      await expect(page.getByRole('heading', { level: 1, name: 'Your account' })).toBeVisible();
      await expectAccessible(page, 'impersonation banner');
      expect(new URL(page.url()).origin).toBe(PORTAL_URL);
    });
  });
}
