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
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestApp, type TestApp } from '../testing/test-app.ts';
import { signedInAgent, type Agent } from '../testing/agent.ts';
import { createAccount } from '../accounts/accounts.ts';
import { sessionRow } from '../impersonation/test-helpers.ts';

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
