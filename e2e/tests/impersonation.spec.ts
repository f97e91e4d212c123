/**
 * Admin impersonation in a real browser: the admin picks a user, writes a
 * reason, chooses a duration and confirms; every screen then shows the banner;
 * admin screens, password changes and nested impersonation are refused; Stop
 * gives the admin back their own session and kills the impersonation's; the
 * user and the audit log see what happened. (Expiry needs an injected clock:
 * bff/impersonation/impersonation.test.ts covers it.)
 */
import { PORTAL_URL } from '../fixtures/env.ts';
import {
  REASON_LABEL,
  TOO_SHORT,
  banner,
  details,
  escapeRe,
  expect,
  expectBanner,
  expectSignedInAs,
  fillImpersonateForm,
  impersonate,
  screenshot,
  signInViaApi,
  spaHeaders,
  stopImpersonating,
  test,
} from '../fixtures/impersonation.ts';

const SESSION_COOKIE = 'portal';

test('an admin impersonates a user with a reason; the banner is on every screen', async ({ page, context, store, seedAdmin, seedUser }) => {
  const admin = await seedAdmin();
  const target = await seedUser();
  const reason = 'Ticket 4711: user cannot find the connected apps list';
  await impersonate(page, context, admin, target, reason, 15);

  await expectBanner(page, store, target, reason, 15);
  await expectSignedInAs(page, target);
  await expect(details(page).getByRole('definition').filter({ hasText: admin.email })).toHaveCount(0);
  await screenshot(page, 'impersonation-banner');

  for (const path of ['/', '/account', '/admin/clients', '/admin/impersonate', '/admin/audit', '/no-such-page']) {
    await page.goto(path);
    await expectBanner(page, store, target, reason, 15);
  }

  // What the SPA draws comes from the BFF's own session answer.
  const session = await (await page.request.get('/bff/session')).json();
  expect(session).toMatchObject({ authenticated: true, user: { email: target.email }, impersonation: { impersonator: { email: admin.email }, reason } });
});

test('while impersonating: no admin screens, no password change, no nested impersonation', async ({ page, context, store, seedAdmin, seedUser }) => {
  const admin = await seedAdmin();
  const target = await seedUser();
  const other = await seedUser();
  await impersonate(page, context, admin, target, 'Checking why the password form fails for them');

  // An admin screen: the refusal, not the screen.
  await page.goto('/admin/clients');
  await expect(page.getByRole('heading', { name: 'Partner apps', level: 1 })).toBeVisible();
  await expect(page.getByRole('alert')).toBeVisible();
  await expect(page.getByRole('heading', { name: 'Register a partner app' })).toHaveCount(0);
  await expect(page.getByRole('heading', { name: 'Partner apps', level: 2 })).toHaveCount(0);
  // The admin navigation is gone as well.
  await expect(page.getByRole('navigation', { name: 'Admin' })).toHaveCount(0);
  const clients = await page.request.get('/bff/admin/clients');
  expect(clients.status()).toBe(403);
  expect(await clients.json()).toMatchObject({ error: 'impersonation_forbidden' });

  // The user's password: refused, with the reason, in the form.
  await page.goto('/account');
  const form = page.getByRole('region', { name: 'Change password' });
  await form.getByLabel('Current password').fill(target.password);
  await form.getByLabel('New password').fill('a brand new password 123');
  const answer = page.waitForResponse((r) => r.url() === `${PORTAL_URL}/bff/account/password` && r.request().method() === 'POST');
  await form.getByRole('button', { name: 'Change password' }).click();
  expect((await answer).status()).toBe(403);
  await expect(form.getByRole('alert')).toHaveText('You are impersonating this user: their password cannot be changed.');
  await expect(form.getByText('Your password has been changed.')).toHaveCount(0);

  // Nested impersonation: the screen refuses, and so does the API behind it.
  await page.goto('/admin/impersonate');
  const refusal = page.getByRole('alert').filter({ hasText: 'You cannot impersonate anyone now' });
  await expect(refusal).toBeVisible();
  await expect(refusal).toContainText('impersonat');
  await expect(page.getByLabel('Search users')).toHaveCount(0);
  await expect(page.getByLabel(REASON_LABEL)).toHaveCount(0);
  const nested = await page.request.post('/bff/impersonation/start', {
    data: { userId: other.id, reason: 'Trying to impersonate from inside an impersonation', durationMinutes: 5 },
    headers: spaHeaders,
  });
  expect(nested.status()).toBe(403);
  expect(await nested.json()).toMatchObject({ error: 'impersonation_forbidden', message: expect.stringMatching(/cannot be nested/) });

  // Still impersonating the same user, nothing else happened.
  await expectBanner(page, store, target, 'Checking why the password form fails for them', 15);
});

test('while impersonating, the admin screens say that impersonation is why they are refused', async ({ page, context, seedAdmin, seedUser }) => {
  const admin = await seedAdmin();
  const target = await seedUser();
  await impersonate(page, context, admin, target, 'Checking what the admin screens say');
  for (const path of ['/admin/clients', '/admin/connections']) {
    await page.goto(path);
    await expect(page.getByRole('alert'), path).toContainText('while you impersonate', { timeout: 3000 });
  }
});

test('Stop: back as the admin, and the impersonation cookie no longer works anywhere', async ({ browser, page, context, seedAdmin, seedUser }) => {
  const admin = await seedAdmin();
  const target = await seedUser();
  await impersonate(page, context, admin, target, 'Walking the user through their settings', 5);
  const stolen = (await context.cookies()).find((c) => c.name === SESSION_COOKIE);
  expect(stolen, 'the impersonation session cookie').toBeDefined();

  // Control: before Stop the copied cookie is the impersonation session in another browser.
  const before = await browser.newContext({ baseURL: PORTAL_URL });
  await before.addCookies([stolen!]);
  expect(await (await before.request.get('/bff/session')).json()).toMatchObject({
    authenticated: true,
    user: { email: target.email },
    impersonation: { reason: 'Walking the user through their settings' },
  });
  await before.close();

  await stopImpersonating(page);
  await expectSignedInAs(page, admin);
  await expect(banner(page)).toHaveCount(0);
  expect(await (await page.request.get('/bff/session')).json()).toMatchObject({ authenticated: true, user: { email: admin.email }, impersonation: null });
  // The admin screens are the admin's again.
  await page.goto('/admin/clients');
  await expect(page.getByRole('heading', { name: 'Register a partner app' })).toBeVisible();

  const replay = await browser.newContext({ baseURL: PORTAL_URL });
  await replay.addCookies([stolen!]);
  expect(await (await replay.request.get('/bff/session')).json()).toEqual({ authenticated: false });
  expect((await replay.request.get('/bff/account')).status()).toBe(401);
  await replay.close();
});

test('a non-admin can reach neither the impersonation screen nor its API', async ({ page, context, seedUser }) => {
  const user = await seedUser();
  const victim = await seedUser();
  await signInViaApi(context, user);

  await page.goto('/admin/impersonate');
  const refusal = page.getByRole('alert').filter({ hasText: 'You cannot impersonate anyone now' });
  await expect(refusal).toBeVisible();
  await expect(refusal).toContainText('administrator');
  await expect(page.getByLabel('Search users')).toHaveCount(0);
  await expect(page.getByRole('radio')).toHaveCount(0);
  await expect(page.getByLabel(REASON_LABEL)).toHaveCount(0);

  const start = await page.request.post('/bff/impersonation/start', {
    data: { userId: victim.id, reason: 'A perfectly long reason that should not matter', durationMinutes: 5 },
    headers: spaHeaders,
  });
  expect(start.status()).toBe(403);
  expect(await start.json()).toMatchObject({ error: 'admin_required' });
  const users = await page.request.get('/bff/admin/users?query=');
  expect(users.status()).toBe(403);

  // Still themselves.
  expect(await (await page.request.get('/bff/session')).json()).toMatchObject({ authenticated: true, user: { email: user.email }, impersonation: null });
  await page.goto('/account');
  await expect(banner(page)).toHaveCount(0);
});

test('a missing or short reason is refused in place, and nothing starts', async ({ page, context, seedAdmin, seedUser }) => {
  const admin = await seedAdmin();
  const target = await seedUser();
  const starts: string[] = [];
  page.on('request', (r) => {
    if (r.url() === `${PORTAL_URL}/bff/impersonation/start`) starts.push(r.method());
  });
  await fillImpersonateForm(page, context, admin, target, '', 5);
  const reason = page.getByLabel(REASON_LABEL);

  // Missing.
  await page.getByRole('button', { name: 'Continue' }).click();
  await expect(reason).toHaveAttribute('aria-invalid', 'true');
  await expect(reason).toHaveAccessibleDescription(new RegExp(escapeRe(TOO_SHORT)));
  await expect(page.getByText(TOO_SHORT)).toBeVisible();
  await expect(page.getByRole('button', { name: 'Start impersonating' })).toHaveCount(0);

  // Nine characters once trimmed, though longer as typed.
  await reason.fill('   123456789   ');
  await page.getByRole('button', { name: 'Continue' }).click();
  await expect(reason).toHaveAttribute('aria-invalid', 'true');
  await expect(page.getByText(TOO_SHORT)).toBeVisible();
  await expect(page.getByText('9 / 500 characters (at least 10)')).toBeVisible();
  await expect(page.getByRole('button', { name: 'Start impersonating' })).toHaveCount(0);

  await expect(page).toHaveURL(`${PORTAL_URL}/admin/impersonate`);
  await expect(banner(page)).toHaveCount(0);
  expect(starts).toEqual([]);

  // The server holds the same line when the screen is bypassed.
  for (const bad of [{}, { reason: '' }, { reason: '   123456789   ' }]) {
    const res = await page.request.post('/bff/impersonation/start', { data: { userId: target.id, durationMinutes: 5, ...bad }, headers: spaHeaders });
    expect(res.status(), JSON.stringify(bad)).toBe(400);
    const body = await res.json();
    if ('reason' in bad) expect(body).toMatchObject({ error: 'reason_required', message: TOO_SHORT });
    else expect(body).toMatchObject({ error: expect.any(String) });
  }
  expect(await (await page.request.get('/bff/session')).json()).toMatchObject({ authenticated: true, user: { email: admin.email }, impersonation: null });
  await page.reload();
  await expect(page.getByLabel('Search users')).toBeVisible();
  await expect(banner(page)).toHaveCount(0);
});

test('the audit log lists the start and the stop, with the reason', async ({ page, context, seedAdmin, seedUser }) => {
  const admin = await seedAdmin();
  const target = await seedUser();
  const reason = `Audit trail check ${Date.now()}`;
  await impersonate(page, context, admin, target, reason, 5);
  await stopImpersonating(page);

  await page.goto('/admin/audit');
  await expect(page.getByRole('heading', { name: 'Audit log', level: 1 })).toBeVisible();
  const filters = page.getByRole('form', { name: 'Filter the audit log' });
  await filters.getByLabel('User email').fill(target.email);
  await filters.getByRole('button', { name: 'Apply filters' }).click();
  await expect(page).toHaveURL(new RegExp(`/admin/audit\\?email=${escapeRe(encodeURIComponent(target.email))}$`));

  const entries = page.getByRole('region', { name: 'Entries' });
  for (const kind of ['impersonation_started', 'impersonation_stopped']) {
    const row = entries.getByRole('row').filter({ has: page.locator('code', { hasText: new RegExp(`^${kind}$`) }) });
    await expect(row, kind).toHaveCount(1);
    await expect(row).toContainText(`Reason: ${reason}`);
    const cells = row.getByRole('cell');
    await expect(cells.nth(3), `${kind}: actor`).toHaveText(admin.email);
    await expect(cells.nth(4), `${kind}: subject`).toHaveText(target.email);
  }
  // Newest first: the stop is above the start.
  const kinds = await entries.locator('tbody tr td:nth-child(3)').allTextContents();
  expect(kinds.indexOf('Impersonation stopped')).toBeLessThan(kinds.indexOf('Impersonation started'));
});

test('the impersonated user sees on their account who impersonated them, when and why', async ({ browser, page, context, store, seedAdmin, seedUser }) => {
  const admin = await seedAdmin();
  const target = await seedUser();
  const reason = 'Helping with a billing question, ticket 99';
  await impersonate(page, context, admin, target, reason, 30);
  await stopImpersonating(page);

  const userContext = await browser.newContext({ baseURL: PORTAL_URL });
  const userPage = await userContext.newPage();
  await signInViaApi(userContext, target);
  await expectSignedInAs(userPage, target);
  await expect(banner(userPage)).toHaveCount(0);

  const history = userPage.getByRole('region', { name: 'Impersonation history' });
  await expect(history).toBeVisible();
  const items = history.getByRole('listitem');
  await expect(items).toHaveCount(1);
  await expect(items).toContainText(admin.name);
  await expect(items).toContainText(admin.email);
  await expect(items).toContainText(`Reason: ${reason}`);
  await expect(items).toContainText('30 minutes');
  // When: exactly the recorded start, not "around now".
  const [started] = await store.audit.list({ kind: 'impersonation_started', subjectId: target.id });
  expect(Date.parse((await items.locator('time').getAttribute('datetime'))!)).toBe(started!.at);
  await userContext.close();
});
