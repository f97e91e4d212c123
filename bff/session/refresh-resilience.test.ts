/**
 * The BFF's refresh never loses a session it should keep: a provider that
 * answers 503/429 or drops the connection leaves the session alive (served
 * with its still-valid access token, else 503 + Retry-After); a process that
 * dies between the provider's rotation and storing the new token leaves a
 * session that the next instance continues; a short idle lifetime does not end
 * an active session.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { unsealData } from 'iron-session';
import { startTestApp, type TestApp } from '../testing/test-app.ts';
import { signedInAgent, type Agent } from '../testing/agent.ts';
import { createAccount } from '../accounts/accounts.ts';

const PASSWORD = 'correct horse battery staple';

async function sessionIdOf(app: TestApp, agent: Agent): Promise<string> {
  const { sid } = await unsealData<{ sid: string }>(decodeURIComponent(agent.jar.get('portal')!.value), {
    password: app.config.cookieSecrets as Record<string, string>,
  });
  return sid;
}

/** Puts a misbehaving hop in front of the app's /oauth/token, as a load balancer or outage would. */
function tokenEndpointFault(app: TestApp): { mode: 'ok' | '503' | '429' | 'drop'; hits: number } {
  const fault = { mode: 'ok' as 'ok' | '503' | '429' | 'drop', hits: 0 };
  const [inner] = app.server.listeners('request') as Array<(req: IncomingMessage, res: ServerResponse) => void>;
  app.server.removeAllListeners('request');
  app.server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    if (fault.mode !== 'ok' && req.method === 'POST' && req.url === '/oauth/token') {
      fault.hits++;
      if (fault.mode === 'drop') {
        req.socket.destroy();
        return;
      }
      res.writeHead(Number(fault.mode), { 'content-type': 'application/json', 'retry-after': '1' });
      res.end(JSON.stringify({ error: fault.mode === '503' ? 'temporarily_unavailable' : 'slow_down' }));
      return;
    }
    inner!(req, res);
  });
  return fault;
}

async function whoAmI(app: TestApp, agent: Agent): Promise<Response> {
  return fetch(`${app.url}/bff/session`, { headers: { cookie: agent.cookieHeader() } });
}

for (const db of ['sqlite', 'postgres'] as const) {
  describe(`BFF refresh resilience (${db})`, () => {
    let app: TestApp;
    let fault: ReturnType<typeof tokenEndpointFault>;
    before(async () => {
      app = await startTestApp({ db, env: { SESSION_CACHE_MS: '0' } });
      fault = tokenEndpointFault(app);
      await createAccount(app.store, { email: 'rita@example.com', password: PASSWORD }, Date.now());
    });
    after(() => app.close());

    for (const mode of ['503', '429', 'drop'] as const) {
      it(`a refresh that fails with ${mode === 'drop' ? 'a dropped connection' : `HTTP ${mode}`} keeps the session`, async () => {
        const agent = await signedInAgent(app.url, 'rita@example.com', PASSWORD);
        const id = await sessionIdOf(app, agent);
        const start = (await app.store.bffSessions.find(id))!;
        fault.mode = mode;
        fault.hits = 0;
        try {
          // Inside the refresh margin, the access token still valid: served as it is.
          app.clock.offset = start.accessExpiresAt - Date.now() - 1000;
          const early = await whoAmI(app, agent);
          assert.equal(early.status, 200);
          assert.equal((await early.json()).authenticated, true);
          // Past its expiry: a clear 503 with Retry-After, in the BFF's own format.
          app.clock.offset = start.accessExpiresAt - Date.now() + 1000;
          const late = await whoAmI(app, agent);
          assert.equal(late.status, 503);
          assert.equal(late.headers.get('retry-after'), '5');
          const body = await late.json();
          assert.equal(body.error, 'provider_unavailable');
          assert.match(body.message, /Try again/);
          assert.equal(fault.hits, 2, 'one refresh tried per request');
          const kept = (await app.store.bffSessions.find(id))!;
          assert.equal(kept.revokedAt, null);
          assert.equal(kept.version, start.version);
          assert.equal(kept.refreshLockUntil, null, 'the lock is released for the next try');
          // The provider is back: the same session refreshes.
          fault.mode = 'ok';
          assert.equal((await (await whoAmI(app, agent)).json()).authenticated, true);
          const after1 = (await app.store.bffSessions.find(id))!;
          assert.equal(after1.version, start.version + 1);
          assert.equal(after1.revokedAt, null);
        } finally {
          fault.mode = 'ok';
          app.clock.offset = 0;
        }
      });
    }

    it('a refused refresh (invalid_grant) still ends the session', async () => {
      const agent = await signedInAgent(app.url, 'rita@example.com', PASSWORD);
      const id = await sessionIdOf(app, agent);
      const s = (await app.store.bffSessions.find(id))!;
      const { refresh_token } = await app.sessions.tokens(s);
      const rt = await app.store.oidc.find('RefreshToken', refresh_token!);
      await app.store.oidc.revokeByGrantId(rt!.payload.grantId as string);
      app.clock.offset = s.accessExpiresAt - Date.now() - 1000;
      try {
        assert.deepEqual(await (await whoAmI(app, agent)).json(), { authenticated: false });
        assert.notEqual((await app.store.bffSessions.find(id))!.revokedAt, null);
      } finally {
        app.clock.offset = 0;
      }
    });
  });

  describe(`BFF idle lifetime (${db})`, () => {
    let app: TestApp;
    before(async () => {
      app = await startTestApp({ db, env: { SESSION_CACHE_MS: '0', SESSION_IDLE_TTL: '60' } });
      await createAccount(app.store, { email: 'ida@example.com', password: PASSWORD }, Date.now());
    });
    after(() => app.close());

    it('an active session outlives a short SESSION_IDLE_TTL; an idle one does not', async () => {
      const agent = await signedInAgent(app.url, 'ida@example.com', PASSWORD);
      const id = await sessionIdOf(app, agent);
      try {
        // Active every 40 s, for 160 s in all: never 60 s idle.
        for (const at of [40_000, 80_000, 120_000, 160_000]) {
          app.clock.offset = at;
          assert.equal((await (await whoAmI(app, agent)).json()).authenticated, true, `still signed in at ${at / 1000} s`);
        }
        app.clock.offset = 160_000 + 61_000;
        assert.deepEqual(await (await whoAmI(app, agent)).json(), { authenticated: false }, 'idle for 61 s');
        assert.equal((await app.store.bffSessions.find(id))!.revokedAt, null, 'idled out, not revoked');
      } finally {
        app.clock.offset = 0;
      }
    });
  });

  describe(`a crash mid-refresh, two instances on one ${db} database`, () => {
    let a: TestApp;
    let b: TestApp;
    // Instance A "dies" once: the provider has rotated the token, A never stores it.
    const crash = { armed: false, reached: null as null | (() => void) };
    before(async () => {
      a = await startTestApp({
        db,
        env: { SESSION_CACHE_MS: '0' },
        sessionTestHooks: {
          afterTokenResponse: async () => {
            if (!crash.armed) return;
            crash.armed = false;
            crash.reached?.();
            await new Promise(() => {});
          },
        },
      });
      b = await startTestApp({ databaseUrl: a.config.databaseUrl, env: { PUBLIC_URL: a.url, SESSION_CACHE_MS: '0' } });
      await createAccount(a.store, { email: 'cora@example.com', password: PASSWORD }, Date.now());
    });
    after(async () => {
      await b.close();
      await a.close();
    });

    it('the next request on the other instance continues the session, at once and then with the rotated token', async () => {
      const agent = await signedInAgent(a.url, 'cora@example.com', PASSWORD);
      const id = await sessionIdOf(a, agent);
      const start = (await a.store.bffSessions.find(id))!;
      const reached = new Promise<void>((r) => (crash.reached = r));
      crash.armed = true;
      a.clock.offset = start.accessExpiresAt - Date.now() - 1000;
      const dying = new AbortController();
      const lost = fetch(`${a.url}/bff/session`, { headers: { cookie: agent.cookieHeader() }, signal: dying.signal }).catch(() => 'aborted');
      await reached;
      dying.abort();
      assert.equal(await lost, 'aborted');
      const stuck = (await a.store.bffSessions.find(id))!;
      assert.equal(stuck.version, start.version, 'the rotated tokens were never stored');
      assert.notEqual(stuck.refreshAttempt, null);

      try {
        // B, while A's lock still stands and the access token is still valid: answered at once.
        b.clock.offset = start.accessExpiresAt - Date.now() - 1000;
        assert.ok(stuck.refreshLockUntil! > Date.now() + b.clock.offset);
        assert.equal((await (await fetch(`${b.url}/bff/session`, { headers: { cookie: agent.cookieHeader() } })).json()).authenticated, true);
        assert.equal((await b.store.bffSessions.find(id))!.version, start.version);
        // Later, A's lock lapsed and the access token expired: B continues from the rotated token.
        b.clock.offset = stuck.refreshLockUntil! - Date.now() + 1000;
        assert.equal((await (await fetch(`${b.url}/bff/session`, { headers: { cookie: agent.cookieHeader() } })).json()).authenticated, true);
        const recovered = (await b.store.bffSessions.find(id))!;
        assert.equal(recovered.version, start.version + 1);
        assert.equal(recovered.revokedAt, null);
        assert.equal(recovered.refreshAttempt, null);
        // And the token chain is healthy: one more refresh on B works.
        b.clock.offset = recovered.accessExpiresAt - Date.now() - 1000;
        assert.equal((await (await fetch(`${b.url}/bff/session`, { headers: { cookie: agent.cookieHeader() } })).json()).authenticated, true);
        assert.equal((await b.store.bffSessions.find(id))!.version, start.version + 2);
      } finally {
        b.clock.offset = 0;
      }
    });
  });
}
