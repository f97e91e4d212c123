/**
 * The impersonation start policy at its edges, where mutation testing
 * (docs/mutation.md) found them unchecked: each limit from both sides (reason
 * length after trimming, duration, the fifteen minutes since the password,
 * counted from the provider's auth_time after a re-authentication),
 * each refusal's exact sentence and its audit entry, and what an accepted
 * request records (its time limit, the default of an hour). Through the real
 * app, provider and database, on SQLite and PostgreSQL. MFA_ADMINS=optional,
 * so the admin proves freshness with a password; one admin here sets up an
 * authenticator app, and from then on a recent code is what counts.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestApp, type TestApp } from '../testing/test-app.ts';
import { authorizeThrough, signedInAgent, type Agent } from '../testing/agent.ts';
import { createAccount } from '../accounts/accounts.ts';
import type { User } from '../store/store.ts';
import { REASON_TOO_LONG, REASON_TOO_SHORT } from '../../api/impersonation.ts';
import { impersonate, sessionRow } from './test-helpers.ts';
import { FRESH_AUTH_MS } from './impersonation.ts';
import { enrolTotp } from '../testing/second-factor.ts';

const PASSWORD = 'correct horse battery staple';
const REASON = 'Customer asked for help with billing settings';

for (const db of ['sqlite', 'postgres'] as const) {
  describe(`impersonation start policy (${db})`, () => {
    let app: TestApp;
    let admin: User;
    let user: User;
    let agent: Agent;
    before(async () => {
      app = await startTestApp({ db, env: { MFA_ADMINS: 'optional' } });
      admin = await createAccount(app.store, { email: 'root@example.com', password: PASSWORD, role: 'admin' }, Date.now());
      user = await createAccount(app.store, { email: 'uma@example.com', password: PASSWORD, name: 'Uma' }, Date.now());
      agent = await signedInAgent(app.url, admin.email, PASSWORD);
    });
    after(() => app.close());

    const start = async (body: Record<string, unknown>) => {
      const res = await agent.api('POST', '/bff/impersonation/start', body);
      return { status: res.status, body: (await res.json()) as { error?: string; message?: string; redirectTo?: string } };
    };
    const lastAudit = async (kind: string) => (await app.store.audit.list({ kind, actorId: admin.id, limit: 1 }))[0]!;

    it('refuses a reason under 10 or over 500 characters (after trimming), with the sentence the form shows', async () => {
      const cases: Array<[string, string, string]> = [
        [`  ${'r'.repeat(9)}  `, 'reason_required', REASON_TOO_SHORT],
        ['r'.repeat(501), 'reason_too_long', REASON_TOO_LONG],
      ];
      for (const [reason, code, message] of cases) {
        const r = await start({ userId: user.id, reason });
        assert.deepEqual([r.status, r.body], [400, { error: code, message }], code);
        const audited = await lastAudit('impersonation_refused');
        assert.deepEqual([audited.subjectId, audited.data], [user.id, { code, reason: reason.trim().slice(0, 500) }], code);
      }
      const empty = await start({ userId: '', reason: 'x' });
      assert.equal(empty.body.error, 'reason_required');
      assert.equal((await lastAudit('impersonation_refused')).subjectId, null, 'no subject when no user was named');
    });

    it('refuses a duration outside 1 to 60 minutes, naming the range', async () => {
      for (const durationMinutes of [0, -5, 61]) {
        const r = await start({ userId: user.id, reason: REASON, durationMinutes });
        assert.deepEqual(
          [r.status, r.body],
          [400, { error: 'invalid_duration', message: 'The duration must be a whole number of minutes from 1 to 60.' }],
          String(durationMinutes),
        );
      }
    });

    it('names each refused target in a sentence', async () => {
      const other = await createAccount(app.store, { email: 'root2@example.com', password: PASSWORD, role: 'admin' }, Date.now());
      const off = await createAccount(app.store, { email: 'off@example.com', password: PASSWORD }, Date.now());
      await app.store.users.setDisabled(off.id, true, Date.now());
      const cases: Array<[string, number, string, string]> = [
        ['no-such-user', 404, 'target_not_found', 'That user does not exist.'],
        [admin.id, 400, 'cannot_impersonate_self', 'You cannot impersonate yourself.'],
        [off.id, 400, 'target_disabled', 'That account is disabled; it cannot be impersonated.'],
        [other.id, 403, 'target_is_admin', 'Administrators cannot be impersonated.'],
      ];
      for (const [userId, status, error, message] of cases) {
        const r = await start({ userId, reason: REASON });
        assert.deepEqual([r.status, r.body], [status, { error, message }], error);
      }
      const plain = await signedInAgent(app.url, user.email, PASSWORD);
      const denied = await plain.api('POST', '/bff/impersonation/start', { userId: admin.id, reason: REASON });
      assert.deepEqual([denied.status, await denied.json()], [403, { error: 'admin_required', message: 'Only administrators can impersonate users.' }]);
    });

    it('accepts the limits themselves, and records the time limit asked for (an hour by default)', async () => {
      const accepted: Array<[Record<string, unknown>, number]> = [
        [{ reason: `  ${'r'.repeat(10)}  `, durationMinutes: 1 }, 1],
        [{ reason: 'r'.repeat(500), durationMinutes: 60 }, 60],
        [{ reason: REASON }, 60],
      ];
      for (const [body, minutes] of accepted) {
        const before = app.deps.now();
        const r = await start({ userId: user.id, ...body });
        assert.equal(r.status, 200, JSON.stringify(r.body));
        assert.match(r.body.redirectTo!, /\/oauth\/authorize\?/);
        const requested = await lastAudit('impersonation_requested');
        assert.deepEqual(requested.data, {
          impersonationId: requested.data.impersonationId,
          reason: String(body.reason).trim(),
          durationMinutes: minutes,
          secondFactor: null,
        });
        const imp = await app.store.impersonations.find(requested.data.impersonationId as string);
        assert.equal(imp!.expiresAt - imp!.startedAt, minutes * 60_000);
        assert.ok(imp!.startedAt >= before && imp!.startedAt <= app.deps.now());
        assert.deepEqual([imp!.adminId, imp!.targetId, imp!.sessionId, imp!.endedAt], [admin.id, user.id, null, null]);
      }
    });

    it('refuses a nested impersonation with its sentence', async () => {
      const nesting = await signedInAgent(app.url, admin.email, PASSWORD);
      assert.equal((await impersonate(nesting, { userId: user.id, reason: REASON })).status, 200);
      const nested = await nesting.api('POST', '/bff/impersonation/start', { userId: user.id, reason: REASON });
      assert.deepEqual(
        [nested.status, await nested.json()],
        [403, { error: 'impersonation_forbidden', message: 'You are already impersonating someone. Stop that first; impersonation cannot be nested.' }],
      );
      assert.equal((await nesting.api('POST', '/bff/impersonation/stop')).status, 200);
    });

    it('asks for the password again fifteen minutes after it was entered', async () => {
      const fresh = await signedInAgent(app.url, admin.email, PASSWORD);
      try {
        app.clock.offset = 14 * 60_000;
        const inTime = await fresh.api('POST', '/bff/impersonation/start', { userId: user.id, reason: REASON });
        assert.equal(inTime.status, 200);
        app.clock.offset = 16 * 60_000;
        const late = await fresh.api('POST', '/bff/impersonation/start', { userId: user.id, reason: REASON });
        assert.deepEqual(
          [late.status, await late.json()],
          [403, { error: 'reauth_required', message: 'For your protection, sign in again (with your password) before impersonating someone.' }],
        );
      } finally {
        app.clock.offset = 0;
      }
    });

    it('holds the fifteen minutes since the password to the millisecond', async () => {
      const fresh = await signedInAgent(app.url, admin.email, PASSWORD);
      const authTime = Number((await sessionRow(app, fresh)).data.authTime);
      assert.ok(Number.isFinite(authTime), 'the session knows when the password was entered');
      // The injected clock stands still at an exact instant (the provider keeps real time).
      const at = (instant: number) => Object.defineProperty(app.clock, 'offset', { get: () => instant - Date.now(), configurable: true });
      try {
        at(authTime + FRESH_AUTH_MS);
        const last = await fresh.api('POST', '/bff/impersonation/start', { userId: user.id, reason: REASON });
        assert.equal(last.status, 200, 'exactly fifteen minutes is still in time');
        at(authTime + FRESH_AUTH_MS + 1);
        const late = await fresh.api('POST', '/bff/impersonation/start', { userId: user.id, reason: REASON });
        assert.deepEqual([late.status, (await late.json()).error], [403, 'reauth_required']);
      } finally {
        Object.defineProperty(app.clock, 'offset', { value: 0, writable: true, configurable: true });
      }
    });

    it('after signing in again with the password, counts the fifteen minutes from the password, not from the new session', async () => {
      const browser = await signedInAgent(app.url, admin.email, PASSWORD);
      // The SPA's "sign in again": the provider asks for the password and says when it was entered (auth_time, whole seconds).
      const end = await authorizeThrough(browser, '/bff/login?reauth=1&returnTo=/admin/impersonate', { email: admin.email, password: PASSWORD });
      assert.equal(end.pathname, '/admin/impersonate');
      const row = await sessionRow(app, browser);
      const authTime = Number(row.data.authTime);
      assert.equal(authTime % 1000, 0, 'from the provider’s auth_time');
      assert.ok(row.createdAt > authTime, 'the session begins after the password was entered');
      // The injected clock stands still at an exact instant (the provider keeps real time).
      const at = (instant: number) => Object.defineProperty(app.clock, 'offset', { get: () => instant - Date.now(), configurable: true });
      try {
        at(authTime + FRESH_AUTH_MS + 1);
        const late = await browser.api('POST', '/bff/impersonation/start', { userId: user.id, reason: REASON });
        assert.deepEqual([late.status, (await late.json()).error], [403, 'reauth_required']);
      } finally {
        Object.defineProperty(app.clock, 'offset', { value: 0, writable: true, configurable: true });
      }
    });

    it("a silent sign-in on a live provider session renews neither the password's time nor the code's", async () => {
      // The provider asks nothing when its session lives on; the BFF still makes a new session of it.
      const silently = async (browser: Agent) => {
        const { url } = await browser.follow('/bff/login?returnTo=/account');
        assert.equal(url.pathname, '/account', 'no password asked');
      };
      const body = { userId: user.id, reason: REASON };
      const browser = await signedInAgent(app.url, admin.email, PASSWORD);
      const passwordAt = Number((await sessionRow(app, browser)).data.authTime);
      assert.equal(passwordAt % 1000, 0, 'from the provider’s auth_time');
      const mfaAdmin = await createAccount(app.store, { email: 'root-silent@example.com', password: PASSWORD, role: 'admin' }, Date.now());
      await enrolTotp(await signedInAgent(app.url, mfaAdmin.email, PASSWORD), mfaAdmin.email);
      // A new browser: the password and a code from the authenticator app.
      const withCode = await signedInAgent(app.url, mfaAdmin.email, PASSWORD);
      const codeAt = ((await sessionRow(app, withCode)).data.secondFactor as { at: number }).at;
      try {
        app.clock.offset = FRESH_AUTH_MS + 60_000;
        await silently(browser);
        assert.equal(Number((await sessionRow(app, browser)).data.authTime), passwordAt, 'still when the password was given');
        const late = await browser.api('POST', '/bff/impersonation/start', body);
        assert.deepEqual([late.status, (await late.json()).error], [403, 'reauth_required']);
        await silently(withCode);
        assert.equal(((await sessionRow(app, withCode)).data.secondFactor as { at: number }).at, codeAt, 'still when the code was given');
        const stale = await withCode.api('POST', '/bff/impersonation/start', body);
        assert.deepEqual([stale.status, (await stale.json()).error], [403, 'mfa_step_up_required']);
      } finally {
        app.clock.offset = 0;
      }
    });

    it('an admin with an authenticator app needs a code from the last fifteen minutes, however fresh the password', async () => {
      const mfaAdmin = await createAccount(app.store, { email: 'root-mfa@example.com', password: PASSWORD, role: 'admin' }, Date.now());
      const agent = await signedInAgent(app.url, mfaAdmin.email, PASSWORD);
      await enrolTotp(agent, mfaAdmin.email);
      const body = { userId: user.id, reason: REASON };
      try {
        app.clock.offset = 14 * 60_000;
        const inTime = await agent.api('POST', '/bff/impersonation/start', body);
        assert.equal(inTime.status, 200, 'the code that confirmed the setup counts for fifteen minutes');
        const requested = (await app.store.audit.list({ kind: 'impersonation_requested', actorId: mfaAdmin.id, limit: 1 }))[0]!;
        assert.equal(requested.data.secondFactor, 'totp');
        app.clock.offset = 16 * 60_000;
        const stale = await agent.api('POST', '/bff/impersonation/start', body);
        assert.deepEqual(
          [stale.status, await stale.json()],
          [
            403,
            {
              error: 'mfa_step_up_required',
              message: 'For your protection, use your passkey or a code from your authenticator app (or a recovery code) before impersonating someone.',
            },
          ],
        );
        const refused = (await app.store.audit.list({ kind: 'impersonation_refused', actorId: mfaAdmin.id, limit: 1 }))[0]!;
        assert.deepEqual([refused.subjectId, refused.data], [user.id, { code: 'mfa_step_up_required', reason: REASON }]);
      } finally {
        app.clock.offset = 0;
      }
    });
  });
}
