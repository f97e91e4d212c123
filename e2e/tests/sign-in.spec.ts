/**
 * End-user sign-in through the SPA and the BFF: the one journey that signs in
 * through the UI (every other spec seeds and signs in without it).
 */
import { unsealData } from 'iron-session';
import type { Page, Response } from '@playwright/test';
import { COOKIE_SECRETS, PORTAL_URL } from '../fixtures/env.ts';
import { expect, screenshot, test, type SeededUser } from '../fixtures/test.ts';

// Over http the portal uses the plain name; over https it is `__Host-portal` (Secure).
const SESSION_COOKIE = 'portal';

async function openSignIn(page: Page): Promise<void> {
  await page.goto('/');
  await page.getByRole('link', { name: 'Sign in' }).click();
  await expect(page).toHaveURL(/\/interaction\/[^/]+$/);
  await expect(page.getByRole('heading', { name: 'Sign in' })).toBeVisible();
}

async function submitCredentials(page: Page, email: string, password: string): Promise<Response> {
  await page.getByLabel('Email', { exact: true }).fill(email);
  await page.getByLabel('Password', { exact: true }).fill(password);
  const answer = page.waitForResponse((r) => /\/bff\/interaction\/[^/]+\/login$/.test(r.url()) && r.request().method() === 'POST');
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  return answer;
}

async function signIn(page: Page, user: SeededUser): Promise<void> {
  await openSignIn(page);
  await submitCredentials(page, user.email, user.password);
  await expect(page).toHaveURL(`${PORTAL_URL}/account`);
}

async function expectAccount(page: Page, user: SeededUser): Promise<void> {
  await expect(page.getByRole('heading', { name: 'Your account' })).toBeVisible();
  const details = page.getByRole('region', { name: 'Your details' });
  await expect(details.getByRole('definition').filter({ hasText: user.name })).toHaveText(user.name);
  await expect(details.getByRole('definition').filter({ hasText: user.email })).toHaveText(user.email);
}

test('a user signs in, stays signed in across a reload, and signs out', async ({ page, seedUser }) => {
  const user = await seedUser();
  await openSignIn(page);
  await screenshot(page, 'sign-in');
  await submitCredentials(page, user.email, user.password);
  await expect(page).toHaveURL(`${PORTAL_URL}/account`);
  await expectAccount(page, user);

  await page.reload();
  await expect(page).toHaveURL(`${PORTAL_URL}/account`);
  await expectAccount(page, user);

  await page.getByRole('button', { name: 'Sign out', exact: true }).click();
  await expect(page).toHaveURL(`${PORTAL_URL}/`);
  await expect(page.getByRole('link', { name: 'Sign in' })).toBeVisible();
  await expect(page.getByRole('button', { name: 'Sign out', exact: true })).toHaveCount(0);
  expect(await (await page.request.get('/bff/session')).json()).toEqual({ authenticated: false });
  expect((await page.context().cookies()).map((c) => c.name)).not.toContain(SESSION_COOKIE);
});

test('signing out also ends the provider session: signing in again asks for the password', async ({ page, seedUser }) => {
  const user = await seedUser();
  await signIn(page, user);
  await page.getByRole('button', { name: 'Sign out', exact: true }).click();
  await expect(page.getByRole('link', { name: 'Sign in' })).toBeVisible();

  await page.getByRole('link', { name: 'Sign in' }).click();
  await expect(page).toHaveURL(/\/interaction\/[^/]+$/, { timeout: 5000 });
  await expect(page.getByLabel('Password', { exact: true })).toBeVisible();
});

test('a wrong password and an unknown email get the same message, shown in place', async ({ page, seedUser }) => {
  const user = await seedUser();
  await openSignIn(page);
  const signInUrl = page.url();

  const wrong = await submitCredentials(page, user.email, 'not the password at all');
  const wrongAlert = page.getByRole('alert');
  await expect(wrongAlert).toBeVisible();
  const wrongMessage = (await wrongAlert.textContent())!.trim();
  expect(wrongMessage).not.toBe('');
  expect(page.url()).toBe(signInUrl);

  const unknown = await submitCredentials(page, `nobody-${Date.now()}@example.com`, 'not the password at all');
  await expect(page.getByRole('alert')).toHaveText(wrongMessage);
  expect(page.url()).toBe(signInUrl);

  // Same status and body, so neither the screen nor the wire tells which one was wrong.
  expect(wrong.status()).toBe(401);
  expect(unknown.status()).toBe(wrong.status());
  expect(await unknown.json()).toEqual(await wrong.json());

  // The form still works after the failures.
  await submitCredentials(page, user.email, user.password);
  await expect(page).toHaveURL(`${PORTAL_URL}/account`);
  await expectAccount(page, user);
});

test('the session cookie is HttpOnly, SameSite=Strict, Path=/ and host-only', async ({ page, seedUser }) => {
  const user = await seedUser();
  const setCookies: string[] = [];
  page.on('response', async (r) => {
    if (new URL(r.url()).pathname === '/bff/callback') {
      for (const h of await r.headersArray()) if (h.name.toLowerCase() === 'set-cookie') setCookies.push(h.value);
    }
  });
  await signIn(page, user);

  const cookie = (await page.context().cookies()).find((c) => c.name === SESSION_COOKIE);
  expect(cookie, 'the session cookie is in the browser').toBeDefined();
  expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/', domain: '127.0.0.1' });
  // Secure and the __Host- prefix are only for https PUBLIC_URLs: a browser drops
  // Secure cookies set over plain http, so this http test portal must not set them.
  expect(cookie!.secure).toBe(false);
  expect((await page.context().cookies()).filter((c) => c.name.startsWith('__Host-'))).toEqual([]);

  // The raw header: no Domain attribute (a host-only cookie is never sent to sibling hosts).
  const header = setCookies.flatMap((v) => v.split('\n')).find((v) => v.startsWith(`${SESSION_COOKIE}=`));
  expect(header, `Set-Cookie for ${SESSION_COOKIE} on /bff/callback (saw: ${setCookies.join(' | ')})`).toBeDefined();
  const attrs = header!
    .split(';')
    .slice(1)
    .map((a) => a.trim().toLowerCase());
  expect(attrs).toEqual(expect.arrayContaining(['httponly', 'samesite=strict', 'path=/']));
  expect(attrs.filter((a) => a.startsWith('domain=') || a === 'secure')).toEqual([]);

  // Not readable from scripts; nor is any other portal cookie; the sign-in transaction cookie is spent.
  expect(await page.evaluate(() => document.cookie)).toBe('');
  expect((await page.context().cookies()).filter((c) => !c.httpOnly).map((c) => c.name)).toEqual([]);
  expect((await page.context().cookies()).map((c) => c.name)).not.toContain('portal-tx');
});

test('a session cookie replayed after sign-out no longer works', async ({ browser, page, seedUser }) => {
  const user = await seedUser();
  await signIn(page, user);
  const stolen = (await page.context().cookies()).find((c) => c.name === SESSION_COOKIE)!;
  expect(stolen).toBeDefined();

  // Control: before sign-out the copied cookie does sign another browser in.
  const before = await browser.newContext({ baseURL: PORTAL_URL });
  await before.addCookies([stolen]);
  expect(await (await before.request.get('/bff/session')).json()).toMatchObject({ authenticated: true, user: { email: user.email } });
  await before.close();

  await page.getByRole('button', { name: 'Sign out', exact: true }).click();
  await expect(page.getByRole('link', { name: 'Sign in' })).toBeVisible();

  const replay = await browser.newContext({ baseURL: PORTAL_URL });
  await replay.addCookies([stolen]);
  expect(await (await replay.request.get('/bff/session')).json()).toEqual({ authenticated: false });
  expect((await replay.request.get('/bff/account')).status()).toBe(401);

  const replayPage = await replay.newPage();
  await replayPage.goto('/account');
  await expect(replayPage).toHaveURL(/\/interaction\/[^/]+$/);
  await expect(replayPage.getByRole('heading', { name: 'Sign in' })).toBeVisible();
  await replay.close();
});

test('no access or refresh token ever reaches the browser', async ({ page, seedUser, store }) => {
  const user = await seedUser();
  const bodies: Array<{ url: string; body: string }> = [];
  const urls: string[] = [];
  page.on('request', (r) => urls.push(r.url()));
  // The SPA's fetches go through the test, so every body is read even when the
  // page navigates away right after (sign-in and sign-out do), which would
  // otherwise discard it before it can be inspected.
  await page.route(`${PORTAL_URL}/bff/**`, async (route) => {
    if (route.request().resourceType() !== 'fetch') return route.continue();
    const res = await route.fetch();
    bodies.push({ url: route.request().url(), body: await res.text() });
    await route.fulfill({ response: res });
  });
  // Everything else the browser loads from the portal (HTML, scripts, redirects).
  const documents: Array<Promise<{ url: string; body: string }>> = [];
  page.on('response', (r) => {
    if (!r.url().startsWith(PORTAL_URL) || r.request().resourceType() === 'fetch') return;
    documents.push(
      r.text().then(
        (body) => ({ url: r.url(), body }),
        () => ({ url: r.url(), body: '' }),
      ),
    );
  });

  await signIn(page, user);
  await expectAccount(page, user);
  await page.reload();
  await expectAccount(page, user);

  // The real tokens of this session, read server-side, to look for them by value too.
  const cookie = (await page.context().cookies()).find((c) => c.name === SESSION_COOKIE)!;
  const password = Object.fromEntries(COOKIE_SECRETS.split(',').map((p) => [p.slice(0, p.indexOf(':')), p.slice(p.indexOf(':') + 1)]));
  const { sid } = await unsealData<{ sid: string }>(decodeURIComponent(cookie.value), { password });
  const row = await store.bffSessions.find(sid);
  const tokens = await unsealData<{ access_token: string; refresh_token?: string; id_token?: string }>(row!.tokens, { password, ttl: 0 });
  const secrets = [tokens.access_token, tokens.refresh_token, tokens.id_token].filter((t): t is string => Boolean(t));
  // access, refresh (offline_access) and ID token: all three are looked for.
  expect(secrets).toHaveLength(3);

  const storage = await page.evaluate(() => {
    const dump = (s: Storage) => Array.from({ length: s.length }, (_, i) => `${s.key(i)}=${s.getItem(s.key(i)!)}`);
    return { local: dump(localStorage), session: dump(sessionStorage), cookie: document.cookie };
  });

  await page.getByRole('button', { name: 'Sign out', exact: true }).click();
  await expect(page.getByRole('link', { name: 'Sign in' })).toBeVisible();

  const seen = [...bodies, ...(await Promise.all(documents))];
  // The check must have looked at something: the signed-in session and the sign-out answer at least.
  expect(bodies.some((b) => b.url.endsWith('/bff/session') && b.body.includes('"authenticated":true'))).toBe(true);
  expect(bodies.some((b) => b.url.endsWith('/bff/logout') && b.body.includes('redirectTo'))).toBe(true);
  for (const { url, body } of bodies) expect(body, url).not.toMatch(/eyJ|refresh_token|access_token|id_token/);
  for (const { url, body } of seen) for (const t of secrets) expect(body, url).not.toContain(t);
  for (const url of urls) for (const t of secrets) expect(url).not.toContain(t);

  const everywhere = [...storage.local, ...storage.session, storage.cookie].join('\n');
  for (const t of secrets) expect(everywhere).not.toContain(t);
  expect(everywhere).not.toMatch(/eyJ|refresh_token|access_token/);
});
