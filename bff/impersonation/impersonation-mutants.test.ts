/**
 * An impersonation's life after the start policy (policy-mutants.test.ts),
 * where mutation testing (docs/mutation.md) found it unchecked: what a
 * completed one records (the audit entry, the session bound to its time
 * limit), each way it ends (stop, stop after the admin's own session is gone,
 * logout, expiry, a request never completed) with its audit entry and what it
 * revokes, and the sign-in-as step: only in the asking admin's browser, while
 * the request is open, within five minutes (to the millisecond), and not for a
 * target disabled meanwhile. Then (third session) what the claims hook and the
 * session hooks decide: a request signs in once (a second sign-in-as or a second
 * callback is refused), a target promoted to admin meanwhile, a plain logout and a
 * plain gone session, a machine client's token, a refresh token up to the time
 * limit to the millisecond, an exchanged token carrying the impersonation, the
 * admin handed back only once the time is up, and accounts deleted underneath.
 * Then (fourth session) a code from a sign-in-as step of a request stopped
 * meanwhile refused at the code exchange, the callback refusing tokens that are
 * not its own request's (another request's, the target's own password sign-in),
 * and a sweep counting only what it ended itself.
 * Through the real app, provider and database, on SQLite and PostgreSQL.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestApp, type TestApp } from '../testing/test-app.ts';
import { Agent, signedInAgent } from '../testing/agent.ts';
import { createAccount } from '../accounts/accounts.ts';
import type { User } from '../store/store.ts';
import { decodeJwt } from 'jose';
import { createResource, registerMachineClient } from '../oauth/machine.ts';
import { BFF_CLIENT_ID, bffClientSecret } from '../session/oidc-client.ts';
import { tokenEndpoint } from '../testing/partner.ts';
import { ACCESS_TOKEN_TYPE, TOKEN_EXCHANGE_GRANT } from '../oauth/token-exchange.ts';
import { expireImpersonations } from './impersonation.ts';
import { impersonate, sessionRow } from './test-helpers.ts';

const PASSWORD = 'correct horse battery staple';
const REASON = 'Customer asked for help with billing settings';
const INVALID_HERE = {
  error: 'impersonation_invalid',
  message: 'This impersonation request is not valid in this browser any more. Start again from the impersonation screen.',
};

const INVALID_NOW = {
  error: 'impersonation_invalid',
  message: 'This impersonation request is not valid any more. Start again from the impersonation screen.',
};

for (const db of ['sqlite', 'postgres'] as const) {
  describe(`an impersonation's life (${db})`, () => {
    let app: TestApp;
    let admin: User;
    let user: User;
    before(async () => {
      app = await startTestApp({ db, env: { SESSION_CACHE_MS: '0' } });
      admin = await createAccount(app.store, { email: 'root@example.com', password: PASSWORD, name: 'Root', role: 'admin' }, Date.now());
      user = await createAccount(app.store, { email: 'uma@example.com', password: PASSWORD, name: 'Uma' }, Date.now());
    });
    after(() => app.close());

    /** One admin browser for the tests below, each leaving it signed in as the admin (every admin sign-in spends a TOTP step or a recovery code). */
    let shared: Agent | null = null;
    const adminBrowser = async () => (shared ??= await signedInAgent(app.url, admin.email, PASSWORD));
    const lastAudit = async (kind: string) => (await app.store.audit.list({ kind, subjectId: user.id, limit: 1 }))[0]!;
    /** The impersonation running in this browser, from its session row. */
    const running = async (agent: Agent) => {
      const row = await sessionRow(app, agent);
      const id = (row.data.impersonation as { id: string }).id;
      return { row, imp: (await app.store.impersonations.find(id))! };
    };
    /** Asks for an impersonation and stops before the provider's sign-in-as step; returns the URL and the record. */
    const ask = async (agent: Agent, durationMinutes?: number) => {
      const res = await agent.api('POST', '/bff/impersonation/start', { userId: user.id, reason: REASON, durationMinutes });
      assert.equal(res.status, 200);
      const { redirectTo } = (await res.json()) as { redirectTo: string };
      const id = (await app.store.audit.list({ kind: 'impersonation_requested', actorId: admin.id, limit: 1 }))[0]!.data.impersonationId as string;
      return { redirectTo, imp: (await app.store.impersonations.find(id))! };
    };
    /** The sign-in-as step in `agent`'s browser for a redirect from `ask`: the provider's interaction, then its answer. */
    const signInAs = async (agent: Agent, redirectTo: string) => {
      const { url } = await agent.follow(redirectTo, (u) => u.pathname.startsWith('/interaction/'));
      const uid = url.pathname.split('/')[2]!;
      const res = await agent.api('POST', `/bff/interaction/${uid}/impersonate`, {});
      return [res.status, await res.json()] as [number, Record<string, unknown>];
    };

    it('records a completed one exactly, binds its session to the time limit, and stopping ends it with everything behind it', async () => {
      const agent = await signedInAgent(app.url, admin.email, PASSWORD);
      const adminRow = await sessionRow(app, agent);
      assert.equal((await impersonate(agent, { userId: user.id, reason: REASON, durationMinutes: 20 })).status, 200);
      const { row, imp } = await running(agent);
      assert.deepEqual(
        [imp.adminId, imp.targetId, imp.adminSessionId, imp.sessionId, imp.endedAt, imp.expiresAt - imp.startedAt],
        [admin.id, user.id, adminRow.id, row.id, null, 20 * 60_000],
      );
      assert.ok(imp.grantId, 'the grant is recorded, to revoke at the end');
      const op = agent.jar.get('portal_op'); // the provider's session cookie over http (oauth/provider.ts)
      assert.ok(op && !/expires|max-age/i.test(op.attrs), `the provider session of an impersonation is not remembered: ${op?.attrs}`);
      assert.deepEqual([row.userId, row.expiresAt], [user.id, imp.expiresAt], 'the session ends with the impersonation');
      const started = await lastAudit('impersonation_started');
      assert.deepEqual(
        [started.actorId, started.data],
        [
          admin.id,
          { impersonationId: imp.id, reason: REASON, durationMinutes: 20, targetEmail: user.email, adminEmail: admin.email, expiresAt: imp.expiresAt },
        ],
      );
      assert.ok(started.ip && started.userAgent, 'the browser is recorded');

      const stop = await agent.api('POST', '/bff/impersonation/stop');
      assert.deepEqual(await stop.json(), { redirectTo: '/admin/impersonate' });
      const ended = (await app.store.impersonations.find(imp.id))!;
      assert.equal(ended.endReason, 'stopped');
      assert.notEqual(ended.endedAt, null);
      assert.notEqual((await app.store.bffSessions.find(row.id))!.revokedAt, null, 'the impersonation session is revoked');
      assert.equal((await app.store.bffSessions.find(adminRow.id))!.revokedAt, null, 'the admin session goes on');
      assert.equal(await app.provider.Grant.find(imp.grantId!), undefined, 'the grant is gone');
      const stopped = await lastAudit('impersonation_stopped');
      assert.deepEqual([stopped.actorId, stopped.data], [admin.id, { impersonationId: imp.id, adminId: admin.id, reason: REASON, endedBy: 'stopped' }]);
      assert.ok(stopped.ip && stopped.userAgent, 'the browser that stopped it is recorded');

      const again = await agent.api('POST', '/bff/impersonation/stop');
      assert.deepEqual([again.status, await again.json()], [400, { error: 'not_impersonating', message: 'You are not impersonating anyone.' }]);
    });

    it('stopping after the admin’s own session has gone signs the browser out', async () => {
      const agent = await signedInAgent(app.url, admin.email, PASSWORD);
      assert.equal((await impersonate(agent, { userId: user.id, reason: REASON })).status, 200);
      const { imp } = await running(agent);
      await app.store.bffSessions.revoke(imp.adminSessionId!, Date.now());
      const stop = await agent.api('POST', '/bff/impersonation/stop');
      assert.deepEqual(await stop.json(), { redirectTo: '/' });
      const cookieName = app.deps.cookies.session.cookieName;
      const cleared = stop.headers.getSetCookie().find((c) => c.startsWith(`${cookieName}=`));
      assert.ok(cleared && /max-age=0|expires=thu, 01 jan 1970/i.test(cleared), `the session cookie is cleared: ${cleared}`);
      assert.deepEqual(await (await agent.api('GET', '/bff/session')).json(), { authenticated: false });
      assert.equal((await app.store.impersonations.find(imp.id))!.endReason, 'stopped');
    });

    it('signing out while impersonating ends it, and the admin’s own session too', async () => {
      const agent = await signedInAgent(app.url, admin.email, PASSWORD);
      assert.equal((await impersonate(agent, { userId: user.id, reason: REASON })).status, 200);
      const { row, imp } = await running(agent);
      assert.equal((await agent.api('POST', '/bff/logout')).status, 200);
      assert.equal((await app.store.impersonations.find(imp.id))!.endReason, 'logout');
      assert.notEqual((await app.store.bffSessions.find(row.id))!.revokedAt, null);
      assert.notEqual((await app.store.bffSessions.find(imp.adminSessionId!))!.revokedAt, null, 'the admin is signed out entirely');
      const stopped = await lastAudit('impersonation_stopped');
      assert.deepEqual([stopped.actorId, stopped.data], [admin.id, { impersonationId: imp.id, adminId: admin.id, reason: REASON, endedBy: 'logout' }]);
    });

    it('the sign-in-as step works only in the asking admin’s browser, while the request is open, and not for a target disabled meanwhile', async () => {
      const agent = await signedInAgent(app.url, admin.email, PASSWORD);
      const elsewhere = await signedInAgent(app.url, admin.email, PASSWORD);
      const { redirectTo, imp } = await ask(agent);
      assert.deepEqual(await signInAs(elsewhere, redirectTo), [403, INVALID_HERE], 'the same admin in another browser');
      assert.deepEqual(await signInAs(new Agent(app.url), redirectTo), [403, INVALID_HERE], 'a browser signed in to nothing');
      assert.equal((await signInAs(agent, redirectTo))[0], 200);
      assert.equal((await app.store.impersonations.find(imp.id))!.sessionId, null, 'never completed in this test');

      // Ended by the sweep (a one-minute limit) while the five minutes to sign in are still open.
      const swept = await ask(agent, 1);
      try {
        app.clock.offset = 61_000;
        await expireImpersonations(app.deps);
        assert.equal((await app.store.impersonations.find(swept.imp.id))!.endReason, 'abandoned');
        assert.deepEqual(await signInAs(agent, swept.redirectTo), [403, INVALID_HERE], 'an ended request');
      } finally {
        app.clock.offset = 0;
      }

      const other = await createAccount(app.store, { email: 'otto@example.com', password: PASSWORD }, Date.now());
      const fresh = await signedInAgent(app.url, admin.email, PASSWORD);
      const start = await fresh.api('POST', '/bff/impersonation/start', { userId: other.id, reason: REASON });
      const { redirectTo: toOther } = (await start.json()) as { redirectTo: string };
      await app.store.users.setDisabled(other.id, true, Date.now());
      assert.deepEqual(await signInAs(fresh, toOther), [403, { error: 'impersonation_invalid', message: 'That user can no longer be impersonated.' }]);
    });

    it('the sign-in-as step is open for five minutes after asking, to the millisecond', async () => {
      const agent = await signedInAgent(app.url, admin.email, PASSWORD);
      // The injected clock stands still at an exact instant (the provider keeps real time).
      const at = (instant: number) => Object.defineProperty(app.clock, 'offset', { get: () => instant - Date.now(), configurable: true });
      try {
        const last = await ask(agent);
        at(last.imp.startedAt + 5 * 60_000);
        assert.equal((await signInAs(agent, last.redirectTo))[0], 200, 'exactly five minutes is still in time');
        Object.defineProperty(app.clock, 'offset', { value: 0, writable: true, configurable: true });
        const late = await ask(agent);
        at(late.imp.startedAt + 5 * 60_000 + 1);
        assert.deepEqual(await signInAs(agent, late.redirectTo), [403, INVALID_HERE]);
      } finally {
        Object.defineProperty(app.clock, 'offset', { value: 0, writable: true, configurable: true });
      }
    });

    it('expiry ends each open one once, server-side, audited with no actor; a request never completed ends without an entry', async () => {
      // Whatever earlier tests left open ends first, so the counts below are this test's own.
      app.clock.offset = 2 * 60 * 60_000;
      try {
        await expireImpersonations(app.deps);
      } finally {
        app.clock.offset = 0;
      }
      const agent = await signedInAgent(app.url, admin.email, PASSWORD);
      const abandoned = await ask(agent, 1);
      assert.equal((await impersonate(agent, { userId: user.id, reason: REASON, durationMinutes: 1 })).status, 200);
      const { row, imp } = await running(agent);
      try {
        app.clock.offset = 61_000;
        assert.equal(await expireImpersonations(app.deps), 2);
        assert.equal(await expireImpersonations(app.deps), 0, 'each ends once');
      } finally {
        app.clock.offset = 0;
      }
      assert.equal((await app.store.impersonations.find(abandoned.imp.id))!.endReason, 'abandoned');
      assert.equal((await app.store.impersonations.find(imp.id))!.endReason, 'expired');
      assert.notEqual((await app.store.bffSessions.find(row.id))!.revokedAt, null);
      const expired = await app.store.audit.list({ kind: 'impersonation_expired', subjectId: user.id });
      assert.deepEqual(
        expired.filter((e) => e.data.impersonationId === abandoned.imp.id || e.data.impersonationId === imp.id).map((e) => [e.actorId, e.ip, e.data]),
        [[null, null, { impersonationId: imp.id, adminId: admin.id, reason: REASON, endedBy: 'expired' }]],
      );
    });

    it('a request signs in once: a second sign-in-as, and a second callback, after the first completed are refused', async () => {
      const agent = await adminBrowser();
      const { redirectTo, imp } = await ask(agent);
      /**
       * The same browser as it was at this point (the BFF's cookies copied), to replay later steps from. Without the
       * provider's session cookie: signing in as the target renews that session, and a copy of the old cookie would
       * only meet oidc-provider's own "interaction session and authentication session mismatch".
       */
      const copy = () => {
        const twin = new Agent(app.url);
        for (const [name, c] of agent.jar) if (!name.startsWith('portal_op')) twin.jar.set(name, { ...c });
        return twin;
      };
      const replay = copy();
      const second = copy();
      const [status1, step1] = await signInAs(agent, redirectTo);
      const [status2, step2] = await signInAs(second, redirectTo);
      assert.deepEqual([status1, status2], [200, 200], 'both steps are taken before either completes');
      const { url: landed } = await agent.follow(step1.redirectTo as string);
      assert.equal(landed.pathname, '/account');
      const { row } = await running(agent);
      assert.equal((await app.store.impersonations.find(imp.id))!.sessionId, row.id);

      assert.deepEqual(await signInAs(replay, redirectTo), [403, INVALID_HERE], 'a new sign-in-as for a completed request');
      const { res } = await second.follow(step2.redirectTo as string);
      assert.deepEqual(
        [res.status, await res.json()],
        [403, { error: 'impersonation_invalid', message: 'This impersonation request is not valid any more. Start again from the impersonation screen.' }],
        'the second callback',
      );
      assert.equal((await app.store.impersonations.find(imp.id))!.sessionId, row.id, 'still bound to the first session');
      await agent.api('POST', '/bff/impersonation/stop');
    });

    it('the sign-in-as step is refused for a target made an administrator meanwhile', async () => {
      const other = await createAccount(app.store, { email: 'ada@example.com', password: PASSWORD }, Date.now());
      const agent = await adminBrowser();
      const start = await agent.api('POST', '/bff/impersonation/start', { userId: other.id, reason: REASON });
      const { redirectTo } = (await start.json()) as { redirectTo: string };
      await app.store.users.update(other.id, { role: 'admin' }, Date.now());
      assert.deepEqual(await signInAs(agent, redirectTo), [403, { error: 'impersonation_invalid', message: 'That user can no longer be impersonated.' }]);
    });

    it('signing out without impersonating is a plain logout', async () => {
      const agent = await signedInAgent(app.url, user.email, PASSWORD);
      const row = await sessionRow(app, agent);
      const out = await agent.api('POST', '/bff/logout');
      assert.equal(out.status, 200);
      assert.notEqual((await app.store.bffSessions.find(row.id))!.revokedAt, null);
      assert.deepEqual(await (await agent.api('GET', '/bff/session')).json(), { authenticated: false });
      // A plain session that is gone under its cookie (revoked elsewhere): signed out, no impersonation to resume from.
      const other = await signedInAgent(app.url, user.email, PASSWORD);
      await app.store.bffSessions.revoke((await sessionRow(app, other)).id, Date.now());
      const gone = await other.api('GET', '/bff/session');
      assert.deepEqual([gone.status, await gone.json()], [200, { authenticated: false }]);
    });

    it('a machine client’s token (no authorization code or refresh token behind it) passes the claims hook untouched', async () => {
      const orders = 'https://orders.example';
      await createResource(app.store, { identifier: orders, scopes: ['orders:read'] }, Date.now());
      const { client, secret } = await registerMachineClient(app.store, { name: 'Nightly export', scopes: ['orders:read'] }, Date.now());
      const discovery = (await (await fetch(`${app.config.issuer}/.well-known/openid-configuration`)).json()) as { token_endpoint: string };
      const res = await fetch(discovery.token_endpoint, {
        method: 'POST',
        headers: {
          authorization: `Basic ${Buffer.from(`${encodeURIComponent(client.clientId)}:${encodeURIComponent(secret!)}`).toString('base64')}`,
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: new URLSearchParams({ grant_type: 'client_credentials', resource: orders, scope: 'orders:read' }),
      });
      const body = (await res.json()) as { access_token?: string };
      assert.equal(res.status, 200, JSON.stringify(body));
      const claims = decodeJwt(body.access_token!);
      assert.deepEqual([claims.client_id, claims.act, claims.impersonator], [client.clientId, undefined, undefined]);
    });

    it('its refresh token works until the time limit, to the millisecond, even before the sweep ends it', async () => {
      const agent = await adminBrowser();
      assert.equal((await impersonate(agent, { userId: user.id, reason: REASON })).status, 200);
      const { row, imp } = await running(agent);
      const { token_endpoint: tokenEndpoint } = (await (await fetch(`${app.config.issuer}/.well-known/openid-configuration`)).json()) as {
        token_endpoint: string;
      };
      const refresh = async (refreshToken: string) => {
        const res = await fetch(tokenEndpoint, {
          method: 'POST',
          headers: {
            authorization: `Basic ${Buffer.from(`${BFF_CLIENT_ID}:${encodeURIComponent(bffClientSecret(app.config))}`).toString('base64')}`,
            'content-type': 'application/x-www-form-urlencoded',
          },
          body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken }),
        });
        return [res.status, (await res.json()) as { access_token?: string; refresh_token?: string; error?: string; error_description?: string }] as const;
      };
      // The injected clock stands still at an exact instant (the provider keeps real time).
      const at = (instant: number) => Object.defineProperty(app.clock, 'offset', { get: () => instant - Date.now(), configurable: true });
      try {
        at(imp.expiresAt - 1);
        const [status, body] = await refresh((await app.sessions.tokens(row)).refresh_token!);
        assert.equal(status, 200, JSON.stringify(body));
        const claims = decodeJwt(body.access_token!);
        assert.deepEqual([claims.sub, claims.act, claims.impersonator], [user.id, { sub: admin.id }, { email: admin.email, reason: REASON }]);
        at(imp.expiresAt);
        assert.deepEqual(await refresh(body.refresh_token ?? (await app.sessions.tokens(row)).refresh_token!), [
          400,
          { error: 'invalid_grant', error_description: 'grant request is invalid' },
        ]);
      } finally {
        Object.defineProperty(app.clock, 'offset', { value: 0, writable: true, configurable: true });
      }
      assert.equal((await app.store.impersonations.find(imp.id))!.endedAt, null, 'not swept yet: the hook alone refused');
      await agent.api('POST', '/bff/impersonation/stop');
    });

    it('a token exchanged from an impersonation session’s token carries the impersonation; a plain session’s does not', async () => {
      const ledger = 'https://ledger.example/api';
      await createResource(app.store, { identifier: ledger, scopes: ['ledger:read'] }, Date.now());
      const exchange = async (agent: Agent) => {
        const subject = (await app.sessions.tokens(await sessionRow(app, agent))).access_token;
        const res = await tokenEndpoint(
          app,
          { clientId: BFF_CLIENT_ID, secret: bffClientSecret(app.config) },
          { grant_type: TOKEN_EXCHANGE_GRANT, subject_token_type: ACCESS_TOKEN_TYPE, subject_token: subject, resource: ledger },
        );
        const body = (await res.json()) as { access_token?: string };
        assert.equal(res.status, 200, JSON.stringify(body));
        const claims = decodeJwt(body.access_token!);
        return [claims.sub, claims.aud, claims.act, claims.impersonator];
      };
      const plain = await signedInAgent(app.url, user.email, PASSWORD);
      assert.deepEqual(await exchange(plain), [user.id, ledger, undefined, undefined]);
      const agent = await adminBrowser();
      assert.equal((await impersonate(agent, { userId: user.id, reason: REASON })).status, 200);
      assert.deepEqual(await exchange(agent), [user.id, ledger, { sub: admin.id }, { email: admin.email, reason: REASON }]);
      await agent.api('POST', '/bff/impersonation/stop');
    });

    it('a browser whose impersonation session is gone gets the admin back only once the time is up, from that millisecond on', async () => {
      const session = async (agent: Agent) =>
        (await (await agent.api('GET', '/bff/session')).json()) as { authenticated: boolean; user?: { id: string }; impersonation?: unknown };
      // Ended early (revoked, not expired): the browser is signed out, the impersonation stays for the sweep.
      const agent = await adminBrowser();
      const cookieName = app.deps.cookies.session.cookieName;
      const own = { ...agent.jar.get(cookieName)! };
      assert.equal((await impersonate(agent, { userId: user.id, reason: REASON, durationMinutes: 1 })).status, 200);
      const revoked = await running(agent);
      await app.store.bffSessions.revoke(revoked.row.id, Date.now());
      assert.deepEqual(await session(agent), { authenticated: false });
      assert.equal((await app.store.impersonations.find(revoked.imp.id))!.endedAt, null);
      agent.jar.set(cookieName, own); // back to the admin's own session, which goes on

      // At the time limit exactly: ended as expired, the admin's own session resumes.
      assert.equal((await impersonate(agent, { userId: user.id, reason: REASON, durationMinutes: 1 })).status, 200);
      const { imp } = await running(agent);
      try {
        Object.defineProperty(app.clock, 'offset', { get: () => imp.expiresAt - Date.now(), configurable: true });
        const back = await session(agent);
        assert.deepEqual([back.authenticated, back.user?.id, back.impersonation], [true, admin.id, null]);
      } finally {
        Object.defineProperty(app.clock, 'offset', { value: 0, writable: true, configurable: true });
      }
      const ended = (await app.store.impersonations.find(imp.id))!;
      assert.deepEqual([ended.endReason, ended.endedAt], ['expired', imp.expiresAt]);
      assert.equal((await app.store.impersonations.find(revoked.imp.id))!.endedAt, null, 'the other one is left to the sweep');
    });

    it('an admin account deleted between the sign-in-as step and the callback gets no impersonation session', async () => {
      const other = await createAccount(app.store, { email: 'root2@example.com', password: PASSWORD, name: 'Root Two', role: 'admin' }, Date.now());
      const agent = await signedInAgent(app.url, other.email, PASSWORD);
      const start = await agent.api('POST', '/bff/impersonation/start', { userId: user.id, reason: REASON });
      assert.equal(start.status, 200);
      const { redirectTo } = (await start.json()) as { redirectTo: string };
      const id = (await app.store.audit.list({ kind: 'impersonation_requested', actorId: other.id, limit: 1 }))[0]!.data.impersonationId as string;
      const [status, step] = await signInAs(agent, redirectTo);
      assert.equal(status, 200);
      assert.deepEqual(await app.store.users.delete(other.id), { ok: true });
      const { res } = await agent.follow(step.redirectTo as string);
      assert.deepEqual(
        [res.status, await res.json()],
        [403, { error: 'impersonation_invalid', message: 'This impersonation request is not valid any more. Start again from the impersonation screen.' }],
      );
      assert.equal((await app.store.impersonations.find(id))!.sessionId, null);
    });

    it('ends cleanly when the accounts behind it were deleted: expiry after the target, logout after the admin', async () => {
      // The target deleted while impersonated (its session rows go with it): the sweep still ends it.
      const gone = await createAccount(app.store, { email: 'gone@example.com', password: PASSWORD }, Date.now());
      // Whatever earlier tests left with a one-minute limit ends first, so the count below is this one's.
      try {
        app.clock.offset = 61_000;
        await expireImpersonations(app.deps);
      } finally {
        app.clock.offset = 0;
      }
      const agent = await adminBrowser();
      const cookieName = app.deps.cookies.session.cookieName;
      const own = { ...agent.jar.get(cookieName)! };
      assert.equal((await impersonate(agent, { userId: gone.id, reason: REASON, durationMinutes: 1 })).status, 200);
      const { imp } = await running(agent);
      assert.deepEqual(await app.store.users.delete(gone.id), { ok: true });
      try {
        app.clock.offset = 61_000;
        assert.equal(await expireImpersonations(app.deps), 1);
      } finally {
        app.clock.offset = 0;
      }
      assert.equal((await app.store.impersonations.find(imp.id))!.endReason, 'expired');
      agent.jar.set(cookieName, own);

      // The admin deleted while impersonating (the admin's own session rows go with it): logging out still works.
      const other = await createAccount(app.store, { email: 'root3@example.com', password: PASSWORD, name: 'Root Three', role: 'admin' }, Date.now());
      const browser = await signedInAgent(app.url, other.email, PASSWORD);
      assert.equal((await impersonate(browser, { userId: user.id, reason: REASON })).status, 200);
      const running3 = await running(browser);
      assert.deepEqual(await app.store.users.delete(other.id), { ok: true });
      assert.equal((await browser.api('POST', '/bff/logout')).status, 200);
      assert.equal((await app.store.impersonations.find(running3.imp.id))!.endReason, 'logout');
      assert.notEqual((await app.store.bffSessions.find(running3.row.id))!.revokedAt, null);
    });

    /** The same browser as it is now (the BFF's cookies copied), without the provider's session cookie (see the test above). */
    const twinOf = (agent: Agent) => {
      const twin = new Agent(app.url);
      for (const [name, c] of agent.jar) if (!name.startsWith('portal_op')) twin.jar.set(name, { ...c });
      return twin;
    };

    it('a code from a sign-in-as step taken before the request was stopped is refused at the code exchange: no tokens for an ended impersonation', async () => {
      const agent = await adminBrowser();
      const { redirectTo, imp } = await ask(agent);
      const twin = twinOf(agent);
      const [status1, step1] = await signInAs(agent, redirectTo);
      const [status2, step2] = await signInAs(twin, redirectTo);
      assert.deepEqual([status1, status2], [200, 200], 'both steps are taken before either completes (each its own provider session and grant)');
      assert.equal((await agent.follow(step1.redirectTo as string)).url.pathname, '/account');
      const { row } = await running(agent);
      assert.deepEqual(await (await agent.api('POST', '/bff/impersonation/stop')).json(), { redirectTo: '/admin/impersonate' });
      // Stopped (not expired): the twin's code is still unused and within its grant, so only the claims hook can refuse it.
      const { res } = await twin.follow(step2.redirectTo as string);
      assert.deepEqual([res.status, res.headers.get('content-type')?.split(';')[0]], [400, 'text/html'], 'the callback could not redeem the code');
      assert.match(await res.text(), /grant request is invalid/);
      const ended = (await app.store.impersonations.find(imp.id))!;
      assert.deepEqual([ended.endReason, ended.sessionId], ['stopped', row.id]);
    });

    /** A response's status and body (JSON, or the page's text: an accepted callback lands on the app). */
    const answer = async (res: Response) => [res.status, (res.headers.get('content-type') ?? '').includes('json') ? await res.json() : await res.text()];

    it('the callback takes only its own request’s impersonation tokens: not another request’s, not the target’s own sign-in', async () => {
      const agent = await adminBrowser();
      const olga = await createAccount(app.store, { email: 'olga@example.com', password: PASSWORD, name: 'Olga' }, Date.now());
      // Another open request of this admin's, for Olga: its sign-in-as step is valid in this browser.
      const forOlga = await agent.api('POST', '/bff/impersonation/start', { userId: olga.id, reason: REASON });
      assert.equal(forOlga.status, 200);
      const olgaImp = (await app.store.audit.list({ kind: 'impersonation_requested', actorId: admin.id, limit: 1 }))[0]!.data.impersonationId as string;
      // This browser's transaction is for Uma's request; its authorization request is edited to name Olga's.
      const forUma = await ask(agent);
      const edited = new URL(forUma.redirectTo);
      edited.searchParams.set('impersonation', olgaImp);
      const [status, step] = await signInAs(agent, edited.href);
      assert.equal(status, 200);
      const { res } = await agent.follow(step.redirectTo as string);
      assert.deepEqual(await answer(res), [403, INVALID_NOW], 'Olga’s tokens at the callback of Uma’s request');
      assert.deepEqual(
        [(await app.store.impersonations.find(forUma.imp.id))!.sessionId, (await app.store.impersonations.find(olgaImp))!.sessionId],
        [null, null],
      );

      // Uma's request again, its authorization request stripped of the impersonation: Uma signs in with her own password.
      const again = await ask(agent);
      const plain = new URL(again.redirectTo);
      plain.searchParams.delete('impersonation');
      const { url } = await agent.follow(plain.href, (u) => u.pathname.startsWith('/interaction/'));
      const uid = url.pathname.split('/')[2]!;
      const login = await agent.api('POST', `/bff/interaction/${uid}/login`, { email: user.email, password: PASSWORD });
      const loggedIn = (await login.json()) as { redirectTo?: string };
      assert.equal(login.status, 200, JSON.stringify(loggedIn));
      const { res: back } = await agent.follow(loggedIn.redirectTo!);
      assert.deepEqual(await answer(back), [403, INVALID_NOW], 'Uma’s own tokens (no act) at the callback of a request to impersonate her');
      assert.equal((await app.store.impersonations.find(again.imp.id))!.sessionId, null);
      const mine = (await (await agent.api('GET', '/bff/session')).json()) as { user?: { id: string }; impersonation?: unknown };
      assert.deepEqual([mine.user?.id, mine.impersonation], [admin.id, null], 'the admin’s own session goes on in this browser');
    });

    it('a sweep counts only what it ended itself: one that another sweep ended between its list and its turn is not counted', async () => {
      // Whatever earlier tests left open ends first, so the counts below are this test's own.
      app.clock.offset = 2 * 60 * 60_000;
      try {
        await expireImpersonations(app.deps);
      } finally {
        app.clock.offset = 0;
      }
      const agent = await adminBrowser();
      const cookieName = app.deps.cookies.session.cookieName;
      const own = { ...agent.jar.get(cookieName)! };
      assert.equal((await impersonate(agent, { userId: user.id, reason: REASON, durationMinutes: 1 })).status, 200);
      const { imp } = await running(agent);
      agent.jar.set(cookieName, own);
      // Two portal processes sweeping at once: the other one ends it after this one has listed it.
      const store = app.deps.store;
      let other = -1;
      const racing = Object.assign(Object.create(store) as typeof store, {
        impersonations: {
          ...store.impersonations,
          listExpired: async (now: number) => {
            const due = await store.impersonations.listExpired(now);
            other = await expireImpersonations(app.deps);
            return due;
          },
        },
      });
      try {
        app.clock.offset = 61_000;
        assert.deepEqual([await expireImpersonations({ ...app.deps, store: racing }), other], [0, 1]);
      } finally {
        app.clock.offset = 0;
      }
      assert.equal((await app.store.impersonations.find(imp.id))!.endReason, 'expired');
      const expired = await app.store.audit.list({ kind: 'impersonation_expired', subjectId: user.id });
      assert.equal(expired.filter((e) => e.data.impersonationId === imp.id).length, 1, 'audited once');
    });
  });
}
