/**
 * The mail journeys in Chromium against a portal whose mail goes to a real
 * in-process SMTP server: sign up (SIGNUP=open), verify with the mailed code,
 * sign out, "Forgot password?", reset through the mailed link, and sign in
 * with an emailed code.
 */
import { expect, test, type Page } from '@playwright/test';
import { startMailPortal, type MailPortal } from '../fixtures/mail-portal.ts';

let portal: MailPortal;
test.beforeAll(async () => {
  portal = await startMailPortal();
});
test.afterAll(async () => {
  await portal?.stop();
});

const codeIn = (text: string) => /Your code: (\d{6})/.exec(text)?.[1] ?? '';

async function mailText(address: string, n: number): Promise<string> {
  const mails = await portal.inbox.waitForTo(address, n);
  return mails[n - 1]!.mail.text ?? '';
}

async function openSignIn(page: Page): Promise<void> {
  await page.goto(`${portal.url}/`);
  await page.getByRole('link', { name: 'Sign in' }).click();
  await expect(page.getByRole('heading', { name: 'Sign in' })).toBeVisible();
}

test('sign up, verify, sign out, reset the password, sign in with an emailed code', async ({ page }) => {
  // Five journeys in one (and two browsers): on a loaded CI machine it outgrew the default 30 s.
  test.slow();
  const email = `journey-${Date.now()}@example.com`;
  const first = 'a first long passphrase 1';
  const second = 'a second long passphrase 2';

  await openSignIn(page);
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.getByLabel('Email', { exact: true }).fill(email);
  await page.getByLabel('Name').fill('Journey Person');
  await page.getByLabel('Password', { exact: true }).fill(first);
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(page.getByRole('heading', { name: 'Check your email' })).toBeVisible();
  await page.getByLabel('Code', { exact: true }).fill(codeIn(await mailText(email, 1)));
  await page.getByRole('button', { name: 'Verify and continue' }).click();
  await expect(page).toHaveURL(`${portal.url}/account`);
  await expect(page.getByRole('heading', { name: 'Your account' })).toBeVisible();

  await page.getByRole('button', { name: 'Sign out', exact: true }).click();
  await expect(page.getByRole('link', { name: 'Sign in' })).toBeVisible();

  await openSignIn(page);
  await page.getByLabel('Email', { exact: true }).fill(email);
  await page.getByRole('link', { name: 'Forgot password?' }).click();
  await expect(page.getByRole('heading', { name: 'Forgot your password?' })).toBeVisible();
  await expect(page.getByLabel('Email')).toHaveValue(email);
  await page.getByRole('button', { name: 'Send the link' }).click();
  await expect(page.getByRole('heading', { name: 'Check your email' })).toBeVisible();
  const link = /(http:\/\/\S+\/reset-password#token=[A-Za-z0-9_-]+)/.exec(await mailText(email, 2))?.[1] ?? '';
  expect(link).toContain('/reset-password#token=');

  // Another browser opens the link.
  const other = await page.context().browser()!.newContext();
  const elsewhere = await other.newPage();
  await elsewhere.goto(link);
  await expect(elsewhere.getByRole('heading', { name: 'Choose a new password' })).toBeVisible();
  await elsewhere.getByLabel('New password', { exact: true }).fill(second);
  await elsewhere.getByLabel('Repeat the new password').fill(second);
  await elsewhere.getByRole('button', { name: 'Set the new password' }).click();
  await expect(elsewhere.getByRole('heading', { name: 'Password changed' })).toBeVisible();
  await other.close();

  await openSignIn(page);
  await page.getByLabel('Email', { exact: true }).fill(email);
  await page.getByRole('button', { name: 'Email me a sign-in code' }).click();
  await expect(page.getByRole('heading', { name: 'Enter your sign-in code' })).toBeVisible();
  await page.getByLabel('Sign-in code', { exact: true }).fill(codeIn(await mailText(email, 3)));
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await expect(page).toHaveURL(`${portal.url}/account`);
  await expect(page.getByRole('heading', { name: 'Your account' })).toBeVisible();
});
