/**
 * Zenith's identity and throttle (auth.ts), where mutation testing
 * (docs/mutation.md) found them unchecked: the identity a live access token
 * gives (its user, client, grant, scopes and expiry), none for a disabled
 * account or a token that is not one, and the per-address throttle at its
 * exact limit and window end, a success clearing it, and a success with
 * nothing on record writing nothing; and the identity an upstream provider's
 * token gives (the connection as its client, no grant, a recheck time), none
 * for an unknown provider, a token the provider refuses, or a disabled
 * account. Against the real provider and store, on
 * SQLite and PostgreSQL.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { decodeJwt } from 'jose';
import { startTestApp, type TestApp } from '../../testing/test-app.ts';
import { createAccount } from '../../accounts/accounts.ts';
import { partner, PASSWORD, rawAuthenticate, type Partner } from '../workos/test-helpers.ts';
import { startUpstreamOp, UPSTREAM_USERS, type UpstreamOp } from '../../testing/upstream-op.ts';
import { createConnection } from '../../federation/connections.ts';
import { acrFor, upstreamTokensFor } from '../../federation/public.ts';
import { federate } from '../../federation/test-helpers.ts';
import { Agent } from '../../testing/agent.ts';
import { identityFromToken, identityFromUpstream, throttleFor, throttleKey, UPSTREAM_RECHECK_S } from './auth.ts';

const LIMIT = 3;
const WINDOW_S = 120;

for (const db of ['sqlite', 'postgres'] as const) {
  describe(`Zenith identity and throttle, exactly (${db})`, () => {
    let app: TestApp;
    let conf: Partner;
    before(async () => {
      app = await startTestApp({ db, env: { RATE_LIMIT_LOGIN_PER_ACCOUNT: String(LIMIT), RATE_LIMIT_WINDOW: String(WINDOW_S) } });
      conf = await partner(app, false, ['openid', 'email']);
    });
    after(() => app.close());

    async function accessToken(email: string): Promise<string> {
      const res = await rawAuthenticate(app, { grant_type: 'password', client_id: conf.clientId, client_secret: conf.secret, email, password: PASSWORD });
      assert.equal(res.status, 200, await res.clone().text());
      return ((await res.json()) as { access_token: string }).access_token;
    }

    it('a live token of a live account is an identity: user, name, client, grant, scopes, expiry', async () => {
      const user = await createAccount(app.store, { email: `zed-${db}@example.com`, password: PASSWORD, name: 'Zed Zenith' }, Date.now());
      const token = await accessToken(user.email);
      const claims = decodeJwt(token);
      const id = await identityFromToken(app.deps, token);
      assert.ok(id);
      assert.match(id.grantId, /\S/);
      assert.deepEqual(
        { ...id, grantId: '' },
        { token, userId: user.id, displayName: 'Zed Zenith', clientId: conf.clientId, grantId: '', scope: ['openid', 'email'], exp: claims.exp },
      );
      assert.equal(await identityFromToken(app.deps, 'not-a-token'), null);
      assert.equal(await identityFromToken(app.deps, `${token.slice(0, -4)}AAAA`), null);
      await app.store.users.setDisabled(user.id, true, Date.now());
      assert.equal(await identityFromToken(app.deps, token), null, 'a disabled account has no identity');
    });

    it('the per-address throttle: the limit, the wait rounded up, the window end, a success clearing it', async () => {
      assert.equal(throttleKey('203.0.113.5'), 'zenith:203.0.113.5');
      const t = throttleFor(app.deps, '203.0.113.5');
      assert.equal(await t.blocked(), null);
      for (let i = 1; i < LIMIT; i++) await t.failed();
      assert.equal(await t.blocked(), null, 'one under the limit');
      assert.equal((await app.store.throttle.peek('zenith:203.0.113.5', app.deps.now()))!.count, LIMIT - 1);
      await t.failed();
      const wait = await t.blocked();
      assert.ok(wait === WINDOW_S || wait === WINDOW_S - 1, String(wait));
      const { resetAt } = (await app.store.throttle.peek('zenith:203.0.113.5', app.deps.now()))!;
      app.clock.offset += resetAt - app.deps.now() - 1500;
      assert.equal(await t.blocked(), 2, '1.5 s left is a 2 s wait');
      app.clock.offset += 1000;
      assert.equal(await t.blocked(), 1, '0.5 s left is a 1 s wait');
      assert.equal(await throttleFor(app.deps, '203.0.113.6').blocked(), null, 'another address is not blocked');
      app.clock.offset += 500;
      assert.equal(await t.blocked(), null, 'the window has ended');

      const u = throttleFor(app.deps, '203.0.113.7');
      for (let i = 0; i < LIMIT; i++) await u.failed();
      assert.notEqual(await u.blocked(), null);
      await u.succeeded();
      assert.equal(await app.store.throttle.peek('zenith:203.0.113.7', app.deps.now()), null, 'a success clears the count');
      assert.equal(await throttleFor(app.deps, '203.0.113.7').blocked(), null);
    });

    it('a success writes only when there were failures to clear', async () => {
      const throttle = app.store.throttle;
      const reset = throttle.reset.bind(throttle);
      const resets: string[] = [];
      throttle.reset = async (key: string) => {
        resets.push(key);
        return reset(key);
      };
      try {
        const clean = throttleFor(app.deps, '198.51.100.1');
        assert.equal(await clean.blocked(), null);
        await clean.succeeded();
        assert.deepEqual(resets, [], 'nothing on record: no write');

        const unasked = throttleFor(app.deps, '198.51.100.2');
        await unasked.succeeded();
        assert.deepEqual(resets, ['zenith:198.51.100.2'], 'not asked first: it clears to be safe');

        const failing = throttleFor(app.deps, '198.51.100.3');
        assert.equal(await failing.blocked(), null);
        await failing.failed();
        await failing.succeeded();
        assert.deepEqual(resets.slice(1), ['zenith:198.51.100.3'], 'a failure since: cleared');

        await throttleFor(app.deps, '198.51.100.4').failed();
        const seen = throttleFor(app.deps, '198.51.100.4');
        assert.equal(await seen.blocked(), null);
        await seen.succeeded();
        assert.deepEqual(resets.slice(2), ['zenith:198.51.100.4'], 'failures on record: cleared');
      } finally {
        throttle.reset = reset;
      }
    });
  });
}

for (const db of ['sqlite', 'postgres'] as const) {
  describe(`Zenith identity from an upstream provider's token, exactly (${db})`, () => {
    let app: TestApp;
    let up: UpstreamOp;
    before(async () => {
      app = await startTestApp({ db, env: { FEDERATION_ALLOW_PRIVATE: '1' } }); // the upstream OP listens on loopback
      up = await startUpstreamOp({ redirectUris: [`${app.url}/bff/federation/callback`] });
    });
    after(async () => {
      await up?.close();
      await app?.close();
    });

    it('a linked live account: the connection as client, no grant, rechecked in five minutes; else none', async () => {
      const conn = await createConnection(
        { store: app.store, cookieSecrets: app.config.cookieSecrets, now: Date.now(), allowPrivate: app.config.federationAllowPrivate },
        { name: 'Upstream', issuer: up.issuer, clientId: up.clientId, clientSecret: up.clientSecret, scopes: ['openid', 'email', 'profile'] },
      );
      const alice = UPSTREAM_USERS[0]!;
      await federate(app, new Agent(app.url), up.issuer, conn.id, { email: alice.email, password: alice.password });
      const user = (await app.store.users.findByEmail(alice.email))!;
      const token = (await upstreamTokensFor(app.deps, user.id, acrFor(conn)))!.access_token;

      const before = Math.floor(Date.now() / 1000);
      const id = await identityFromUpstream(app.deps, 'Upstream', token);
      const after = Math.floor(Date.now() / 1000);
      assert.ok(id);
      assert.ok(id.exp >= before + UPSTREAM_RECHECK_S && id.exp <= after + UPSTREAM_RECHECK_S, String(id.exp));
      assert.deepEqual(
        { ...id, exp: 0 },
        {
          token,
          userId: user.id,
          displayName: user.name,
          clientId: `upstream:${conn.id}`,
          grantId: '',
          scope: ['openid', 'email', 'profile'],
          exp: 0,
          upstream: 'Upstream',
        },
      );
      assert.equal(await identityFromUpstream(app.deps, 'NoSuchProvider', token), null);
      assert.equal(await identityFromUpstream(app.deps, 'Upstream', 'not-a-token-at-all'), null);
      await app.store.users.setDisabled(user.id, true, Date.now());
      assert.equal(await identityFromUpstream(app.deps, 'Upstream', token), null, 'a disabled account has no identity');
    });
  });
}
