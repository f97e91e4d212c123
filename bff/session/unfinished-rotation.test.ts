/**
 * The provider rotates a refresh token in two writes: it consumes the old one,
 * then saves the new one. A process killed between them (found by
 * kill-instance.test.ts) leaves a consumed token with no successor, which no
 * one ever received. The next refresh rolls that consume back, once the token
 * request that made it cannot still be running, instead of signing the user out.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { unsealData } from 'iron-session';
import { startTestApp, type TestApp } from '../testing/test-app.ts';
import { signedInAgent } from '../testing/agent.ts';
import { createAccount } from '../accounts/accounts.ts';

const PASSWORD = 'correct horse battery staple';
const LOCK_MS = 15_000;

for (const db of ['sqlite', 'postgres'] as const) {
  describe(`a refresh killed between the provider's two writes (${db})`, () => {
    let app: TestApp;
    before(async () => {
      app = await startTestApp({ db, env: { SESSION_CACHE_MS: '0' } });
      await createAccount(app.store, { email: 'una@example.com', password: PASSWORD }, Date.now());
    });
    after(() => app.close());

    it('keeps the session: the next refresh goes on from the unreplaced token, and only once its request has surely ended', async () => {
      const agent = await signedInAgent(app.url, 'una@example.com', PASSWORD);
      const { sid } = await unsealData<{ sid: string }>(decodeURIComponent(agent.jar.get('portal')!.value), {
        password: app.config.cookieSecrets as Record<string, string>,
      });
      const whoAmI = () => fetch(`${app.url}/bff/session`, { headers: { cookie: agent.cookieHeader() } });
      const start = (await app.store.bffSessions.find(sid))!;
      const { refresh_token } = await app.sessions.tokens(start);

      // What the dead process left: its attempt's lock, and the token consumed late in it with no successor.
      // It died refreshing, a second before the access token ended (the injected clock's time).
      const t = start.accessExpiresAt - 1_000;
      assert.equal(await app.store.bffSessions.acquireRefreshLock(sid, start.version, t, t + LOCK_MS, { id: 'killed', previous: start.refreshAttempt }), true);
      const consumedAt = t + LOCK_MS - 2_000;
      assert.equal(await app.store.oidc.consume('RefreshToken', refresh_token!, consumedAt), true);

      try {
        // The lock has lapsed and the access token expired, but that token request may still be finishing: wait.
        app.clock.offset = t + LOCK_MS + 1_000 - Date.now();
        const wait = await whoAmI();
        assert.equal(wait.status, 503);
        assert.equal(wait.headers.get('retry-after'), '5');
        const kept = (await app.store.bffSessions.find(sid))!;
        assert.equal(kept.revokedAt, null);
        assert.equal(kept.version, start.version);
        assert.equal((await app.store.oidc.find('RefreshToken', refresh_token!))!.consumedAt, consumedAt);

        // Past the token request's own limit: the consume is rolled back and the chain goes on from it.
        app.clock.offset = consumedAt + 10_000 + 1_000 - Date.now();
        const res = await whoAmI();
        assert.equal(res.status, 200);
        assert.equal(((await res.json()) as { authenticated: boolean }).authenticated, true);
        const recovered = (await app.store.bffSessions.find(sid))!;
        assert.equal(recovered.version, start.version + 1);
        assert.equal(recovered.revokedAt, null);
        assert.equal(recovered.refreshAttempt, null);
        const rotated = (await app.sessions.tokens(recovered)).refresh_token!;
        assert.notEqual(rotated, refresh_token);
        assert.notEqual((await app.store.oidc.find('RefreshToken', refresh_token!))!.consumedAt, null, 'spent again, by this rotation');

        // And the chain keeps turning.
        app.clock.offset = recovered.accessExpiresAt - Date.now() - 1_000;
        assert.equal(((await (await whoAmI()).json()) as { authenticated: boolean }).authenticated, true);
        assert.equal((await app.store.bffSessions.find(sid))!.version, start.version + 2);
      } finally {
        app.clock.offset = 0;
      }
    });
  });
}
