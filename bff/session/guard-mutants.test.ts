/**
 * The checks every `/bff` route makes (session/guard.ts), where mutation
 * testing (docs/mutation.md) asks for each answer exactly: not signed in (no
 * cookie, a forged one, one whose session is gone), not an administrator, an
 * administrator impersonating, an administrator without the required second
 * factor; and the way back from an impersonation whose time ran out: the
 * admin's own session resumes and this browser's cookie names it, so the next
 * request is the admin too. Under MFA_USERS=required, the account screen's
 * guard: closed to a user without a second factor, open to an admin without
 * one (held at the admin screens instead) and to an admin impersonating such a
 * user. Through the real app, provider and database, on SQLite and
 * PostgreSQL.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestApp, type TestApp } from '../testing/test-app.ts';
import { Agent, authorizeThrough, signedInAgent } from '../testing/agent.ts';
import { createAccount } from '../accounts/accounts.ts';
import type { User } from '../store/store.ts';
import { impersonate, sessionRow } from '../impersonation/test-helpers.ts';
import { MFA_SETUP_REQUIRED } from '../mfa/policy.ts';

const PASSWORD = 'correct horse battery staple';
const REASON = 'Customer asked for help with billing settings';
const NOT_SIGNED_IN = { error: 'not_signed_in', message: 'You are not signed in.' };

for (const db of ['sqlite', 'postgres'] as const) {
  describe(`the /bff guards (${db})`, () => {
    let app: TestApp;
    let admin: User;
    let user: User;
    before(async () => {
      app = await startTestApp({ db, env: { SESSION_CACHE_MS: '0' } });
      admin = await createAccount(app.store, { email: 'root@example.com', password: PASSWORD, role: 'admin' }, Date.now());
      user = await createAccount(app.store, { email: 'uma@example.com', password: PASSWORD }, Date.now());
    });
    after(() => app.close());

    const answer = async (agent: Agent, path: string) => {
      const res = await agent.api('GET', path);
      return [res.status, await res.json()];
    };

    it('answers 401 not_signed_in without a cookie, with a forged one, and with one whose session is gone', async () => {
      assert.deepEqual(await answer(new Agent(app.url), '/bff/account'), [401, NOT_SIGNED_IN]);
      assert.deepEqual(await answer(new Agent(app.url), '/bff/admin/users'), [401, NOT_SIGNED_IN]);
      const forged = new Agent(app.url);
      forged.jar.set(app.deps.cookies.session.cookieName, { name: app.deps.cookies.session.cookieName, value: 'Fe26.2**forged', attrs: '' });
      assert.deepEqual(await answer(forged, '/bff/account'), [401, NOT_SIGNED_IN]);
      const gone = await signedInAgent(app.url, user.email, PASSWORD);
      const row = await sessionRow(app, gone);
      assert.equal((await gone.api('GET', '/bff/account')).status, 200);
      await app.store.bffSessions.revoke(row.id, Date.now());
      assert.deepEqual(await answer(gone, '/bff/account'), [401, NOT_SIGNED_IN]);
    });

    it('answers 403 admin_required to a signed-in user on an admin route', async () => {
      const plain = await signedInAgent(app.url, user.email, PASSWORD);
      assert.deepEqual(await answer(plain, '/bff/admin/users'), [403, { error: 'admin_required', message: 'You need to be an administrator to do this.' }]);
    });

    it('answers 403 mfa_setup_required to an admin without the required second factor', async () => {
      const agent = new Agent(app.url);
      const end = await authorizeThrough(agent, '/bff/login?returnTo=/account', { email: admin.email, password: PASSWORD });
      assert.equal(end.pathname, '/account');
      assert.deepEqual(await answer(agent, '/bff/admin/users'), [403, { error: 'mfa_setup_required', message: MFA_SETUP_REQUIRED }]);
    });

    it('refuses admin routes while impersonating, and gives the admin back their session for good when its time runs out', async () => {
      const agent = await signedInAgent(app.url, admin.email, PASSWORD);
      assert.equal((await agent.api('GET', '/bff/admin/users')).status, 200);
      assert.equal((await impersonate(agent, { userId: user.id, reason: REASON, durationMinutes: 1 })).status, 200);
      assert.deepEqual(await answer(agent, '/bff/admin/users'), [
        403,
        { error: 'impersonation_forbidden', message: 'Admin screens are not available while you impersonate a user. Stop impersonating first.' },
      ]);
      const cookieName = app.deps.cookies.session.cookieName;
      const during = agent.jar.get(cookieName)!.value;
      try {
        app.clock.offset = 61_000;
        const first = await agent.api('GET', '/bff/session');
        assert.equal(((await first.json()) as { user: { email: string } }).user.email, admin.email);
        assert.ok(
          first.headers.getSetCookie().some((c) => c.startsWith(`${cookieName}=`)),
          'the cookie now names the admin session',
        );
        assert.notEqual(agent.jar.get(cookieName)!.value, during);
        const second = (await (await agent.api('GET', '/bff/session')).json()) as { user: { email: string }; impersonation: unknown };
        assert.deepEqual([second.user.email, second.impersonation], [admin.email, null]);
        assert.equal((await agent.api('GET', '/bff/admin/users')).status, 200);
      } finally {
        app.clock.offset = 0;
      }
    });
  });

  describe(`the account screen's guard under MFA_USERS=required (${db})`, () => {
    let app: TestApp;
    let admin: User;
    let user: User;
    before(async () => {
      app = await startTestApp({ db, env: { SESSION_CACHE_MS: '0', MFA_USERS: 'required' } });
      admin = await createAccount(app.store, { email: 'root@example.com', password: PASSWORD, role: 'admin' }, Date.now());
      user = await createAccount(app.store, { email: 'uma@example.com', password: PASSWORD }, Date.now());
    });
    after(() => app.close());

    const signInWithoutSetup = async (email: string) => {
      const agent = new Agent(app.url);
      assert.equal((await authorizeThrough(agent, '/bff/login?returnTo=/account', { email, password: PASSWORD })).pathname, '/account');
      return agent;
    };
    const accountOf = async (agent: Agent) => {
      const res = await agent.api('GET', '/bff/account');
      const body = (await res.json()) as { user?: { email: string }; error?: string; message?: string };
      return res.status === 200 ? [200, body.user?.email] : [res.status, body];
    };

    it('closes the account screen to a user without a second factor', async () => {
      const agent = await signInWithoutSetup(user.email);
      assert.deepEqual(await accountOf(agent), [403, { error: 'mfa_setup_required', message: MFA_SETUP_REQUIRED }]);
    });

    it('keeps it open to an admin without one (MFA_ADMINS holds them at the admin screens)', async () => {
      const agent = await signInWithoutSetup(admin.email);
      assert.deepEqual(await accountOf(agent), [200, admin.email]);
      assert.equal((await agent.api('GET', '/bff/admin/users')).status, 403);
    });

    it('shows an admin impersonating a user without one that user’s account as it is', async () => {
      const agent = await signedInAgent(app.url, admin.email, PASSWORD);
      assert.equal((await impersonate(agent, { userId: user.id, reason: REASON })).status, 200);
      try {
        assert.deepEqual(await accountOf(agent), [200, user.email]);
      } finally {
        assert.equal((await agent.api('POST', '/bff/impersonation/stop')).status, 200);
      }
    });
  });
}
