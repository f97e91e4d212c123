/**
 * The session service's waits for another holder of the refresh lock (session/sessions.ts), where
 * mutation testing (docs/mutation.md) found the limit and the pacing unchecked: a refresh waits at
 * most 100 polls (about 30 s, 50 ms + 5 ms more each time) for another tab or instance, and so does
 * a token update (the gateway's per-API tokens). These tests wait that long in real time, so they
 * live apart from `sessions-mutants.test.ts`. The service is built over the test app's real store
 * and provider with a clock of its own that stands still; a view of the store counts the session
 * reads (and stops a runaway loop after 150). Sessions come from a real sign-in, on SQLite and
 * PostgreSQL.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';
import { startTestApp, type TestApp } from '../testing/test-app.ts';
import { signedInAgent } from '../testing/agent.ts';
import { createAccount } from '../accounts/accounts.ts';
import { sessionRow } from '../impersonation/test-helpers.ts';
import { createSessionService, type SessionTokens } from './sessions.ts';
import { createLogger } from '../http/logger.ts';
import type { AppError } from '../http/errors.ts';
import type { Store } from '../store/store.ts';

const PASSWORD = 'correct horse battery staple';
const POLLS_AT_MOST = 150;

/** The service over a view of the real store that counts the session row's reads. */
function countedServiceOf(app: TestApp, at: number, onRead: (n: number, clock: { t: number }) => void = () => {}) {
  let reads = 0;
  const clock = { t: at };
  const real = app.store.bffSessions;
  const bffSessions: Store['bffSessions'] = {
    ...real,
    find: async (id) => {
      if (++reads > POLLS_AT_MOST) throw new Error('read the session row more than 150 times');
      const found = await real.find(id);
      onRead(reads, clock);
      return found;
    },
  };
  const store = new Proxy(app.store, { get: (target, prop) => (prop === 'bffSessions' ? bffSessions : Reflect.get(target, prop)) });
  const sessions = createSessionService({
    config: { ...app.config, sessionCacheMs: 0 },
    store,
    logger: createLogger('silent'),
    now: () => clock.t,
    oidcConfig: app.deps.oidcConfig,
  });
  return { sessions, clock, reads: () => reads };
}

const unavailable = (message: string) => (e: AppError) => {
  assert.deepEqual(
    { code: e.code, status: e.status, expose: e.expose, retryAfter: e.retryAfter, message: e.message },
    { code: 'provider_unavailable', status: 503, expose: true, retryAfter: 5, message },
  );
  return true;
};

for (const db of ['sqlite', 'postgres'] as const) {
  describe(`waiting for another holder of the refresh lock (${db})`, () => {
    let app: TestApp;
    before(async () => {
      app = await startTestApp({ db, env: { SESSION_CACHE_MS: '0' } });
      await createAccount(app.store, { email: 'sam@example.com', password: PASSWORD }, Date.now());
    });
    after(() => app.close());

    const signIn = async () => sessionRow(app, await signedInAgent(app.url, 'sam@example.com', PASSWORD));
    const row = async (id: string) => (await app.store.bffSessions.find(id))!;

    it('a refresh gives up after 100 polls with provider_unavailable; the lock has not lapsed at the instant it names', async () => {
      const s = await signIn();
      // The access token has ended; the clock stands at exactly the end of the other holder's lock.
      const t = s.accessExpiresAt + 1_000;
      assert.equal(await app.store.bffSessions.acquireRefreshLock(s.id, s.version, t - 1_000, t, { id: 'elsewhere', previous: null }), true);
      const { sessions, reads } = countedServiceOf(app, t);
      await assert.rejects(sessions.load(s.id), unavailable('Renewing your session took too long. Try again in a moment.'));
      assert.equal(reads(), 101, "the load's own read and 100 polls");
      const kept = await row(s.id);
      assert.equal(kept.version, s.version);
      assert.equal(kept.refreshAttempt, 'elsewhere', 'the holder left alone');
    });

    it("a refresh still waits after 10 s, and answers with the holder's result", async () => {
      const s = await signIn();
      const t = s.accessExpiresAt + 1_000;
      assert.equal(await app.store.bffSessions.acquireRefreshLock(s.id, s.version, t - 1_000, t + 14_000, { id: 'elsewhere', previous: null }), true);
      const { sessions } = countedServiceOf(app, t);
      const holder = delay(10_000).then(() => app.store.bffSessions.completeRefresh(s.id, s.tokens, t + 600_000, 'elsewhere'));
      const [loaded, stored] = await Promise.allSettled([sessions.load(s.id), holder]);
      assert.deepEqual(stored, { status: 'fulfilled', value: true });
      assert.equal(loaded.status, 'fulfilled', String((loaded as PromiseRejectedResult).reason));
      assert.equal(loaded.value?.session.version, s.version + 1);
      assert.equal(loaded.value?.session.accessExpiresAt, t + 600_000);
    });

    it('a token update gives up after 100 tries with provider_unavailable, while a live lock of another attempt is held', async () => {
      const s = await signIn();
      // The access token still works; the clock stands at exactly the end of the other attempt's lock.
      const t = s.lastSeenAt + 1_000;
      assert.equal(await app.store.bffSessions.acquireRefreshLock(s.id, s.version, t - 1_000, t, { id: 'elsewhere', previous: null }), true);
      const { sessions, reads } = countedServiceOf(app, t);
      let updates = 0;
      await assert.rejects(
        sessions.updateTokens(
          s.id,
          'k',
          () => false,
          async (x) => {
            updates++;
            return x;
          },
        ),
        unavailable('Getting a token for this API took too long. Try again in a moment.'),
      );
      assert.equal(reads(), 100, 'one read a try');
      assert.equal(updates, 0);
      assert.equal((await row(s.id)).version, s.version);
    });

    it('a token update on its 100th and last try, the holder having died, ends with session_expired when the session cannot be refreshed', async () => {
      const s = await signIn();
      const t = s.lastSeenAt + 1_000;
      assert.equal(await app.store.bffSessions.acquireRefreshLock(s.id, s.version, t - 1_000, t + 14_000, { id: 'elsewhere', previous: null }), true);
      // The grant is gone (revoked elsewhere): the session's own refresh will end it.
      const { refresh_token } = await app.sessions.tokens(s);
      await app.store.oidc.revokeByGrantId((await app.store.oidc.find('RefreshToken', refresh_token!))!.payload.grantId as string);
      // The holder's lock lapses just as the last try reads the row.
      const counted = countedServiceOf(app, t, (n, clock) => {
        if (n === 100) clock.t = t + 14_001;
      });
      await assert.rejects(
        counted.sessions.updateTokens(
          s.id,
          'k',
          () => false,
          async (x) => x,
        ),
        (e: AppError) => e.code === 'session_expired' && e.status === 401,
      );
      assert.equal(counted.reads(), 100);
      assert.notEqual((await row(s.id)).revokedAt, null);
    });

    it("a token update still waits after 10 s, then runs on the holder's result", async () => {
      const s = await signIn();
      const t = s.lastSeenAt + 1_000;
      assert.equal(await app.store.bffSessions.acquireRefreshLock(s.id, s.version, t - 1_000, t + 14_000, { id: 'elsewhere', previous: null }), true);
      const { sessions } = countedServiceOf(app, t);
      const calls: SessionTokens[] = [];
      const holder = delay(10_000).then(() => app.store.bffSessions.completeRefresh(s.id, s.tokens, s.accessExpiresAt, 'elsewhere'));
      const [updated, stored] = await Promise.allSettled([
        sessions.updateTokens(
          s.id,
          'k',
          () => false,
          async (x) => {
            calls.push(x);
            return { ...x, resources: { k: { access_token: 'token for k', expires_at: 1 } } };
          },
        ),
        holder,
      ]);
      assert.deepEqual(stored, { status: 'fulfilled', value: true });
      assert.equal(updated.status, 'fulfilled', String((updated as PromiseRejectedResult).reason));
      assert.equal(calls.length, 1);
      assert.deepEqual(updated.value.resources, { k: { access_token: 'token for k', expires_at: 1 } });
      assert.equal((await row(s.id)).version, s.version + 2, "the holder's version, then the update's");
    });
  });
}
