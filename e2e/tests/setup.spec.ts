/**
 * First run: the one-time setup link creates the first admin, then works no more.
 * The suite's database starts empty and no other spec seeds an admin, so this
 * is the first-run state the link needs.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { NODE, PORTAL_URL, ROOT, e2eDatabaseUrl, portalEnv } from '../fixtures/env.ts';
import { expect, test } from '../fixtures/test.ts';

/** `portal setup-link`, as an operator would run it against the same database. */
function setupLinkFromCli(): string {
  const r = spawnSync(NODE, ['bff/cli.ts', 'setup-link'], { cwd: ROOT, env: portalEnv(e2eDatabaseUrl()), encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`portal setup-link exited ${r.status}: ${r.stderr}${r.stdout}`);
  return (JSON.parse(r.stdout) as { link: string }).link;
}

test('the setup link creates the first admin once, then says it was used', async ({ browser, page }) => {
  const link = setupLinkFromCli();
  expect(link).toMatch(new RegExp(`^${PORTAL_URL}/setup#token=[\\w-]+$`));

  const admin = { name: 'First Admin', email: `admin-${randomBytes(4).toString('hex')}@example.com`, password: 'a long admin passphrase 42' };
  await page.goto(link);
  await expect(page.getByRole('heading', { name: 'Create the first administrator' })).toBeVisible();
  await page.getByLabel('Name', { exact: true }).fill(admin.name);
  await page.getByLabel('Email', { exact: true }).fill(admin.email);
  await page.getByLabel('Password', { exact: true }).fill(admin.password);
  await page.getByRole('button', { name: 'Create administrator' }).click();
  await expect(page.getByRole('heading', { name: 'Administrator created' })).toBeVisible();

  // The new admin signs in through the regular sign-in screen.
  await page.getByRole('link', { name: 'Sign in' }).click();
  await expect(page).toHaveURL(/\/interaction\/[^/]+$/);
  await page.getByLabel('Email', { exact: true }).fill(admin.email);
  await page.getByLabel('Password', { exact: true }).fill(admin.password);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await expect(page).toHaveURL(`${PORTAL_URL}/account`);
  const details = page.getByRole('region', { name: 'Your details' });
  await expect(details.getByRole('definition').filter({ hasText: admin.email })).toBeVisible();
  await expect(details.getByRole('definition').filter({ hasText: 'Administrator' })).toBeVisible();
  await expect(details.getByRole('link', { name: 'Partner apps' })).toBeVisible();

  // The same link, opened again (a fresh browser, as someone else would), is spent.
  const other = await browser.newPage();
  await other.goto(link);
  await expect(other.getByRole('heading', { name: 'This setup link cannot be used' })).toBeVisible();
  await expect(other.getByText('already used or has expired')).toBeVisible();
  await expect(other.getByRole('button', { name: 'Create administrator' })).toHaveCount(0);
  await other.close();

  // And the API behind the screen agrees.
  const token = new URL(link).hash.replace(/^#token=/, '');
  const check = await page.request.get(`/bff/setup?token=${encodeURIComponent(token)}`);
  expect(check.status()).toBe(410);
  expect(await check.json()).toMatchObject({ error: 'setup_token_invalid' });

  // With an admin in place the CLI refuses to mint another link.
  const again = spawnSync(NODE, ['bff/cli.ts', 'setup-link'], { cwd: ROOT, env: portalEnv(e2eDatabaseUrl()), encoding: 'utf8' });
  expect(again.status).not.toBe(0);
});
