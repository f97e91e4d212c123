/**
 * Sessions for everyone (issue 11): the account screen lists the person's signed-in browsers and
 * ends one or all the others, with the provider session and refresh tokens behind each; an admin
 * does the same from the user page. Through the real app, provider and database, on both databases.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestApp, type TestApp } from '../testing/test-app.ts';
import { signedInAgent, type Agent } from '../testing/agent.ts';
import { createAccount } from '../accounts/accounts.ts';

const PASSWORD = 'correct horse battery staple';
const CHROME_ON_WINDOWS = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.6099.71 Safari/537.36';

interface Listed {
  handle: string;
  browser: string;
  os: string;
  ip: string | null;
  createdAt: number;
  lastActiveAt: number;
  current: boolean;
}

const signedIn = async (a: Agent) => ((await (await a.api('GET', '/bff/session')).json()) as { authenticated: boolean }).authenticated;
const list = async (a: Agent) => ((await (await a.api('GET', '/bff/account/sessions')).json()) as { sessions: Listed[] }).sessions;

for (const db of ['sqlite', 'postgres'] as const) {
  describe(`signed-in browsers (${db})`, () => {
    let app: TestApp;
    before(async () => {
      app = await startTestApp({ db, env: { SESSION_CACHE_MS: '0' } });
    });
    after(() => app.close());

    it('lists them with browser, system, address and times, and marks this device', async () => {
      const u = await createAccount(app.store, { email: 'list@example.com', password: PASSWORD }, Date.now());
      const here = await signedInAgent(app.url, 'list@example.com', PASSWORD);
      await signedInAgent(app.url, 'list@example.com', PASSWORD);
      // A sign-in from a desktop Chrome, as the callback records it.
      await app.sessions.create(u.id, { access_token: 'unused' }, Date.now() + 600_000, { userAgent: CHROME_ON_WINDOWS, ip: '203.0.113.9' });
      const sessions = await list(here);
      assert.equal(sessions.length, 3);
      assert.equal(sessions.filter((s) => s.current).length, 1);
      const chrome = sessions.find((s) => s.ip === '203.0.113.9')!;
      assert.deepEqual([chrome.browser, chrome.os, chrome.current], ['Chrome 120', 'Windows 10', false]);
      const signedInHere = sessions.filter((s) => s.ip !== '203.0.113.9');
      assert.ok(
        signedInHere.every((s) => /127\.0\.0\.1/.test(s.ip ?? '') && s.lastActiveAt >= s.createdAt),
        JSON.stringify(signedInHere),
      );
      // Handles stand for sessions; the ids the cookies seal never leave the server.
      const rows = await app.store.bffSessions.listForUser(u.id, Date.now());
      assert.ok(rows.every((r) => !JSON.stringify(sessions).includes(r.id)));
      assert.equal(rows.filter((r) => r.data.userAgent === 'node').length, 2, 'the sign-in recorded its user agent');
    });

    it('signs one out with its provider session, and then all the others; this one stays', async () => {
      const u = await createAccount(app.store, { email: 'out@example.com', password: PASSWORD }, Date.now());
      const here = await signedInAgent(app.url, 'out@example.com', PASSWORD);
      const two = await signedInAgent(app.url, 'out@example.com', PASSWORD);
      const three = await signedInAgent(app.url, 'out@example.com', PASSWORD);
      assert.equal((await app.store.oidcOwners.sessions(u.id)).length, 3);
      const other = (await list(two)).find((s) => s.current)!;
      const res = await here.api('DELETE', `/bff/account/sessions/${other.handle}`);
      assert.equal(res.status, 200);
      assert.equal(await signedIn(two), false);
      assert.equal(await signedIn(three), true);
      assert.equal((await app.store.oidcOwners.sessions(u.id)).length, 2, 'its provider session ended with it');
      const again = await here.api('DELETE', `/bff/account/sessions/${other.handle}`);
      assert.deepEqual([again.status, ((await again.json()) as { error: string }).error], [404, 'session_not_found']);

      const all = await here.api('POST', '/bff/account/sessions/sign-out-others', {});
      assert.deepEqual(await all.json(), { ok: true, ended: 1 });
      assert.equal(await signedIn(three), false);
      assert.equal(await signedIn(here), true);
      assert.equal((await list(here)).length, 1);
      assert.equal((await app.store.oidcOwners.sessions(u.id)).length, 1);
      assert.deepEqual(
        (await app.store.audit.list({ subjectId: u.id }))
          .map((e) => e.kind)
          .filter((k) => k.startsWith('session'))
          .reverse(),
        ['session_ended', 'sessions_revoked'],
      );
      // Another person's handle is not found, not ended.
      const stranger = await createAccount(app.store, { email: 'stranger@example.com', password: PASSWORD }, Date.now());
      const theirs = await signedInAgent(app.url, stranger.email, PASSWORD);
      const [theirSession] = await list(theirs);
      assert.equal((await here.api('DELETE', `/bff/account/sessions/${theirSession!.handle}`)).status, 404);
      assert.equal(await signedIn(theirs), true);
    });

    it("an admin sees a user's sessions, ends one, and signs them out everywhere", async () => {
      await createAccount(app.store, { email: 'boss@example.com', password: PASSWORD, role: 'admin' }, Date.now());
      const admin = await signedInAgent(app.url, 'boss@example.com', PASSWORD);
      const u = await createAccount(app.store, { email: 'helped@example.com', password: PASSWORD }, Date.now());
      const [a, b, c] = [
        await signedInAgent(app.url, u.email, PASSWORD),
        await signedInAgent(app.url, u.email, PASSWORD),
        await signedInAgent(app.url, u.email, PASSWORD),
      ];
      const page = (await (await admin.api('GET', `/bff/admin/users/${u.id}`)).json()) as { sessions: Listed[] };
      assert.equal(page.sessions.length, 3);
      assert.ok(page.sessions.every((s) => !s.current));
      const aHandle = (await list(a)).find((s) => s.current)!.handle;
      assert.equal((await admin.api('DELETE', `/bff/admin/users/${u.id}/sessions/${aHandle}`)).status, 200);
      assert.deepEqual([await signedIn(a), await signedIn(b)], [false, true]);
      const everywhere = await admin.api('POST', `/bff/admin/users/${u.id}/sessions/sign-out-everywhere`, {});
      assert.deepEqual(await everywhere.json(), { ok: true, ended: 2 });
      assert.deepEqual([await signedIn(b), await signedIn(c), await signedIn(admin)], [false, false, true]);
      assert.deepEqual(await app.store.oidcOwners.sessions(u.id), []);
      const [entry] = await app.store.audit.list({ kind: 'sessions_revoked', subjectId: u.id });
      assert.deepEqual(entry!.data, { reason: 'admin_sign_out_everywhere', bffSessions: 2, providerSessions: 0 });
    });
  });
}
