/**
 * Two-step verification in Chromium (issue 10): an admin without a second
 * factor is sent to set one up before the admin screens, sets up an
 * authenticator app with the code an independent RFC 6238 implementation
 * computes from the key on screen, signs out, signs in with password and code,
 * is asked for a code again before impersonating once the last one is older
 * than 15 minutes; a recovery code gets a user back in. Axe on the new screens.
 */
import { AxeBuilder } from '@axe-core/playwright';
import type { Page } from '@playwright/test';
import { expect, test, type SeededUser } from '../fixtures/impersonation.ts';
import { enrolSeededTotp } from '../fixtures/second-factor.ts';
import { unsealData } from 'iron-session';
import { COOKIE_SECRETS, PORTAL_URL } from '../fixtures/env.ts';
import { nextAnswer, rememberFactor, type TestFactor } from '../../bff/testing/second-factor.ts';
import { stepAt, codeForStep } from '../../bff/testing/totp.ts';
import { signInViaApi } from '../fixtures/test.ts';
import { SESSION_CHANNEL } from '../../bff/session/sessions.ts';

async function expectAccessible(page: Page, screen: string) {
  const { violations } = await new AxeBuilder({ page }).analyze();
  expect(
    violations.map((v) => v.id),
    `${screen}: axe violations`,
  ).toEqual([]);
  expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), `${screen}: no sideways scroll`).toBe(true);
}

/** The sign-in screen, as a person: password, then the second factor the helper knows. */
async function signInWithCode(page: Page, user: SeededUser, f: TestFactor, answer = nextAnswer(f)) {
  await page.goto('/bff/login');
  await page.getByLabel('Email', { exact: true }).fill(user.email);
  await page.getByLabel('Password', { exact: true }).fill(user.password);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await expect(page.getByRole('heading', { name: 'Two-step verification' })).toBeVisible();
  await expectAccessible(page, 'second factor');
  if (answer.method === 'recovery_code') await page.getByRole('button', { name: 'Use a recovery code instead' }).click();
  await page.getByLabel(answer.method === 'totp' ? 'Code from your authenticator app' : 'Recovery code').fill(answer.code);
  await page.getByRole('button', { name: 'Verify and continue' }).click();
  await expect(page).toHaveURL(`${PORTAL_URL}/account`);
}

test.describe('two-step verification', () => {
  // Several sign-ins and axe runs on a shared machine.
  test.setTimeout(300_000);

  test('an admin sets it up before the admin screens, signs in with it, and is asked again before impersonating', async ({
    page,
    context,
    seedAdmin,
    seedUser,
    store,
  }) => {
    const admin = await seedAdmin({ secondFactor: false });
    const target = await seedUser();
    await signInViaApi(context, admin);
    await page.goto('/admin/clients');
    await expect(page.getByText('Set up two-step verification first')).toBeVisible();
    await page.getByRole('link', { name: 'Set up two-step verification' }).click();
    const card = page.getByRole('region', { name: 'Two-step verification' });
    await card.getByRole('button', { name: 'Set up an authenticator app' }).click();
    await expect(card.getByRole('img', { name: 'QR code for your authenticator app' })).toBeVisible();
    await expectAccessible(page, 'TOTP setup');
    const secret = (await card.locator('.totp-secret').innerText()).replace(/\s/g, '');
    // A wrong code first: announced, nothing saved.
    await card.getByLabel('Code from your authenticator app').fill(codeForStep(secret, stepAt(Date.now()) + 9));
    await card.getByRole('button', { name: 'Turn on two-step verification' }).click();
    await expect(card.getByRole('alert')).toContainText('That code is not right');
    await expect(card.getByLabel('Code from your authenticator app')).toBeFocused();
    const step = stepAt(Date.now());
    await card.getByLabel('Code from your authenticator app').fill(codeForStep(secret, step));
    await card.getByRole('button', { name: 'Turn on two-step verification' }).click();
    const codes = card.getByRole('list', { name: 'Recovery codes' }).getByRole('listitem');
    await expect(codes).toHaveCount(10);
    await expectAccessible(page, 'recovery codes');
    const f = rememberFactor(PORTAL_URL, admin.email, secret, await codes.allInnerTexts(), step);
    await card.getByRole('button', { name: 'I saved them' }).click();
    await page.goto('/admin/clients');
    await expect(page.getByRole('heading', { name: 'Partner apps', level: 1 })).toBeVisible();

    await page.getByRole('button', { name: 'Sign out', exact: true }).click();
    await expect(page.getByRole('button', { name: 'Sign out', exact: true })).toHaveCount(0);
    await signInWithCode(page, admin, f);

    // Sixteen minutes later (the session's record of the last code, aged through the Store).
    const row = (await store.bffSessions.find(await currentSid(page)))!;
    await store.bffSessions.setData(row.id, { ...row.data, secondFactor: { at: Date.now() - 16 * 60_000, factor: 'otp' } });
    // The running portal drops its cached copy of the session, as after any change it did not make itself:
    // on PostgreSQL at this event; SQLite carries no events between processes, so there the copy lapses after
    // SESSION_CACHE_MS (1 s by default). Without the wait, a fast run reached the step-up with the cached copy.
    await store.events.publish(SESSION_CHANNEL, row.id);
    await page.waitForTimeout(1_500);
    await page.goto('/admin/impersonate');
    await page.getByLabel('Search users').fill(target.email);
    await page.getByRole('radio', { name: new RegExp(target.email.replace(/[.+]/g, '\\$&')) }).check();
    await page.getByLabel('Reason (shown to the user and recorded)').fill('Ticket 77: cannot find the invoices page');
    await page.getByRole('button', { name: 'Continue' }).click();
    await page
      .getByRole('dialog', { name: /^Impersonate / })
      .getByRole('button', { name: 'Start impersonating' })
      .click();
    await expect(page.getByText('Confirm it is you')).toBeVisible();
    await expectAccessible(page, 'step-up');
    await page.getByRole('button', { name: 'Use a recovery code instead' }).click();
    await page.getByLabel('Recovery code').fill(f.recoveryCodes.shift()!);
    await page.getByRole('button', { name: 'Verify and start' }).click();
    await expect(page.getByRole('region', { name: 'Impersonation', exact: true })).toContainText(`You are impersonating ${target.email}`);
    const [requested] = await store.audit.list({ kind: 'impersonation_requested', actorId: admin.id, limit: 1 });
    expect(requested!.data.secondFactor).toBe('recovery_code');
  });

  test('a recovery code gets a user back in, once', async ({ page, seedUser, store }) => {
    const user = await seedUser();
    const f = await enrolSeededTotp(store, user);
    // The phone is lost: a recovery code.
    const code = f.recoveryCodes.shift()!;
    await signInWithCode(page, user, f, { method: 'recovery_code', code });
    const used = await store.audit.list({ kind: 'mfa_recovery_code_used', subjectId: user.id });
    expect(used.length).toBe(1);
    expect(f.recoveryCodes).not.toContain(code);
  });
});

/** The BFF session id behind the page's cookie, read as the portal would. */
async function currentSid(page: Page): Promise<string> {
  const cookie = (await page.context().cookies()).find((c) => c.name === 'portal')!;
  const [id, secret] = COOKIE_SECRETS.split(/:(.*)/s);
  return (await unsealData<{ sid: string }>(decodeURIComponent(cookie.value), { password: { [id!]: secret! } })).sid;
}
