/**
 * The BFF session's lifetime rules (session/sessions.ts), where mutation
 * testing (docs/mutation.md) found them unchecked: a session cached in this
 * process is still refreshed once its access token nears expiry, the refresh
 * moves the expiry forward by the token's lifetime (so the next request does
 * not refresh again), and the absolute lifetime ends a session that was never
 * idle. The injected clock moves instead of waiting; the cache is kept for a
 * minute so every hit is one. Through the real app, provider and database, on
 * SQLite and PostgreSQL.
 */
import { describe, it, before, after, mock } from 'node:test';
import assert from 'node:assert/strict';
import { startTestApp, type TestApp } from '../testing/test-app.ts';
import { signedInAgent, type Agent } from '../testing/agent.ts';
import { createAccount } from '../accounts/accounts.ts';
import { sessionRow } from '../impersonation/test-helpers.ts';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createSessionService, SESSION_CHANNEL, type SessionTokens } from './sessions.ts';
import { createLogger } from '../http/logger.ts';
import type { AppError } from '../http/errors.ts';
import type { BffSession, Store } from '../store/store.ts';
import * as oidc from 'openid-client';

const PASSWORD = 'correct horse battery staple';

for (const db of ['sqlite', 'postgres'] as const) {
  describe(`BFF session lifetimes (${db})`, () => {
    let app: TestApp;
    before(async () => {
      app = await startTestApp({ db, env: { SESSION_CACHE_MS: '60000', SESSION_TTL: '3600', SESSION_IDLE_TTL: '3600' } });
      await createAccount(app.store, { email: 'uma@example.com', password: PASSWORD }, Date.now());
    });
    after(() => app.close());

    const who = async (agent: Agent) => {
      const body = (await (await agent.api('GET', '/bff/session')).json()) as { authenticated?: boolean; user?: { email: string } };
      return body.user?.email ?? body.authenticated;
    };

    it('refreshes a cached session once its access token nears expiry, and only once', async () => {
      const agent = await signedInAgent(app.url, 'uma@example.com', PASSWORD);
      assert.equal(await who(agent), 'uma@example.com', 'loaded, and now cached');
      const before = await sessionRow(app, agent);
      try {
        // 100 s before the token ends: outside the 60 s margin, and seen (so cached and not idle).
        app.clock.offset = before.accessExpiresAt - Date.now() - 100_000;
        assert.equal(await who(agent), 'uma@example.com');
        assert.equal((await sessionRow(app, agent)).version, before.version, 'not yet refreshed');
        // 50 s later, inside the margin: the cached copy (seen 50 s ago) must not be served.
        app.clock.offset += 50_000;
        assert.equal(await who(agent), 'uma@example.com');
        const refreshed = await sessionRow(app, agent);
        assert.equal(refreshed.version, before.version + 1, 'the cached copy did not stop the refresh');
        assert.ok(refreshed.accessExpiresAt > app.deps.now() + 60_000, 'the new expiry is ahead, past the margin');
        assert.equal(await who(agent), 'uma@example.com');
        app.sessions.forget(refreshed.id);
        assert.equal(await who(agent), 'uma@example.com', 'read from the store again');
        assert.equal((await sessionRow(app, agent)).version, refreshed.version, 'no second refresh');
      } finally {
        app.clock.offset = 0;
      }
    });

    it('ends a session at its absolute lifetime even when it was never idle', async () => {
      const agent = await signedInAgent(app.url, 'uma@example.com', PASSWORD);
      const row = await sessionRow(app, agent);
      try {
        app.clock.offset = row.createdAt + 30 * 60_000 - Date.now();
        assert.equal(await who(agent), 'uma@example.com', 'half-way, and seen (the idle timer restarts)');
        app.clock.offset = row.expiresAt + 1 - Date.now();
        assert.ok((await sessionRow(app, agent)).lastSeenAt + 3_600_000 > app.deps.now(), 'not idle');
        assert.equal(await who(agent), false);
      } finally {
        app.clock.offset = 0;
      }
    });
  });
}

/**
 * The session service itself, built over the test app's real store and provider with a clock of
 * its own that stands still (so every boundary is hit to the millisecond) and a logger whose lines
 * the test reads. Sessions come from a real sign-in through the app.
 */
type Line = { level: number; msg: string; session?: string; reason?: string; err?: unknown };

function serviceOf(app: TestApp, opts: { cacheMs: number; at: number; idle?: number; accessTtl?: number; store?: Store }) {
  const lines: Line[] = [];
  const clock = { t: opts.at };
  const sessions = createSessionService({
    config: {
      ...app.config,
      sessionCacheMs: opts.cacheMs,
      ttl: { ...app.config.ttl, sessionIdle: opts.idle ?? app.config.ttl.sessionIdle, accessToken: opts.accessTtl ?? app.config.ttl.accessToken },
    },
    store: opts.store ?? app.store,
    logger: createLogger('info', { write: (s: string) => void lines.push(JSON.parse(s) as Line) }),
    now: () => clock.t,
    oidcConfig: app.deps.oidcConfig,
  });
  return { sessions, clock, lines };
}

/**
 * The same service over a view of the store that tells when the session row has been read twice:
 * the load's own read, then the first read of its wait for another refresh's holder. It reads and
 * writes the real store; it only counts.
 */
function watchedServiceOf(app: TestApp, at: number) {
  let reads = 0;
  let waiting: () => void = () => {};
  const polled = new Promise<void>((r) => (waiting = r));
  const real = app.store.bffSessions;
  const bffSessions: Store['bffSessions'] = {
    ...real,
    find: async (id) => {
      const found = await real.find(id);
      if (++reads === 2) waiting();
      return found;
    },
  };
  const store = new Proxy(app.store, { get: (target, prop) => (prop === 'bffSessions' ? bffSessions : Reflect.get(target, prop)) });
  const clock = { t: at };
  const sessions = createSessionService({
    config: { ...app.config, sessionCacheMs: 0 },
    store,
    logger: createLogger('silent'),
    now: () => clock.t,
    oidcConfig: app.deps.oidcConfig,
  });
  return { sessions, clock, polled };
}

/** Puts a failing hop in front of the app's /oauth/token (as an outage would) while `fault.on`. */
function tokenEndpointFault(app: TestApp): { on: boolean; hits: number; status: number; error: string } {
  const fault = { on: false, hits: 0, status: 503, error: 'temporarily_unavailable' };
  const [inner] = app.server.listeners('request') as Array<(req: IncomingMessage, res: ServerResponse) => void>;
  app.server.removeAllListeners('request');
  app.server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    if (fault.on && req.method === 'POST' && req.url === '/oauth/token') {
      fault.hits++;
      res.writeHead(fault.status, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: fault.error }));
      return;
    }
    inner!(req, res);
  });
  return fault;
}

const MARGIN = 60_000;
const TOUCH_EVERY = 60_000;

for (const db of ['sqlite', 'postgres'] as const) {
  describe(`the BFF session service (${db})`, () => {
    let app: TestApp;
    let fault: ReturnType<typeof tokenEndpointFault>;
    before(async () => {
      app = await startTestApp({ db, env: { SESSION_CACHE_MS: '0' } });
      fault = tokenEndpointFault(app);
      await createAccount(app.store, { email: 'sam@example.com', password: PASSWORD }, Date.now());
      await createAccount(app.store, { email: 'sue@example.com', password: PASSWORD }, Date.now());
      await createAccount(app.store, { email: 'pat@example.com', password: PASSWORD }, Date.now());
    });
    after(() => app.close());

    const signIn = async (email = 'sam@example.com') => sessionRow(app, await signedInAgent(app.url, email, PASSWORD));
    const row = async (id: string) => (await app.store.bffSessions.find(id))!;

    it('serves a cached session without reading the store while it is fresh, seen recently and alive', async () => {
      const s = await signIn();
      const { sessions, clock } = serviceOf(app, { cacheMs: 60_000, at: s.lastSeenAt + 1_000 });
      const loaded = await sessions.load(s.id);
      assert.equal(loaded?.session.id, s.id);
      assert.equal(loaded?.user.email, 'sam@example.com');
      assert.equal(loaded?.session.lastSeenAt, s.lastSeenAt, 'seen a second ago: not touched');
      // Revoked behind this process's back (no announcement): the cached copy still answers.
      await app.store.bffSessions.revoke(s.id, clock.t);
      assert.equal((await sessions.load(s.id))?.session.id, s.id, 'served from the cache');
      // Exactly TOUCH_EVERY after the last sighting: still a hit; one millisecond more: read again.
      clock.t = s.lastSeenAt + TOUCH_EVERY;
      assert.equal((await sessions.load(s.id))?.session.id, s.id, 'still a hit at the touch interval');
      clock.t += 1;
      assert.equal(await sessions.load(s.id), null, 'read from the store once the idle timer is due');
    });

    it('keeps the cache entries of other sessions when one more is cached', async () => {
      const a = await signIn();
      const b = await signIn('sue@example.com');
      const { sessions, clock } = serviceOf(app, { cacheMs: 60_000, at: Math.max(a.lastSeenAt, b.lastSeenAt) + 1_000 });
      assert.equal((await sessions.load(a.id))?.user.email, 'sam@example.com');
      assert.equal((await sessions.load(b.id))?.user.email, 'sue@example.com');
      await app.store.bffSessions.revoke(a.id, clock.t);
      await app.store.bffSessions.revoke(b.id, clock.t);
      assert.equal((await sessions.load(a.id))?.session.id, a.id, 'the first is still cached');
      assert.equal((await sessions.load(b.id))?.session.id, b.id, 'and so is the second');
    });

    it("ends the session of a disabled account when it reads it, at this clock's time", async () => {
      const s = await signIn('sue@example.com');
      const { sessions, clock } = serviceOf(app, { cacheMs: 0, at: s.lastSeenAt + 1_000 });
      assert.equal((await sessions.load(s.id))?.user.email, 'sue@example.com');
      await app.store.users.setDisabled(s.userId, true, clock.t);
      try {
        assert.equal(await sessions.load(s.id), null);
        assert.equal((await row(s.id)).revokedAt, clock.t);
      } finally {
        await app.store.users.setDisabled(s.userId, false, clock.t);
      }
      assert.equal(await sessions.load(s.id), null, 'revoked, not only refused while disabled');
    });

    it('revokes a session at its own clock’s time and drops its cached copy', async () => {
      const s = await signIn();
      const { sessions, clock } = serviceOf(app, { cacheMs: 60_000, at: s.lastSeenAt + 1_000 });
      assert.equal((await sessions.load(s.id))?.session.id, s.id);
      await sessions.revoke(s.id);
      assert.equal((await row(s.id)).revokedAt, clock.t);
      assert.equal(await sessions.load(s.id), null);
    });

    it('caches nothing at SESSION_CACHE_MS=0', async () => {
      const s = await signIn();
      const { sessions, clock } = serviceOf(app, { cacheMs: 0, at: s.lastSeenAt + 1_000 });
      assert.equal((await sessions.load(s.id))?.session.id, s.id);
      await app.store.bffSessions.revoke(s.id, clock.t);
      assert.equal(await sessions.load(s.id), null);
    });

    it('stops serving the cached copy when its access token reaches the refresh margin, to the millisecond', async () => {
      const s = await signIn();
      const { sessions, clock } = serviceOf(app, { cacheMs: 60_000, at: s.accessExpiresAt - MARGIN - 1_000 });
      const first = await sessions.load(s.id);
      assert.equal(first?.session.lastSeenAt, clock.t, 'not seen for minutes: touched');
      assert.equal((await row(s.id)).lastSeenAt, clock.t, 'and the touch is stored');
      await app.store.bffSessions.revoke(s.id, clock.t);
      clock.t = s.accessExpiresAt - MARGIN - 1;
      assert.equal((await sessions.load(s.id))?.session.id, s.id, 'one millisecond outside the margin: the cached copy');
      clock.t = s.accessExpiresAt - MARGIN;
      assert.equal(await sessions.load(s.id), null, 'at the margin: read again (and found revoked)');
    });

    it('stops serving the cached copy at its absolute expiry', async () => {
      const s = await signIn();
      const t0 = s.lastSeenAt + 1_000;
      const { sessions, clock } = serviceOf(app, { cacheMs: 60_000, at: t0 });
      const tokens = await app.sessions.tokens(s);
      const short = await sessions.create(s.userId, tokens, s.accessExpiresAt, {}, { expiresAt: t0 + 30_000 });
      assert.equal((await sessions.load(short.id))?.session.id, short.id);
      clock.t = t0 + 30_000 - 1;
      assert.equal((await sessions.load(short.id))?.session.id, short.id);
      clock.t = t0 + 30_000;
      assert.equal(await sessions.load(short.id), null, 'expired, though seen 30 s ago and its token fresh');
    });

    it('touches the idle timer only once TOUCH_EVERY has passed', async () => {
      const s = await signIn();
      const { sessions, clock } = serviceOf(app, { cacheMs: 0, at: s.lastSeenAt + TOUCH_EVERY });
      assert.equal((await sessions.load(s.id))?.session.lastSeenAt, s.lastSeenAt);
      assert.equal((await row(s.id)).lastSeenAt, s.lastSeenAt, 'not written at exactly the interval');
      clock.t += 1;
      assert.equal((await sessions.load(s.id))?.session.lastSeenAt, clock.t);
      assert.equal((await row(s.id)).lastSeenAt, clock.t);
    });

    it('ends a session idle for exactly SESSION_IDLE_TTL', async () => {
      const s = await signIn();
      const { sessions } = serviceOf(app, { cacheMs: 0, at: s.lastSeenAt + app.config.ttl.sessionIdle * 1000 });
      assert.equal(await sessions.load(s.id), null);
      assert.equal((await row(s.id)).revokedAt, null, 'idled out, not revoked');
      assert.equal((await row(s.id)).version, s.version, 'and not refreshed');
    });

    it('refreshes at exactly the margin, not a millisecond before, and stores what the provider answered', async () => {
      const s = await signIn();
      const { sessions, clock } = serviceOf(app, { cacheMs: 0, at: s.accessExpiresAt - MARGIN - 1 });
      assert.equal((await sessions.load(s.id))?.session.version, s.version);
      clock.t += 1;
      const refreshed = (await sessions.load(s.id))!.session;
      assert.equal(refreshed.version, s.version + 1);
      assert.equal(refreshed.accessExpiresAt, clock.t + app.config.ttl.accessToken * 1000);
      const before = await app.sessions.tokens(s);
      const after = await app.sessions.tokens(refreshed);
      assert.notEqual(after.access_token, before.access_token);
      assert.notEqual(after.refresh_token, before.refresh_token);
      assert.equal(after.scope, before.scope);
      assert.equal(after.sid, before.sid);
      assert.equal(typeof after.id_token, 'string');
      assert.notEqual(after.id_token, before.id_token, 'the new id_token is kept');
    });

    it('holds the refresh lock for 15 s from its start while it spends the refresh token', async () => {
      const s = await signIn();
      const at = s.accessExpiresAt - 1_000;
      let held: BffSession | undefined;
      const sessions = createSessionService({
        config: { ...app.config, sessionCacheMs: 0 },
        store: app.store,
        logger: createLogger('silent'),
        now: () => at,
        oidcConfig: app.deps.oidcConfig,
        testHooks: { afterTokenResponse: async (id) => void (held = await row(id)) },
      });
      assert.equal((await sessions.load(s.id))?.session.version, s.version + 1);
      assert.equal(held?.refreshLockUntil, at + 15_000);
      assert.equal(typeof held?.refreshAttempt, 'string');
    });

    it("stores the provider's expires_in, not its own ACCESS_TOKEN_TTL, and the provider's scope when the session held none", async () => {
      const s = await signIn();
      const at = s.lastSeenAt + 1_000;
      // This process configured with another access token lifetime than the provider's (as during a change of ACCESS_TOKEN_TTL).
      const { sessions } = serviceOf(app, { cacheMs: 0, at, accessTtl: app.config.ttl.accessToken + 300 });
      const { access_token, refresh_token, scope } = await app.sessions.tokens(s);
      assert.equal(typeof scope, 'string');
      const bare = await sessions.create(s.userId, { access_token, refresh_token }, at + MARGIN);
      const loaded = await sessions.load(bare.id);
      assert.equal(loaded?.session.version, bare.version + 1);
      assert.equal(loaded?.session.accessExpiresAt, at + app.config.ttl.accessToken * 1000, "the provider's expires_in");
      assert.equal((await app.sessions.tokens(loaded!.session)).scope, scope);
    });

    it('refreshes as usual with test hooks that name no hook', async () => {
      const s = await signIn();
      const at = s.accessExpiresAt - 1_000;
      const sessions = createSessionService({
        config: { ...app.config, sessionCacheMs: 0 },
        store: app.store,
        logger: createLogger('silent'),
        now: () => at,
        oidcConfig: app.deps.oidcConfig,
        testHooks: {},
      });
      assert.equal((await sessions.load(s.id))?.session.version, s.version + 1);
    });

    it('serves a cached copy until the wall-clock instant SESSION_CACHE_MS after it was stored, not at it', async () => {
      const s = await signIn();
      const at = s.lastSeenAt + 1_000;
      const { sessions } = serviceOf(app, { cacheMs: 1_000, at });
      const start = Date.now();
      mock.timers.enable({ apis: ['Date'], now: start });
      try {
        assert.equal((await sessions.load(s.id))?.session.id, s.id);
        await app.store.bffSessions.revoke(s.id, at); // behind its back: only its cached copy answers now
        mock.timers.setTime(start + 999);
        assert.equal((await sessions.load(s.id))?.session.id, s.id, 'the cached copy, a millisecond before its end');
        mock.timers.setTime(start + 1_000);
        assert.equal(await sessions.load(s.id), null, 'read again at the instant the copy ends');
      } finally {
        mock.timers.reset();
      }
    });

    it('refreshes once for concurrent requests of this process, and again at the next margin', async () => {
      const s = await signIn();
      const { sessions, clock } = serviceOf(app, { cacheMs: 0, at: s.accessExpiresAt - 1_000 });
      const both = await Promise.all([sessions.load(s.id), sessions.load(s.id)]);
      assert.deepEqual(
        both.map((l) => l?.session.version),
        [s.version + 1, s.version + 1],
        'both wait for the one refresh, neither answers the old version',
      );
      clock.t = both[0]!.session.accessExpiresAt - MARGIN;
      assert.equal((await sessions.load(s.id))?.session.version, s.version + 2, 'a later refresh is not the finished one again');
    });

    it('answers at once while another holds the refresh lock and the access token still works', async () => {
      const s = await signIn();
      const t = s.accessExpiresAt - 1_000;
      assert.equal(await app.store.bffSessions.acquireRefreshLock(s.id, s.version, t, t + 15_000, { id: 'elsewhere', previous: null }), true);
      const { sessions } = serviceOf(app, { cacheMs: 0, at: t });
      const loaded = await sessions.load(s.id);
      assert.equal(loaded?.session.version, s.version);
      assert.equal(loaded?.session.refreshAttempt, 'elsewhere', 'the holder is left to finish');
      assert.equal((await row(s.id)).version, s.version);
    });

    describe('waiting for another holder of the refresh lock, its access token expired', () => {
      /** Another tab or instance holds the lock (until `t + 14 s`); the clock stands at `t`, after the token ended. */
      const heldElsewhere = async (past = 1_000) => {
        const s = await signIn();
        const t = s.accessExpiresAt + past;
        assert.equal(await app.store.bffSessions.acquireRefreshLock(s.id, s.version, t - 1_000, t + 14_000, { id: 'elsewhere', previous: null }), true);
        return { s, t, ...watchedServiceOf(app, t) };
      };

      it("answers with the holder's result once it is stored", async () => {
        const { s, t, sessions, polled } = await heldElsewhere();
        const loading = sessions.load(s.id);
        await polled;
        assert.equal(await app.store.bffSessions.completeRefresh(s.id, s.tokens, t + 600_000, 'elsewhere'), true);
        const loaded = await loading;
        assert.equal(loaded?.session.version, s.version + 1, "the holder's version, not a refresh of its own");
        assert.equal(loaded?.session.accessExpiresAt, t + 600_000);
        assert.equal((await row(s.id)).version, s.version + 1);
      });

      it('waits too at the access token’s very last millisecond', async () => {
        const { s, t, sessions, polled } = await heldElsewhere(0);
        const loading = sessions.load(s.id);
        await polled;
        assert.equal(await app.store.bffSessions.completeRefresh(s.id, s.tokens, t + 600_000, 'elsewhere'), true);
        assert.equal((await loading)?.session.version, s.version + 1);
      });

      it('answers no session when it is revoked meanwhile', async () => {
        const { s, t, sessions, polled } = await heldElsewhere();
        const loading = sessions.load(s.id);
        await polled;
        await app.store.bffSessions.revoke(s.id, t);
        assert.equal(await loading, null);
      });

      it('refreshes itself once the holder’s lock lapses', async () => {
        const { s, t, sessions, clock, polled } = await heldElsewhere();
        const loading = sessions.load(s.id);
        await polled;
        clock.t = t + 14_001;
        const loaded = await loading;
        assert.equal(loaded?.session.version, s.version + 1);
        assert.equal(loaded?.session.refreshAttempt, null);
        assert.equal(loaded?.session.accessExpiresAt, clock.t + app.config.ttl.accessToken * 1000);
      });
    });

    it('ends every session of the user but the one kept, and drops them from this process at once', async () => {
      const keep = await signIn();
      const other = await signIn();
      const sue = await signIn('sue@example.com');
      const at = Math.max(keep.lastSeenAt, other.lastSeenAt, sue.lastSeenAt) + 1_000;
      const { sessions } = serviceOf(app, { cacheMs: 60_000, at });
      for (const s of [keep, other, sue]) assert.equal((await sessions.load(s.id))?.session.id, s.id);
      await app.store.bffSessions.revoke(sue.id, at); // behind its back: only its cached copy answers now
      const live = (await app.store.bffSessions.listForUser(keep.userId, at)).length;
      assert.equal(await sessions.revokeAllForUser(keep.userId, keep.id), live - 1);
      assert.equal(await sessions.load(other.id), null, 'its cached copy dropped');
      assert.notEqual((await row(other.id)).revokedAt, null);
      assert.equal((await sessions.load(keep.id))?.session.id, keep.id);
      assert.equal((await row(keep.id)).revokedAt, null);
      assert.equal((await sessions.load(sue.id))?.session.id, sue.id, "another user's cached copy kept");
    });

    if (db === 'postgres') {
      it("tells the other instances: they drop that user's cached sessions, and only those", async () => {
        const mine = await signIn('pat@example.com');
        const sue = await signIn('sue@example.com');
        const at = Math.max(mine.lastSeenAt, sue.lastSeenAt) + 1_000;
        const here = serviceOf(app, { cacheMs: 60_000, at });
        const there = serviceOf(app, { cacheMs: 60_000, at });
        for (const s of [mine, sue]) assert.equal((await there.sessions.load(s.id))?.session.id, s.id);
        await app.store.bffSessions.revoke(sue.id, at);
        // Subscribed after `there`: called after its listener, for the same notification.
        const heard = new Promise<string>((resolve) =>
          app.store.events.subscribe(SESSION_CHANNEL, (payload) => {
            if (payload === `user:${mine.userId}` || payload === '') resolve(payload);
          }),
        );
        const live = (await app.store.bffSessions.listForUser(mine.userId, at)).length;
        assert.equal(await here.sessions.revokeAllForUser(mine.userId), live);
        assert.equal(await heard, `user:${mine.userId}`);
        assert.equal(await there.sessions.load(mine.id), null, 'dropped there too');
        assert.equal((await there.sessions.load(sue.id))?.session.id, sue.id, "another user's copy kept there");
      });
    }

    describe('tokens updated under the refresh lock (the gateway’s per-API tokens)', () => {
      const withApi = (key: string) => (t: SessionTokens) => Boolean(t.resources?.[key]);
      const addApi = (key: string, calls: SessionTokens[]) => async (t: SessionTokens) => {
        calls.push(t);
        return { ...t, resources: { ...t.resources, [key]: { access_token: `token for ${key}`, expires_at: 1 } } };
      };

      it('returns the stored tokens as they are while they are fresh', async () => {
        const s = await signIn();
        const { sessions } = serviceOf(app, { cacheMs: 0, at: s.lastSeenAt + 1_000 });
        const calls: SessionTokens[] = [];
        assert.deepEqual(await sessions.updateTokens(s.id, 'k', () => true, addApi('k', calls)), await app.sessions.tokens(s));
        assert.equal(calls.length, 0);
        assert.equal((await row(s.id)).version, s.version);
      });

      it('stores what the update returns, once for concurrent callers of one key, and again after', async () => {
        const s = await signIn();
        const { sessions } = serviceOf(app, { cacheMs: 0, at: s.lastSeenAt + 1_000 });
        const before = await app.sessions.tokens(s);
        const calls: SessionTokens[] = [];
        const [a, b] = await Promise.all([
          sessions.updateTokens(s.id, 'k', withApi('k'), addApi('k', calls)),
          sessions.updateTokens(s.id, 'k', withApi('k'), addApi('k', calls)),
        ]);
        assert.equal(calls.length, 1, 'one update for both');
        assert.deepEqual(calls[0], before, 'given the stored tokens, not refreshed first');
        assert.deepEqual(a, { ...before, resources: { k: { access_token: 'token for k', expires_at: 1 } } });
        assert.equal(b, a);
        const stored = await row(s.id);
        assert.equal(stored.version, s.version + 1);
        assert.equal(stored.accessExpiresAt, s.accessExpiresAt, 'the session token’s own expiry unchanged');
        assert.equal(stored.refreshLockUntil, null);
        assert.equal(stored.refreshAttempt, null);
        assert.deepEqual(await app.sessions.tokens(stored), a);
        // Finished: the next caller of that key is not handed the old promise.
        assert.deepEqual(await sessions.updateTokens(s.id, 'k', () => false, addApi('k', calls)), a);
        assert.equal(calls.length, 2);
      });

      it('runs the updates of two keys one after the other, the second on the first one’s result', async () => {
        const s = await signIn();
        const { sessions } = serviceOf(app, { cacheMs: 0, at: s.lastSeenAt + 1_000 });
        const calls: SessionTokens[] = [];
        await Promise.all([
          sessions.updateTokens(s.id, 'one', withApi('one'), addApi('one', calls)),
          sessions.updateTokens(s.id, 'two', withApi('two'), addApi('two', calls)),
        ]);
        assert.equal(calls.length, 2);
        const stored = await row(s.id);
        assert.equal(stored.version, s.version + 2);
        assert.deepEqual(Object.keys((await app.sessions.tokens(stored)).resources ?? {}).sort(), ['one', 'two']);
      });

      it('holds the lock for 15 s from its start while the update runs', async () => {
        const s = await signIn();
        const at = s.lastSeenAt + 1_000;
        const { sessions } = serviceOf(app, { cacheMs: 0, at });
        let held: BffSession | undefined;
        await sessions.updateTokens(
          s.id,
          'k',
          () => false,
          async (t) => {
            held = await row(s.id);
            return t;
          },
        );
        assert.equal(held?.refreshLockUntil, at + 15_000);
        assert.equal((await row(s.id)).refreshLockUntil, null, 'released after');
      });

      it('leaves the tokens as they were and releases the lock when the update fails', async () => {
        const s = await signIn();
        const { sessions } = serviceOf(app, { cacheMs: 0, at: s.lastSeenAt + 1_000 });
        await assert.rejects(
          sessions.updateTokens(
            s.id,
            'k',
            () => false,
            async () => {
              throw new Error('the API token request failed');
            },
          ),
          /the API token request failed/,
        );
        const stored = await row(s.id);
        assert.deepEqual(await app.sessions.tokens(stored), await app.sessions.tokens(s));
        assert.equal(stored.tokens, s.tokens, 'the sealed tokens themselves kept, not sealed again');
        assert.equal(stored.refreshLockUntil, null);
        assert.equal(stored.refreshAttempt, null);
      });

      it('refuses an unknown or ended session with session_expired', async () => {
        const s = await signIn();
        const { sessions } = serviceOf(app, { cacheMs: 0, at: s.lastSeenAt + 1_000 });
        const expired = (e: AppError) => e.code === 'session_expired' && e.status === 401 && e.message === 'Your session has expired. Sign in again.';
        await assert.rejects(
          sessions.updateTokens(
            'no-such-session',
            'k',
            () => true,
            async (t) => t,
          ),
          expired,
        );
        await app.store.bffSessions.revoke(s.id, s.lastSeenAt + 1_000);
        await assert.rejects(
          sessions.updateTokens(
            s.id,
            'k',
            () => true,
            async (t) => t,
          ),
          expired,
        );
      });

      it('lets a refresh that died after spending the token finish first, then updates the refreshed tokens', async () => {
        const s = await signIn();
        const before = await app.sessions.tokens(s);
        const t = s.lastSeenAt + 1_000;
        assert.equal(await app.store.bffSessions.acquireRefreshLock(s.id, s.version, t, t + 15_000, { id: 'died', previous: null }), true);
        const { sessions } = serviceOf(app, { cacheMs: 0, at: t + 15_001 });
        const calls: SessionTokens[] = [];
        const done = await sessions.updateTokens(s.id, 'k', withApi('k'), addApi('k', calls));
        assert.equal(calls.length, 1);
        assert.notEqual(calls[0]!.refresh_token, before.refresh_token, 'given the rotated tokens');
        assert.equal(done.refresh_token, calls[0]!.refresh_token);
        const stored = await row(s.id);
        assert.equal(stored.version, s.version + 2, 'refreshed, then updated');
        assert.equal(stored.refreshAttempt, null);
      });
    });

    describe('a refresh that died after spending the token', () => {
      /** The row as a refresh that took the lock at `t` and died leaves it; returns the clock just after the lock lapsed. */
      const died = async (s: BffSession) => {
        const t = s.accessExpiresAt - 20_000;
        assert.equal(await app.store.bffSessions.acquireRefreshLock(s.id, s.version, t, t + 15_000, { id: 'died', previous: null }), true);
        return t + 15_001;
      };
      const rotate = async (refreshToken: string) => (await oidc.refreshTokenGrant(app.deps.oidcConfig(), refreshToken)).refresh_token!;
      const consumedAt = async (refreshToken: string) => (await app.store.oidc.find('RefreshToken', refreshToken))!.consumedAt;

      it('follows the rotations it never stored, two of them, to the unspent token', async () => {
        const s = await signIn();
        const a = (await app.sessions.tokens(s)).refresh_token!;
        const b = await rotate(a);
        const c = await rotate(b);
        const { sessions } = serviceOf(app, { cacheMs: 0, at: await died(s) });
        // The provider's clock past its reuse window: spending a consumed token now revokes the grant.
        app.clock.offset = 10_000;
        try {
          assert.equal((await sessions.load(s.id))?.session.version, s.version + 1);
        } finally {
          app.clock.offset = 0;
        }
        const d = (await app.sessions.tokens(await row(s.id))).refresh_token!;
        assert.ok(![a, b, c].includes(d), 'rotated once more');
        assert.notEqual(await consumedAt(c), null, 'from the unspent end of the chain');
        assert.equal(await consumedAt(d), null);
        assert.equal((await row(s.id)).refreshAttempt, null);
      });

      for (const [hops, follows] of [
        [10, true],
        [11, false],
      ] as const) {
        it(`${follows ? 'follows' : 'gives up on'} a chain of ${hops} unstored rotations`, async () => {
          const s = await signIn();
          let token = (await app.sessions.tokens(s)).refresh_token!;
          for (let i = 0; i < hops; i++) token = await rotate(token);
          const { sessions } = serviceOf(app, { cacheMs: 0, at: await died(s) });
          app.clock.offset = 10_000;
          try {
            assert.equal((await sessions.load(s.id))?.session.version, follows ? s.version + 1 : undefined);
          } finally {
            app.clock.offset = 0;
          }
          assert.equal((await row(s.id)).revokedAt === null, follows);
          assert.equal((await consumedAt(token)) !== null, follows, 'the end of the chain spent only when followed');
        });
      }

      /** Stores a refresh token row of the same grant as `like`, with the payload changed by `change`, as the provider stores its tokens. */
      const another = async (like: string, id: string, change: Record<string, unknown>) => {
        const row = (await app.store.oidc.find('RefreshToken', like))!;
        await app.store.oidc.upsert('RefreshToken', id, { ...row.payload, jti: id, ...change }, row.expiresAt, { grantId: row.payload.grantId as string });
      };

      /** Stores `token`'s row again without the payload field `drop` (its consume is kept), as an older writer would have stored it. */
      const without = async (token: string, drop: string) => {
        const row = (await app.store.oidc.find('RefreshToken', token))!;
        const payload = { ...row.payload };
        delete payload[drop];
        await app.store.oidc.upsert('RefreshToken', token, payload, row.expiresAt, { grantId: payload.grantId as string | undefined });
      };

      it('counts a spent token stored without `rotations` as the first of its chain', async () => {
        const s = await signIn();
        const a = (await app.sessions.tokens(s)).refresh_token!;
        const b = await rotate(a);
        await without(a, 'rotations');
        const { sessions } = serviceOf(app, { cacheMs: 0, at: await died(s) });
        assert.equal((await sessions.load(s.id))?.session.version, s.version + 1);
        assert.notEqual(await consumedAt(b), null, 'its successor (rotation 1) spent');
      });

      it('ends the session when its spent token names no grant', async () => {
        const s = await signIn();
        const a = (await app.sessions.tokens(s)).refresh_token!;
        const b = await rotate(a);
        await without(a, 'grantId');
        const { sessions, lines } = serviceOf(app, { cacheMs: 0, at: await died(s) });
        assert.equal(await sessions.load(s.id), null);
        assert.notEqual((await row(s.id)).revokedAt, null);
        assert.equal(await consumedAt(b), null);
        assert.deepEqual(
          lines.map(({ msg, reason }) => ({ msg, reason })),
          [{ msg: 'bff refresh refused; session ended', reason: 'session_expired' }],
        );
      });

      it('follows its own chain only, not a second chain of the same grant', async () => {
        const s = await signIn();
        const b = await rotate((await app.sessions.tokens(s)).refresh_token!);
        const iiat = (await app.store.oidc.find('RefreshToken', b))!.payload.iiat as number;
        // A second chain of the same grant (as another sign-in in that browser session gives), rotated as often: another iiat.
        await another(b, 'zzzzzzzz-a-second-chain', { iiat: iiat + 1 });
        const { sessions } = serviceOf(app, { cacheMs: 0, at: await died(s) });
        assert.equal((await sessions.load(s.id))?.session.version, s.version + 1);
        assert.notEqual(await consumedAt(b), null, 'its own successor spent');
        assert.equal(await consumedAt('zzzzzzzz-a-second-chain'), null, 'the other chain left alone');
      });

      it('ends the session when its spent token has two successors', async () => {
        const s = await signIn();
        const b = await rotate((await app.sessions.tokens(s)).refresh_token!);
        await another(b, 'zzzzzzzz-a-second-successor', {});
        const { sessions, lines } = serviceOf(app, { cacheMs: 0, at: await died(s) });
        assert.equal(await sessions.load(s.id), null);
        assert.notEqual((await row(s.id)).revokedAt, null);
        assert.equal(await consumedAt(b), null, 'neither successor spent');
        assert.deepEqual(
          lines.map(({ msg, reason }) => ({ msg, reason })),
          [{ msg: 'bff refresh refused; session ended', reason: 'session_expired' }],
        );
      });

      it('ends the session when its refresh token is gone', async () => {
        const s = await signIn();
        await app.store.oidc.destroy('RefreshToken', (await app.sessions.tokens(s)).refresh_token!);
        const { sessions, lines } = serviceOf(app, { cacheMs: 0, at: await died(s) });
        assert.equal(await sessions.load(s.id), null);
        assert.notEqual((await row(s.id)).revokedAt, null);
        assert.deepEqual(
          lines.map(({ msg, reason }) => ({ msg, reason })),
          [{ msg: 'bff refresh refused; session ended', reason: 'session_expired' }],
        );
      });

      it('does not follow a rotation made by someone else when no refresh of its own died: the session ends', async () => {
        const s = await signIn();
        const a = (await app.sessions.tokens(s)).refresh_token!;
        const theirs = await rotate(a);
        const { sessions, lines } = serviceOf(app, { cacheMs: 0, at: s.accessExpiresAt - 1_000 });
        app.clock.offset = 10_000;
        try {
          assert.equal(await sessions.load(s.id), null);
        } finally {
          app.clock.offset = 0;
        }
        assert.notEqual((await row(s.id)).revokedAt, null);
        assert.equal(await app.store.oidc.find('RefreshToken', theirs), null, 'the replay revoked the grant, their token with it');
        assert.deepEqual(
          lines.map(({ msg, reason }) => ({ msg, reason })),
          [{ msg: 'bff refresh refused; session ended', reason: 'invalid_grant' }],
        );
      });

      it('does not follow a rotation made by someone else moments ago (the grant kept) when no refresh of its own died', async () => {
        const s = await signIn();
        const a = (await app.sessions.tokens(s)).refresh_token!;
        const theirs = await rotate(a);
        const { sessions, lines } = serviceOf(app, { cacheMs: 0, at: s.accessExpiresAt - 1_000 });
        // Inside the provider's reuse window: the replay is refused without revoking the grant, so their token still works.
        assert.equal(await sessions.load(s.id), null);
        assert.notEqual((await row(s.id)).revokedAt, null);
        assert.equal(await consumedAt(theirs), null, 'their token not spent by this session');
        assert.deepEqual(
          lines.map(({ msg, reason }) => ({ msg, reason })),
          [{ msg: 'bff refresh refused; session ended', reason: 'invalid_grant' }],
        );
      });

      it('follows once the rotation of its died attempt when that attempt spends the token between its read and its own request', async () => {
        const s = await signIn();
        const a = (await app.sessions.tokens(s)).refresh_token!;
        const { sessions } = serviceOf(app, { cacheMs: 0, at: await died(s) });
        // The died attempt was only slow: its token request reaches the provider just before this one.
        let theirs: string | undefined;
        const listeners = app.server.listeners('request') as Array<(req: IncomingMessage, res: ServerResponse) => void>;
        const [inner] = listeners;
        let armed = true;
        app.server.removeAllListeners('request');
        app.server.on('request', (req: IncomingMessage, res: ServerResponse) => {
          if (armed && req.method === 'POST' && req.url === '/oauth/token') {
            armed = false;
            void rotate(a).then((t) => ((theirs = t), inner!(req, res)));
            return;
          }
          inner!(req, res);
        });
        try {
          assert.equal((await sessions.load(s.id))?.session.version, s.version + 1);
        } finally {
          app.server.removeAllListeners('request');
          for (const l of listeners) app.server.on('request', l);
        }
        assert.equal(typeof theirs, 'string');
        assert.notEqual(await consumedAt(theirs!), null, "the died attempt's rotation spent");
        const mine = (await app.sessions.tokens(await row(s.id))).refresh_token!;
        assert.ok(![a, theirs].includes(mine), 'rotated once more');
        assert.equal(await consumedAt(mine), null);
        assert.equal((await row(s.id)).refreshAttempt, null);
      });

      it('keeps the session, and says why, when another instance rolled the unfinished consume back first', async () => {
        const s = await signIn();
        const a = (await app.sessions.tokens(s)).refresh_token!;
        const at = (await died(s)) - 2_000;
        assert.equal(await app.store.oidc.consume('RefreshToken', a, at), true);
        // Another instance's rollback of the same consume lands just before this one's.
        const real = app.store.oidc;
        const oidcRows: Store['oidc'] = {
          ...real,
          unconsume: async (model, id, consumed) => {
            assert.equal(await real.unconsume(model, id, consumed), true, "the other instance's rollback");
            return real.unconsume(model, id, consumed);
          },
        };
        const store = new Proxy(app.store, { get: (target, prop) => (prop === 'oidc' ? oidcRows : Reflect.get(target, prop)) });
        const { sessions, lines } = serviceOf(app, { cacheMs: 0, at: at + 10_000, store });
        await assert.rejects(sessions.load(s.id), (e: AppError) => e.code === 'provider_unavailable');
        assert.equal(await consumedAt(a), null, 'rolled back once');
        assert.equal((await row(s.id)).revokedAt, null);
        assert.deepEqual(
          lines.map((l) => [l.msg, (l.err as { message?: string } | undefined)?.message]),
          [['bff refresh failed; session kept', 'the unfinished refresh token changed meanwhile']],
        );
      });

      it('rolls back a consume without a successor exactly ten seconds after it, not before', async () => {
        const s = await signIn();
        const a = (await app.sessions.tokens(s)).refresh_token!;
        const lapsed = await died(s);
        const at = lapsed - 2_000;
        assert.equal(await app.store.oidc.consume('RefreshToken', a, at), true);
        const { sessions, clock, lines } = serviceOf(app, { cacheMs: 0, at: at + 9_999 });
        assert.ok(clock.t > lapsed && clock.t > s.accessExpiresAt, 'the lock lapsed, the access token expired');
        await assert.rejects(sessions.load(s.id), (e: AppError) => e.code === 'provider_unavailable');
        assert.equal(await consumedAt(a), at);
        assert.deepEqual(
          lines.map((l) => [l.msg, (l.err as { message?: string } | undefined)?.message]),
          [['bff refresh failed; session kept', 'an earlier refresh may still be finishing']],
        );
        clock.t = at + 10_000;
        assert.equal((await sessions.load(s.id))?.session.version, s.version + 1);
        assert.notEqual(await consumedAt(a), at, 'consumed again, by this refresh');
      });
    });

    it('logs a refused refresh with the first eight characters of the session id only, and ends the session', async () => {
      const s = await signIn();
      const { refresh_token } = await app.sessions.tokens(s);
      await app.store.oidc.revokeByGrantId((await app.store.oidc.find('RefreshToken', refresh_token!))!.payload.grantId as string);
      const { sessions, lines } = serviceOf(app, { cacheMs: 0, at: s.accessExpiresAt - 1_000 });
      assert.equal(await sessions.load(s.id), null);
      assert.notEqual((await row(s.id)).revokedAt, null);
      assert.deepEqual(
        lines.map(({ level, msg, session, reason }) => ({ level, msg, session, reason })),
        [{ level: 30, msg: 'bff refresh refused; session ended', session: s.id.slice(0, 8), reason: 'invalid_grant' }],
      );
      for (const line of lines) assert.ok(!JSON.stringify(line).includes(s.id), 'no whole session id in a log line');
    });

    it('ends a session whose tokens hold no refresh token, logged as session_expired', async () => {
      const s = await signIn();
      const { sessions, lines } = serviceOf(app, { cacheMs: 0, at: s.lastSeenAt + 1_000 });
      const { access_token } = await app.sessions.tokens(s);
      const bare = await sessions.create(s.userId, { access_token }, s.lastSeenAt + 30_000);
      assert.equal(await sessions.load(bare.id), null);
      assert.notEqual((await row(bare.id)).revokedAt, null);
      assert.deepEqual(
        lines.map(({ level, msg, session, reason }) => ({ level, msg, session, reason })),
        [{ level: 30, msg: 'bff refresh refused; session ended', session: bare.id.slice(0, 8), reason: 'session_expired' }],
      );
    });

    it('keeps a session whose refresh failed, serves it while its token lasts, and logs no whole session id', async () => {
      const s = await signIn();
      const { sessions, clock, lines } = serviceOf(app, { cacheMs: 0, at: s.accessExpiresAt - 1 });
      fault.on = true;
      fault.hits = 0;
      try {
        assert.equal((await sessions.load(s.id))?.session.version, s.version, 'served with its still-valid token');
        clock.t += 1;
        await assert.rejects(sessions.load(s.id), (e: AppError) => {
          assert.deepEqual(
            { code: e.code, status: e.status, expose: e.expose, retryAfter: e.retryAfter, message: e.message },
            {
              code: 'provider_unavailable',
              status: 503,
              expose: true,
              retryAfter: 5,
              message: 'The portal could not renew your session right now. Try again in a moment.',
            },
            'the sentence is shown to the user, with a retry hint',
          );
          return true;
        });
      } finally {
        fault.on = false;
      }
      assert.equal(fault.hits, 2);
      const kept = await row(s.id);
      assert.equal(kept.revokedAt, null);
      assert.equal(kept.refreshLockUntil, null, 'the lock released');
      assert.deepEqual(
        lines.map(({ level, msg, session }) => ({ level, msg, session })),
        [
          { level: 40, msg: 'bff refresh failed; session kept', session: s.id.slice(0, 8) },
          { level: 40, msg: 'bff refresh failed; session kept', session: s.id.slice(0, 8) },
        ],
      );
      for (const line of lines) assert.ok(!JSON.stringify(line).includes(s.id), 'no whole session id in a log line');
    });

    it('keeps a session whose refresh the provider refused with an error other than invalid_grant', async () => {
      const s = await signIn();
      const { sessions, lines } = serviceOf(app, { cacheMs: 0, at: s.accessExpiresAt - 1 });
      Object.assign(fault, { on: true, hits: 0, status: 400, error: 'invalid_request' });
      try {
        assert.equal((await sessions.load(s.id))?.session.version, s.version, 'served with its still-valid token');
      } finally {
        Object.assign(fault, { on: false, status: 503, error: 'temporarily_unavailable' });
      }
      assert.equal(fault.hits, 1);
      const kept = await row(s.id);
      assert.equal(kept.revokedAt, null, 'only invalid_grant ends the session');
      assert.equal(kept.refreshLockUntil, null, 'the lock released');
      assert.deepEqual(
        lines.map(({ level, msg }) => ({ level, msg })),
        [{ level: 40, msg: 'bff refresh failed; session kept' }],
      );
    });

    it('writes the idle timer every tenth of a short SESSION_IDLE_TTL', async () => {
      const s = await signIn();
      // SESSION_IDLE_TTL of 100 s: written every 10 s, not every minute.
      const { sessions, clock } = serviceOf(app, { cacheMs: 0, at: s.lastSeenAt + 10_000, idle: 100 });
      assert.equal((await sessions.load(s.id))?.session.lastSeenAt, s.lastSeenAt);
      assert.equal((await row(s.id)).lastSeenAt, s.lastSeenAt, 'not written at exactly a tenth');
      clock.t += 1;
      assert.equal((await sessions.load(s.id))?.session.lastSeenAt, clock.t);
      assert.equal((await row(s.id)).lastSeenAt, clock.t, 'written a millisecond later');
    });

    it('logs a failed announcement of a session change as a warning, and the change still holds', async () => {
      const s = await signIn();
      // The store's notification channel fails (as a dropped PostgreSQL connection would); the rest is the real store.
      const events: Store['events'] = { ...app.store.events, publish: () => Promise.reject(new Error('notify failed')) };
      const store = new Proxy(app.store, { get: (target, prop) => (prop === 'events' ? events : Reflect.get(target, prop)) });
      const { sessions, lines } = serviceOf(app, { cacheMs: 60_000, at: s.lastSeenAt + 1_000, store });
      assert.equal((await sessions.load(s.id))?.session.id, s.id);
      await sessions.revoke(s.id);
      assert.notEqual((await row(s.id)).revokedAt, null);
      assert.equal(await sessions.load(s.id), null, 'its cached copy dropped here');
      assert.deepEqual(
        lines.map(({ level, msg, err }) => ({ level, msg, err: (err as { message?: string } | undefined)?.message })),
        [{ level: 40, msg: 'telling other instances about a session change failed', err: 'notify failed' }],
      );
    });

    if (db === 'postgres') {
      it('tells the other instances about one session: they drop its cached copy, and only it', async () => {
        const ended = await signIn('pat@example.com');
        const kept = await signIn('pat@example.com');
        const at = Math.max(ended.lastSeenAt, kept.lastSeenAt) + 1_000;
        const here = serviceOf(app, { cacheMs: 60_000, at });
        const there = serviceOf(app, { cacheMs: 60_000, at });
        for (const s of [ended, kept]) assert.equal((await there.sessions.load(s.id))?.session.id, s.id);
        // Subscribed after `there`: called after its listener, for the same notification.
        const heard = new Promise<void>((resolve) =>
          app.store.events.subscribe(SESSION_CHANNEL, (payload) => {
            if (payload === ended.id) resolve();
          }),
        );
        await here.sessions.revoke(ended.id);
        await heard;
        assert.equal(await there.sessions.load(ended.id), null, 'dropped there too');
        assert.equal((await there.sessions.load(kept.id))?.session.id, kept.id, "the user's other session kept there");
      });
    }
  });
}
