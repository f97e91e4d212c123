/**
 * The BFF's routes (session/routes.ts), each answer exactly, where mutation
 * testing (docs/mutation.md) asks for it: /bff/session signed in and out, the
 * callback's refusals (no transaction, a spent one, a response that does not
 * verify, a cancelled or refused sign-in) and where it lands, and logout with
 * its audit entry. Through the real app, provider and database, on SQLite and
 * PostgreSQL.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { DatabaseSync } from 'node:sqlite';
import pg from 'pg';
import * as oidc from 'openid-client';
import { pino } from 'pino';
import { startTestApp, type TestApp } from '../testing/test-app.ts';
import { Agent, authorizeThrough, signedInAgent } from '../testing/agent.ts';
import { atCallback } from '../testing/outage-checks.ts';
import { createAccount } from '../accounts/accounts.ts';
import { impersonate, sessionRow } from '../impersonation/test-helpers.ts';
import { errorPage } from '../oauth/pages.ts';
import { outagePage } from '../oauth/outage.ts';

const PASSWORD = 'correct horse battery staple';

for (const db of ['sqlite', 'postgres'] as const) {
  describe(`the BFF routes (${db})`, () => {
    let app: TestApp;
    let userId: string;
    before(async () => {
      app = await startTestApp({ db });
      userId = (await createAccount(app.store, { email: 'rob@example.com', password: PASSWORD, name: 'Rob Roe' }, Date.now())).id;
      await createAccount(app.store, { email: 'root@example.com', password: PASSWORD, name: 'Root', role: 'admin' }, Date.now());
      // The browser of testing/outage-checks.ts's atCallback.
      await createAccount(app.store, { email: 'pat@example.com', password: PASSWORD, name: 'Pat Doe' }, Date.now());
    });
    after(() => app.close());

    /** A browser that started a sign-in: the authorization request's state, and the agent holding the transaction cookie. */
    const started = async () => {
      const agent = new Agent(app.url);
      const res = await agent.get('/bff/login?returnTo=/account');
      assert.equal(res.status, 303);
      assert.equal(res.headers.get('cache-control'), 'no-store');
      return { agent, state: new URL(res.headers.get('location')!).searchParams.get('state')! };
    };
    const refusal = async (res: Response, status: number, ...parts: string[]) => {
      assert.equal(res.status, status);
      assert.equal(res.headers.get('cache-control'), 'no-store');
      assert.match(res.headers.get('content-type')!, /^text\/html/);
      const page = await res.text();
      for (const part of parts) assert.ok(page.includes(part), `${part} in ${page}`);
    };

    it('says who is signed in, and nothing more', async () => {
      const out = await new Agent(app.url).api('GET', '/bff/session');
      assert.equal(out.status, 200);
      assert.equal(out.headers.get('cache-control'), 'no-store');
      assert.deepEqual(await out.json(), { authenticated: false });
      const agent = await signedInAgent(app.url, 'rob@example.com', PASSWORD);
      const res = await agent.api('GET', '/bff/session');
      assert.equal(res.headers.get('cache-control'), 'no-store');
      assert.deepEqual(await res.json(), {
        authenticated: true,
        user: { id: userId, email: 'rob@example.com', name: 'Rob Roe', role: 'user' },
        expiresAt: (await sessionRow(app, agent)).expiresAt,
        impersonation: null,
        secondFactorSetupRequired: false,
      });
    });

    it('passes a login hint on, cut to 320 characters, and only a single one', { timeout: 20000 }, async () => {
      const hintAt = async (query: string) => {
        const agent = new Agent(app.url);
        const { url } = await agent.follow(`/bff/login?${query}`, (u) => u.pathname.startsWith('/interaction/'));
        const uid = url.pathname.split('/')[2]!;
        return ((await (await agent.api('GET', `/bff/interaction/${uid}`)).json()) as { loginHint: string | null }).loginHint;
      };
      const long = `${'a'.repeat(330)}@example.com`;
      assert.equal(await hintAt(`login_hint=${long}`), long.slice(0, 320));
      assert.equal(await hintAt('login_hint=one%40example.com&login_hint=two%40example.com'), null);
      assert.equal(await hintAt('returnTo=/account'), null);
    });

    it("shows an impersonation's public facts only, and never asks the impersonated user to set up a second factor", { timeout: 30000 }, async () => {
      const admin = await signedInAgent(app.url, 'root@example.com', PASSWORD);
      const reason = 'Customer asked for help with billing settings';
      assert.equal((await impersonate(admin, { userId, reason })).status, 200);
      const row = await sessionRow(app, admin);
      const imp = row.data.impersonation as Record<string, unknown>;
      const res = await admin.api('GET', '/bff/session');
      assert.deepEqual(await res.json(), {
        authenticated: true,
        user: { id: userId, email: 'rob@example.com', name: 'Rob Roe', role: 'user' },
        expiresAt: row.expiresAt,
        impersonation: { id: imp.id, impersonator: imp.impersonator, reason, expiresAt: imp.expiresAt },
        secondFactorSetupRequired: false,
      });
      assert.ok(Object.keys(imp).length > 4, `the row holds more than is shown: ${Object.keys(imp).join(',')}`);
    });

    it('refuses a callback without a transaction, and a transaction used twice', async () => {
      await refusal(
        await new Agent(app.url).get('/bff/callback?code=x&state=y'),
        400,
        'invalid_request',
        'This sign-in was not started here or has already been completed. Start again.',
      );
      const { agent, state } = await started();
      await refusal(
        await agent.get(`/bff/callback?code=x&state=${state}-not&iss=${encodeURIComponent(app.config.issuer)}`),
        400,
        'invalid_request',
        'The sign-in response could not be verified. Start again.',
      );
      await refusal(
        await agent.get(`/bff/callback?code=x&state=${state}&iss=${encodeURIComponent(app.config.issuer)}`),
        400,
        'This sign-in was not started here or has already been completed. Start again.',
      );
    });

    it("shows a cancelled sign-in as such, and the provider's own description otherwise", async () => {
      const iss = encodeURIComponent(app.config.issuer);
      const a = await started();
      await refusal(await a.agent.get(`/bff/callback?error=access_denied&state=${a.state}&iss=${iss}`), 400, 'access_denied', 'You cancelled the sign-in.');
      const b = await started();
      await refusal(
        await b.agent.get(`/bff/callback?error=login_required&error_description=Sign+in+first&state=${b.state}&iss=${iss}`),
        400,
        'login_required',
        'Sign in first',
      );
    });

    it('lands where the sign-in started, /account for the root, and records when the password was given', async () => {
      const here = new Agent(app.url);
      const t0 = Date.now();
      assert.equal(
        (await authorizeThrough(here, '/bff/login?returnTo=/account/security', { email: 'rob@example.com', password: PASSWORD })).pathname,
        '/account/security',
      );
      // The BFF's client requires auth_time: the provider's, in whole seconds, kept in ms.
      const plain = ((await sessionRow(app, here)).data as { authTime: number }).authTime;
      assert.equal(plain % 1000, 0);
      assert.ok(plain >= Math.floor(t0 / 1000) * 1000 && plain <= Date.now(), `${plain} since ${t0}`);
      // A re-authentication asks for it (max_age=0): the provider's auth_time, in seconds, kept in ms.
      const again = new Agent(app.url);
      assert.equal(
        (await authorizeThrough(again, '/bff/login?reauth=1&returnTo=/account', { email: 'rob@example.com', password: PASSWORD })).pathname,
        '/account',
      );
      const asked = ((await sessionRow(app, again)).data as { authTime: number }).authTime;
      assert.equal(asked % 1000, 0);
      assert.ok(asked >= Math.floor(t0 / 1000) * 1000 && asked <= Date.now(), `${asked} since ${t0}`);
      assert.equal(
        (await authorizeThrough(new Agent(app.url), '/bff/login?returnTo=/', { email: 'rob@example.com', password: PASSWORD })).pathname,
        '/account',
      );
    });

    it("stores the first access token's expiry: the provider's lifetime for it, counted from the callback", async () => {
      const t0 = Date.now();
      const agent = new Agent(app.url);
      assert.equal((await authorizeThrough(agent, '/bff/login?returnTo=/account', { email: 'rob@example.com', password: PASSWORD })).pathname, '/account');
      const t1 = Date.now();
      const { accessExpiresAt } = await sessionRow(app, agent);
      const lifetime = app.config.ttl.accessToken * 1000;
      assert.ok(accessExpiresAt >= t0 + lifetime && accessExpiresAt <= t1 + lifetime, `${accessExpiresAt} within [${t0 + lifetime}, ${t1 + lifetime}]`);
    });

    it('logs a refused callback with the reason openid-client gives and the OAuth error, and nothing else of it', async () => {
      const logger = app.deps.logger as unknown as Record<symbol, unknown> & { level: string };
      const stream = logger[pino.symbols.streamSym];
      const lines: Array<Record<string, unknown>> = [];
      logger[pino.symbols.streamSym] = { write: (line: string) => lines.push(JSON.parse(line) as Record<string, unknown>) };
      logger.level = 'info';
      try {
        const iss = encodeURIComponent(app.config.issuer);
        const a = await started();
        assert.equal((await a.agent.get(`/bff/callback?error=access_denied&state=${a.state}&iss=${iss}`)).status, 400);
        const b = await started();
        assert.equal((await b.agent.get(`/bff/callback?code=x&state=${b.state}-not&iss=${iss}`)).status, 400);
      } finally {
        logger.level = 'silent';
        logger[pino.symbols.streamSym] = stream;
      }
      const refused = lines.filter((l) => l.msg === 'bff callback refused').map(({ level, err }) => ({ level, err }));
      assert.deepEqual(refused, [
        { level: 30, err: { errorCode: 'OAUTH_AUTHORIZATION_RESPONSE_ERROR', error: 'access_denied' } },
        { level: 30, err: { errorCode: 'OAUTH_INVALID_RESPONSE' } },
      ]);
    });

    it('answers a provider that fails for another reason than its database (500) with the refusal page, not the outage page', async () => {
      const { agent, url } = await atCallback(app);
      // A corrupted authorization-code row: the provider's token endpoint fails with 500 server_error.
      const code = new URL(url).searchParams.get('code')!;
      const stored = (await app.store.oidc.find('AuthorizationCode', code))!;
      await app.store.oidc.upsert('AuthorizationCode', code, { ...stored.payload, scope: 5 }, null, { grantId: stored.payload.grantId as string });
      const res = await agent.get(url);
      assert.equal(res.status, 400);
      assert.equal(res.headers.get('retry-after'), null);
      assert.equal(res.headers.get('content-type'), 'text/html; charset=utf-8');
      assert.equal(await res.text(), errorPage('invalid_request', 'The sign-in response could not be verified. Start again.', app.config.publicUrl));
    });

    /**
     * Runs `during` while the BFF's code exchanges have their access token revoked as soon as the
     * provider answers: what a concurrent sign-out does between the token response and the BFF's lookup.
     */
    const withAccessTokenRevokedOnArrival = async <T>(during: () => Promise<T>): Promise<T> => {
      const cfg = app.deps.oidcConfig();
      const original = cfg[oidc.customFetch]!;
      cfg[oidc.customFetch] = async (url, options) => {
        const res = await original(url, options);
        if (String(options.body).includes('grant_type=authorization_code') && res.status === 200) {
          const { access_token } = (await res.clone().json()) as { access_token: string };
          await (await app.provider.AccessToken.find(access_token))!.destroy();
        }
        return res;
      };
      try {
        return await during();
      } finally {
        cfg[oidc.customFetch] = original;
      }
    };

    it('completes a sign-in whose access token is revoked before the BFF looks it up, without the provider session id', { timeout: 20000 }, async () => {
      const agent = new Agent(app.url);
      const end = await withAccessTokenRevokedOnArrival(() =>
        authorizeThrough(agent, '/bff/login?returnTo=/account', { email: 'rob@example.com', password: PASSWORD }),
      );
      assert.equal(end.pathname, '/account');
      const row = await sessionRow(app, agent);
      assert.equal(row.userId, userId);
      assert.equal((await app.sessions.tokens(row)).sid, undefined);
      // Logout still ends the row (there is no provider session to look up).
      const out = await agent.api('POST', '/bff/logout');
      assert.deepEqual([out.status, await out.json()], [200, { redirectTo: '/' }]);
      assert.notEqual((await app.store.bffSessions.find(row.id))!.revokedAt, null);
    });

    it('completes an impersonation whose access token is revoked before the BFF looks it up, without its grant', { timeout: 30000 }, async () => {
      const admin = await signedInAgent(app.url, 'root@example.com', PASSWORD);
      const reason = 'Customer asked for help with billing settings';
      assert.equal((await withAccessTokenRevokedOnArrival(() => impersonate(admin, { userId, reason }))).status, 200);
      const row = await sessionRow(app, admin);
      const imp = await app.store.impersonations.find((row.data.impersonation as { id: string }).id);
      assert.deepEqual([imp!.sessionId, imp!.grantId], [row.id, null]);
      assert.equal((await admin.api('POST', '/bff/impersonation/stop')).status, 200);
    });

    it('logs out: the session ended, the cookie cleared, an audit entry; and answers the same without a session', async () => {
      const agent = await signedInAgent(app.url, 'rob@example.com', PASSWORD);
      const row = await sessionRow(app, agent);
      const before = (await app.store.audit.list({ kind: 'logout', subjectId: userId })).length;
      const res = await agent.api('POST', '/bff/logout', {}, { 'user-agent': 'RoutesTest/1.0' });
      assert.equal(res.status, 200);
      assert.deepEqual(await res.json(), { redirectTo: '/' });
      assert.notEqual((await app.store.bffSessions.find(row.id))!.revokedAt, null);
      assert.equal(agent.jar.get(app.deps.cookies.session.cookieName), undefined, 'the cookie cleared');
      const entries = await app.store.audit.list({ kind: 'logout', subjectId: userId });
      assert.equal(entries.length, before + 1);
      const { actorId, subjectId, ip, userAgent } = entries[0]!;
      assert.deepEqual({ actorId, subjectId, ip, userAgent }, { actorId: userId, subjectId: userId, ip: '127.0.0.1', userAgent: 'RoutesTest/1.0' });
      const again = await new Agent(app.url).api('POST', '/bff/logout', {});
      assert.equal(again.status, 200);
      assert.deepEqual(await again.json(), { redirectTo: '/' });
      assert.equal((await app.store.audit.list({ kind: 'logout', subjectId: userId })).length, before + 1, 'no entry without a session');
    });
  });

  describe(`the BFF callback while the provider cannot write to its database (${db})`, () => {
    let app: TestApp;
    before(async () => {
      app = await startTestApp({ db, env: { DATABASE_TIMEOUT_MS: '1000' } });
      await createAccount(app.store, { email: 'pat@example.com', password: PASSWORD, name: 'Pat Doe' }, Date.now());
    });
    after(() => app.close());

    /** Another connection holds the write lock: the provider still reads the code, but cannot record its redemption. */
    const holdWrites = async (): Promise<() => Promise<void>> => {
      const url = app.config.databaseUrl;
      if (url.startsWith('sqlite:')) {
        const other = new DatabaseSync(url.slice('sqlite:'.length));
        other.exec('BEGIN IMMEDIATE');
        return async () => {
          other.exec('ROLLBACK');
          other.close();
        };
      }
      const other = new pg.Client({ connectionString: url });
      await other.connect();
      await other.query('BEGIN');
      await other.query('LOCK TABLE oidc_payloads IN EXCLUSIVE MODE');
      return async () => {
        await other.query('ROLLBACK');
        await other.end();
      };
    };

    it("answers 503 with the provider's Retry-After and the outage page, not a refused sign-in", { timeout: 30000 }, async () => {
      const { agent, url } = await atCallback(app);
      const release = await holdWrites();
      let answer: { status: number; retryAfter: string | null; cacheControl: string | null; type: string | null; text: string };
      try {
        const res = await agent.get(url);
        answer = {
          status: res.status,
          retryAfter: res.headers.get('retry-after'),
          cacheControl: res.headers.get('cache-control'),
          type: res.headers.get('content-type'),
          text: await res.text(),
        };
      } finally {
        await release();
      }
      assert.deepEqual(answer, {
        status: 503,
        retryAfter: '5',
        cacheControl: 'no-store',
        type: 'text/html; charset=utf-8',
        text: outagePage(app.config.publicUrl),
      });
      assert.equal(agent.jar.get(app.deps.cookies.session.cookieName), undefined, 'no session');
    });
  });
}
