/**
 * Zenith's Provider field selects a federation connection: AuthToken with
 * `Provider: "<connection name>"` carries that provider's own access token,
 * checked at the provider and mapped to the linked portal account.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestApp, type TestApp } from '../../testing/test-app.ts';
import { startUpstreamOp, UPSTREAM_USERS, type UpstreamOp } from '../../testing/upstream-op.ts';
import { createConnection } from '../../federation/connections.ts';
import { acrFor, upstreamTokensFor } from '../../federation/public.ts';
import { federate } from '../../federation/test-helpers.ts';
import { throttleKey } from './auth.ts';
import { Agent, closeAll, connect, refusal } from './test-client.ts';

const authToken = (provider: string, token: string, tid = 1) => ({
  Controller: 'Auth',
  Topic: 'AuthToken',
  TransactionID: tid,
  Data: { Provider: provider, AccessToken: token },
});

for (const db of ['sqlite', 'postgres'] as const) {
  describe(`Zenith AuthToken with an upstream Provider (${db})`, () => {
    let app: TestApp;
    let up: UpstreamOp;
    before(async () => {
      app = await startTestApp({ db, env: { FEDERATION_ALLOW_PRIVATE: '1' } }); // the upstream OP listens on loopback
      up = await startUpstreamOp({ redirectUris: [`${app.url}/bff/federation/callback`] });
    });
    after(async () => {
      closeAll();
      await up?.close();
      await app?.close();
    });

    it('accepts the provider’s token for a linked account, and refuses anything else', async () => {
      const conn = await createConnection(
        { store: app.store, cookieSecrets: app.config.cookieSecrets, now: Date.now(), allowPrivate: app.config.federationAllowPrivate },
        {
          name: 'Upstream',
          issuer: up.issuer,
          clientId: up.clientId,
          clientSecret: up.clientSecret,
          scopes: ['openid', 'email', 'profile'],
        },
      );
      const alice = UPSTREAM_USERS[0]!;
      const journey = await federate(app, new Agent(app.url), up.issuer, conn.id, { email: alice.email, password: alice.password });
      assert.equal(journey.end.pathname, '/account');
      const user = (await app.store.users.findByEmail(alice.email))!;
      const upstream = (await upstreamTokensFor(app.deps, user.id, acrFor(conn)))!;
      assert.ok(upstream.access_token);

      const c = await connect(app);
      const ok = await c.call(authToken('Upstream', Buffer.from(upstream.access_token).toString('base64')));
      assert.equal(ok.Topic, 'Identify');
      assert.equal(ok.TransactionID, 1);
      const data = ok.Data as Record<string, unknown>;
      assert.equal(data.Result, 'Success');
      assert.equal(data.UserID, user.id);
      assert.equal(data.DisplayName, user.name);

      for (const [provider, token] of [
        ['Upstream', 'not-a-token-at-all'],
        ['NoSuchProvider', upstream.access_token],
        ['Bearer', upstream.access_token],
      ] as const) {
        const other = await connect(app);
        const reply = await other.call(authToken(provider, token, 2));
        assert.equal((reply.Data as Record<string, unknown>).Result, 'Reject', `${provider} with ${token.slice(0, 8)}…`);
      }
      await app.store.throttle.reset(throttleKey('127.0.0.1'));

      // 001: "passing the HTTP Authorization header, with Provider as the Scheme and AccessToken as the Token".
      const handshake = (authorization: string) => ({
        Origin: '*',
        Connection: 'Upgrade,Keep-Alive',
        'Sec-WebSocket-Extensions': 'permessage-deflate',
        'User-Agent': 'TestClient/1.0',
        Authorization: authorization,
      });
      const viaHeader = await connect(app, { handshake: handshake(`Upstream ${upstream.access_token}`) });
      const who = await viaHeader.call('{"Controller":"Auth","Topic":"QueryIdentify","TransactionID":1}');
      assert.equal(who.Topic, 'QueryIdentify');
      assert.equal((who.Data as Record<string, unknown>).Result, 'Success');
      assert.equal((who.Data as Record<string, unknown>).UserID, user.id);
      for (const authorization of ['Upstream not-a-token-at-all', `NoSuchProvider ${upstream.access_token}`, `Bearer ${upstream.access_token}`]) {
        assert.equal(await refusal(app, { handshake: handshake(authorization) }), 401, authorization.slice(0, 20));
      }
    });
  });
}
