/**
 * The client-authentication throttle (client-throttle.ts) at its exact limits,
 * where mutation testing (docs/mutation.md) asks for them: 20 failures per
 * client and address and 50 per address, from both sides, in both the check
 * before answering and the count after a failure; Retry-After rounded up from
 * the later of the two windows; the window's end; nothing keyed without an
 * address. Then the middleware in the running app: which failures it counts
 * and under which client id (the known client, the posted `client_id`, the
 * Basic header's, percent-decoded, or none), the 429's exact answer, refusal
 * only at /token, /introspect and /revoke (another endpoint counts but is not
 * refused), nothing counted for a refused request or a right secret. The
 * functions run with an explicit clock; the HTTP side seeds the real store's
 * counters and reads them back, on SQLite and PostgreSQL.
 */
import { describe, it, before, after, mock } from 'node:test';
import assert from 'node:assert/strict';
import { startTestApp, type TestApp } from '../testing/test-app.ts';
import { testPartner } from '../testing/partner.ts';
import { rawSql } from '../testing/raw-sql.ts';
import { clientAuthBlocked, clientAuthFailed, CLIENT_FAILURES_PER_ADDRESS, CLIENT_FAILURES_PER_SOURCE } from './client-throttle.ts';

const T0 = 1_900_000_000_000;
const WINDOW = 15 * 60_000;

for (const db of ['sqlite', 'postgres'] as const) {
  describe(`client-authentication throttle limits (${db})`, () => {
    let app: TestApp;
    before(async () => {
      app = await startTestApp({ db });
    });
    after(() => app.close());
    const count = async (key: string, now = T0) => (await app.store.throttle.peek(key, now))?.count ?? 0;

    it('states its limits', () => {
      assert.deepEqual([CLIENT_FAILURES_PER_SOURCE, CLIENT_FAILURES_PER_ADDRESS], [20, 50]);
    });

    it('per client and address: the 20th failure is still answered, the 21st waits out the window, rounded up', async () => {
      const ip = '198.51.100.1';
      for (let i = 1; i <= 20; i++) {
        assert.equal(await clientAuthBlocked(app.store, 'client_a', ip, T0), null, `before failure ${i}`);
        assert.equal(await clientAuthFailed(app.store, 'client_a', ip, T0), null, `failure ${i}`);
      }
      assert.deepEqual([await count(`oauth-client:client_a|${ip}`), await count(`oauth-client-ip:${ip}`)], [20, 20]);
      assert.equal(await clientAuthBlocked(app.store, 'client_a', ip, T0), 900, 'at the limit: the next would be over it');
      assert.equal(await clientAuthBlocked(app.store, 'client_a', ip, T0 + 1_500), 899, '898.5 s rounded up');
      assert.equal(await clientAuthBlocked(app.store, 'client_a', ip, T0 + WINDOW - 1), 1, 'never 0');
      assert.equal(await clientAuthBlocked(app.store, 'client_a', ip, T0 + WINDOW), null, 'the window is over');
      assert.equal(await clientAuthFailed(app.store, 'client_a', ip, T0 + 100_000), 800, 'the 21st failure is over the limit');
      // Only this client from this address: another client, or the same from elsewhere, is answered.
      assert.equal(await clientAuthBlocked(app.store, 'client_b', ip, T0), null);
      assert.equal(await clientAuthBlocked(app.store, 'client_a', '198.51.100.2', T0), null);
    });

    it('per address, across clients: the 50th failure is still answered, the 51st waits', async () => {
      const ip = '198.51.100.3';
      for (let i = 1; i <= 50; i++) {
        assert.equal(await clientAuthBlocked(app.store, `client_${i}`, ip, T0), null, `before failure ${i}`);
        assert.equal(await clientAuthFailed(app.store, `client_${i}`, ip, T0), null, `failure ${i}`);
      }
      assert.equal(await count(`oauth-client-ip:${ip}`), 50);
      assert.equal(await clientAuthBlocked(app.store, 'client_new', ip, T0 + 60_000), 840, 'any client from there');
      assert.equal(await clientAuthBlocked(app.store, null, ip, T0 + 60_000), 840, 'no client id at all');
      assert.equal(await clientAuthFailed(app.store, null, ip, T0 + 60_000), 840, 'the 51st');
      assert.equal(await count(`oauth-client-ip:${ip}`), 51);
      assert.equal(await clientAuthBlocked(app.store, 'client_new', '198.51.100.4', T0), null, 'another address');
    });

    it('waits for the later of the two windows', async () => {
      const ip = '198.51.100.5';
      // The address's window opens at T0, this client's two minutes later: both go over their limits.
      for (let i = 0; i < 50; i++) await clientAuthFailed(app.store, `other_${i}`, ip, T0);
      for (let i = 0; i < 20; i++) await clientAuthFailed(app.store, 'client_late', ip, T0 + 120_000);
      assert.equal(await clientAuthBlocked(app.store, 'client_late', ip, T0 + 130_000), 890, "the client's window, which ends later");
      assert.equal(await clientAuthBlocked(app.store, 'other_0', ip, T0 + 130_000), 770, "another client: the address's window");
      assert.equal(await clientAuthBlocked(app.store, 'client_late', ip, T0 + WINDOW), 120, 'the address window over, the client’s not');
    });

    it('without an address, counts and refuses nothing', async () => {
      for (let i = 0; i < 60; i++) assert.equal(await clientAuthFailed(app.store, 'client_noip', null, T0), null);
      assert.equal(await clientAuthBlocked(app.store, 'client_noip', null, T0), null);
      assert.equal(await clientAuthBlocked(app.store, 'client_noip', '', T0), null);
      assert.deepEqual([await count('oauth-client:client_noip|null'), await count('oauth-client-ip:null'), await count('oauth-client-ip:')], [0, 0, 0]);
    });

    it('without an address refuses nothing, even when an address spelled "null" is over its limits', async () => {
      // A forwarded-for value of "null" is an address like any other: counted and refused as itself.
      for (let i = 0; i < 50; i++) await clientAuthFailed(app.store, 'client_nullip', 'null', T0);
      assert.equal(await clientAuthBlocked(app.store, 'client_nullip', 'null', T0), 900);
      assert.equal(await clientAuthBlocked(app.store, 'client_nullip', null, T0), null);
    });
  });

  describe(`the client-authentication throttle in the token endpoint (${db})`, () => {
    let app: TestApp;
    let partner: { clientId: string; secret: string };
    before(async () => {
      app = await startTestApp({ db, env: { TRUST_PROXY: '1' } });
      partner = await testPartner(app);
    });
    after(() => app.close());
    const count = async (key: string) => (await app.store.throttle.peek(key, Date.now()))?.count ?? 0;
    /** Puts `n` failures on record for `key`, as earlier requests would have. */
    const seed = async (key: string, n: number) => {
      for (let i = 0; i < n; i++) await app.store.throttle.hit(key, Date.now(), WINDOW);
    };
    const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;
    const post = (path: string, from: string, headers: Record<string, string>, body: Record<string, string>) =>
      fetch(`${app.config.issuer}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-forwarded-for': from, ...headers },
        body: new URLSearchParams(body),
      });
    const codeGrant = { grant_type: 'authorization_code', code: 'nope', redirect_uri: 'https://partner.example/cb' };

    it('counts a wrong secret under the known client and the address, and refuses the 21st with the exact 429', async () => {
      const ip = '203.0.113.1';
      const first = await post('/token', ip, { authorization: basic(partner.clientId, 'wrong') }, codeGrant);
      assert.equal(first.status, 401);
      assert.match(first.headers.get('www-authenticate') ?? '', /^Basic realm=/, 'the 401 asks for Basic; the 429 below must not');
      assert.equal((await first.json()).error, 'invalid_client');
      assert.deepEqual([await count(`oauth-client:${partner.clientId}|${ip}`), await count(`oauth-client-ip:${ip}`)], [1, 1]);

      await seed(`oauth-client:${partner.clientId}|${ip}`, 18);
      const twentieth = await post('/token', ip, { authorization: basic(partner.clientId, 'wrong') }, codeGrant);
      assert.equal(twentieth.status, 401, 'the 20th is still answered');
      await twentieth.body?.cancel();
      assert.equal(await count(`oauth-client:${partner.clientId}|${ip}`), 20);

      const refused = await post('/token', ip, { authorization: basic(partner.clientId, 'wrong') }, codeGrant);
      assert.equal(refused.status, 429);
      assert.deepEqual(await refused.json(), { error: 'invalid_client', error_description: 'too many failed client authentications; retry later' });
      assert.match(refused.headers.get('retry-after') ?? '', /^[1-9][0-9]*$/);
      assert.ok(Number(refused.headers.get('retry-after')) <= 900);
      assert.equal(refused.headers.get('cache-control'), 'no-store');
      assert.equal(refused.headers.get('www-authenticate'), null);
      assert.deepEqual(
        [await count(`oauth-client:${partner.clientId}|${ip}`), await count(`oauth-client-ip:${ip}`)],
        [20, 2],
        'a refusal is not counted again',
      );

      // The right secret from the same address is answered as usual, and counts nothing.
      const owner = await post('/token', ip, { authorization: basic(partner.clientId, partner.secret) }, codeGrant);
      assert.equal(owner.status, 400);
      assert.equal((await owner.json()).error, 'invalid_grant');
      assert.deepEqual([await count(`oauth-client:${partner.clientId}|${ip}`), await count(`oauth-client-ip:${ip}`)], [20, 2]);
    });

    it('refuses at /introspect and /revoke too, but only counts at another endpoint', async () => {
      const ip = '203.0.113.2';
      await seed(`oauth-client:${partner.clientId}|${ip}`, 20);
      for (const path of ['/introspect', '/revoke']) {
        const res = await post(path, ip, { authorization: basic(partner.clientId, 'wrong') }, { token: 'whatever' });
        assert.equal(res.status, 429, path);
        // oidc-provider marks /introspect no-store itself, /revoke not: the 429 is never cached anywhere.
        assert.equal(res.headers.get('cache-control'), 'no-store', path);
        await res.body?.cancel();
      }
      const device = await post('/device/auth', ip, { authorization: basic(partner.clientId, 'wrong') }, { scope: 'openid' });
      assert.equal(device.status, 401, 'not refused there');
      assert.equal((await device.json()).error, 'invalid_client');
      assert.deepEqual([await count(`oauth-client:${partner.clientId}|${ip}`), await count(`oauth-client-ip:${ip}`)], [21, 1], 'but counted');
    });

    it('takes the client id from the posted client_id when the client is unknown', async () => {
      const ip = '203.0.113.3';
      const res = await post('/token', ip, {}, { ...codeGrant, client_id: 'app_nobody', client_secret: 'wrong' });
      assert.equal(res.status, 401);
      await res.body?.cancel();
      assert.deepEqual([await count(`oauth-client:app_nobody|${ip}`), await count(`oauth-client-ip:${ip}`)], [1, 1]);
    });

    it('takes the client id from the Basic header, percent-decoded, in any case of the scheme', async () => {
      const ip = '203.0.113.4';
      for (const header of [
        basic('app%20nobody', 'wrong'),
        `basic ${Buffer.from('app%20nobody:wrong').toString('base64')}`,
        `BASIC ${Buffer.from('app%20nobody:wrong').toString('base64')}`,
      ]) {
        const res = await post('/token', ip, { authorization: header }, codeGrant);
        assert.equal(res.status, 401, header);
        await res.body?.cancel();
      }
      assert.deepEqual([await count(`oauth-client:app nobody|${ip}`), await count(`oauth-client-ip:${ip}`)], [3, 3]);
      assert.equal(await count(`oauth-client:app%20nobody|${ip}`), 0);
    });

    it('counts a client assertion that names no client (no client id anywhere) under the address only', async () => {
      const ip = '203.0.113.6';
      const part = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
      // No `sub`: oidc-provider refuses it as a failed client authentication, knowing no client id.
      const assertion = `${part({ alg: 'ES256', typ: 'JWT' })}.${part({ iss: 'nobody', aud: app.config.issuer })}.c2lnbmF0dXJl`;
      const res = await post('/token', ip, {}, { grant_type: 'client_credentials', client_assertion: assertion });
      assert.equal(res.status, 401);
      assert.equal((await res.json()).error, 'invalid_client');
      assert.deepEqual([await count(`oauth-client-ip:${ip}`), await count(`oauth-client:null|${ip}`)], [1, 0]);
    });

    it('still answers the 401 when the counters cannot be read, and logs why and the failure', async () => {
      const ip = '203.0.113.7';
      const warn = mock.method(app.deps.logger, 'warn', () => undefined);
      // The throttle table gone for a moment: every read and count of it fails in the database.
      await rawSql(app.config.databaseUrl, 'ALTER TABLE throttle RENAME TO throttle_away');
      let res: Response;
      try {
        res = await post('/token', ip, { authorization: basic(partner.clientId, 'wrong') }, codeGrant);
      } finally {
        await rawSql(app.config.databaseUrl, 'ALTER TABLE throttle_away RENAME TO throttle');
        warn.mock.restore();
      }
      assert.deepEqual([res.status, (await res.json()).error], [401, 'invalid_client']);
      const calls = warn.mock.calls.map((c) => c.arguments as unknown[]);
      assert.deepEqual(
        calls.map((a) => a[1]),
        ['counting a failed client authentication failed', 'failed client authentication'],
      );
      assert.deepEqual(Object.keys(calls[0]![0] as object), ['err']);
      assert.ok((calls[0]![0] as { err: unknown }).err instanceof Error);
      assert.deepEqual(calls[1]![0], { clientId: partner.clientId, ip });
      assert.equal(await count(`oauth-client-ip:${ip}`), 0, 'nothing was counted');
    });

    it('counts nothing for a request the provider refuses before client authentication (a 400)', async () => {
      const ip = '203.0.113.5';
      for (const [header, description] of [
        [`Basic ${Buffer.from(':wrong').toString('base64')}`, 'no client authentication mechanism provided'],
        [`Basic ${Buffer.from('no-colon').toString('base64')}`, 'invalid authorization header value format'],
      ]) {
        const res = await post('/token', ip, { authorization: header! }, codeGrant);
        assert.deepEqual([res.status, await res.json()], [400, { error: 'invalid_request', error_description: description }], header);
      }
      assert.equal(await count(`oauth-client-ip:${ip}`), 0);
    });
  });
}
