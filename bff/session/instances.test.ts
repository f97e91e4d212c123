/**
 * Two instances on one database, as behind a load balancer: tokens issued by
 * one verify at the other, a refresh racing on both spends the refresh token
 * once, and a logout on one holds on the other.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { unsealData } from 'iron-session';
import { startTestApp, type TestApp } from '../testing/test-app.ts';
import { Agent, authorizeThrough } from '../testing/agent.ts';
import { createAccount } from '../accounts/accounts.ts';

const PASSWORD = 'correct horse battery staple';

for (const db of ['sqlite', 'postgres'] as const) {
  describe(`two instances on one ${db} database`, () => {
    let a: TestApp;
    let b: TestApp;
    before(async () => {
      a = await startTestApp({ db, env: { SESSION_CACHE_MS: '0' } });
      // Same database, secrets and public address (as behind one load balancer); its own process
      // state (provider, caches) and port.
      b = await startTestApp({ databaseUrl: a.config.databaseUrl, env: { PUBLIC_URL: a.url, SESSION_CACHE_MS: '0' } });
      await createAccount(a.store, { email: 'multi@example.com', password: PASSWORD }, Date.now());
    });
    after(async () => {
      await b.close();
      await a.close();
    });

    it('signing keys are shared: B verifies what A issued', async () => {
      const ja = await (await fetch(`${a.config.issuer}/jwks`)).json();
      const jb = await (await fetch(`${b.url}/oauth/jwks`)).json();
      assert.deepEqual(
        jb.keys.map((k: { kid: string }) => k.kid),
        ja.keys.map((k: { kid: string }) => k.kid),
      );
    });

    it('a session cookie from A works at B, refresh races spend the token once, logout on B holds on A', async () => {
      const agentA = new Agent(a.url);
      assert.equal((await authorizeThrough(agentA, '/bff/login', { email: 'multi@example.com', password: PASSWORD })).pathname, '/account');
      const cookie = agentA.cookieHeader();
      const { sid } = await unsealData<{ sid: string }>(decodeURIComponent(agentA.jar.get('portal')!.value), {
        password: a.config.cookieSecrets as Record<string, string>,
      });
      const row = (await a.store.bffSessions.find(sid))!;
      const { access_token } = await a.sessions.tokens(row);
      // B's userinfo accepts A's access token (same keys, same store).
      assert.equal((await fetch(`${b.url}/oauth/userinfo`, { headers: { authorization: `Bearer ${access_token}` } })).status, 200);

      // Two tabs, one on each instance, both near expiry: one refresh, both answered, grant intact.
      const skew = row.accessExpiresAt - Date.now() - 1000;
      a.clock.offset = skew;
      b.clock.offset = skew;
      try {
        const [ra, rb] = await Promise.all([fetch(`${a.url}/bff/session`, { headers: { cookie } }), fetch(`${b.url}/bff/session`, { headers: { cookie } })]);
        assert.equal((await ra.json()).authenticated, true);
        assert.equal((await rb.json()).authenticated, true);
        const after1 = (await a.store.bffSessions.find(sid))!;
        assert.equal(after1.version, row.version + 1, 'exactly one refresh across both instances');
        assert.equal(after1.revokedAt, null);
      } finally {
        a.clock.offset = 0;
        b.clock.offset = 0;
      }

      const out = await fetch(`${b.url}/bff/logout`, {
        method: 'POST',
        headers: { cookie, 'x-portal-csrf': '1', origin: a.url, 'sec-fetch-site': 'same-origin' },
      });
      assert.equal(out.status, 200);
      assert.deepEqual(await (await fetch(`${a.url}/bff/session`, { headers: { cookie } })).json(), { authenticated: false });
    });
  });
}

describe('two PostgreSQL instances with session caches on', () => {
  let a: TestApp;
  let b: TestApp;
  before(async () => {
    a = await startTestApp({ db: 'postgres', env: { SESSION_CACHE_MS: '60000' } });
    b = await startTestApp({ databaseUrl: a.config.databaseUrl, env: { PUBLIC_URL: a.url, SESSION_CACHE_MS: '60000' } });
    await createAccount(a.store, { email: 'cached@example.com', password: PASSWORD }, Date.now());
  });
  after(async () => {
    await b.close();
    await a.close();
  });

  it('a logout on B reaches A at once, though A had the session cached for a minute', async () => {
    const agent = new Agent(a.url);
    assert.equal((await authorizeThrough(agent, '/bff/login', { email: 'cached@example.com', password: PASSWORD })).pathname, '/account');
    const cookie = agent.cookieHeader();
    assert.equal((await (await fetch(`${a.url}/bff/session`, { headers: { cookie } })).json()).authenticated, true, 'now cached on A');
    const out = await fetch(`${b.url}/bff/logout`, {
      method: 'POST',
      headers: { cookie, 'x-portal-csrf': '1', origin: a.url, 'sec-fetch-site': 'same-origin' },
    });
    assert.equal(out.status, 200);
    // NOTIFY is delivered asynchronously; allow it a moment, far less than the cache's minute.
    let seen: unknown;
    for (let i = 0; i < 20; i++) {
      seen = await (await fetch(`${a.url}/bff/session`, { headers: { cookie } })).json();
      if ((seen as { authenticated: boolean }).authenticated === false) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.deepEqual(seen, { authenticated: false });
  });
});
