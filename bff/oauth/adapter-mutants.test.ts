/**
 * The provider's storage adapter (adapter.ts) over the real store, SQLite and
 * PostgreSQL, pinned where mutation testing (docs/mutation.md) needs it:
 * what upsert stores (payload, references, expiry from the injected clock,
 * none for 0), clients refused on write and read through providerMetadata,
 * NUL ids naming nothing, lookups by user code and uid, `consumed` in
 * seconds, consume's single use and its error texts, destroy and
 * revokeByGrantId, and JWT access tokens found under their jti only when
 * our key signed them (with or without the `~` mark). The branches that need
 * oidc-provider's request context (the token route) are pinned through the
 * real app in provider-mutants.test.ts.
 */
import { describe, it, before, after, mock } from 'node:test';
import assert from 'node:assert/strict';
import { SignJWT, createLocalJWKSet, exportJWK, generateKeyPair, jwtVerify } from 'jose';
import { errors, type Adapter } from 'oidc-provider';
import type { Store } from '../store/store.ts';
import { openTempStore } from '../testing/temp-store.ts';
import { startTestApp, type TestApp } from '../testing/test-app.ts';
import { createAccount } from '../accounts/accounts.ts';
import { issueCode } from './core.ts';
import { createAdapterClass } from './adapter.ts';
import { registerClient } from './clients.ts';
import { providerMetadata } from './client-options.ts';

const ISSUER = 'https://portal.example/oauth';

for (const db of ['sqlite', 'postgres'] as const) {
  describe(`adapter over the store (${db})`, () => {
    const cleanups: Array<() => unknown> = [];
    let store: Store;
    let clock = 1_800_000_000_000;
    let Adapter: new (name: string) => Adapter;
    let sign: (jti: string) => Promise<string>;
    let signOther: (jti: string) => Promise<string>;
    before(async () => {
      const temp = await openTempStore(db);
      cleanups.push(() => temp.drop());
      store = temp.store;
      const ours = await generateKeyPair('ES256');
      const theirs = await generateKeyPair('ES256');
      const jwks = createLocalJWKSet({ keys: [{ ...(await exportJWK(ours.publicKey)), kid: 'k1', alg: 'ES256' }] });
      const signer = (key: CryptoKey) => (jti: string) =>
        new SignJWT({ jti }).setProtectedHeader({ alg: 'ES256', kid: 'k1', typ: 'at+jwt' }).setIssuer(ISSUER).setIssuedAt().setExpirationTime('10m').sign(key);
      sign = signer(ours.privateKey);
      signOther = signer(theirs.privateKey);
      Adapter = createAdapterClass({
        store,
        now: () => clock,
        refreshReuseWindow: 5,
        // The provider's own verifier (provider.ts): our key, our issuer, typ at+jwt.
        async jwtAccessTokenId(value) {
          try {
            const { payload } = await jwtVerify(value, jwks, { issuer: ISSUER, typ: 'at+jwt' });
            return typeof payload.jti === 'string' ? payload.jti : null;
          } catch {
            return null;
          }
        },
      });
    });
    after(async () => {
      for (const c of cleanups) await c();
    });

    it('upsert stores the payload, its references and an expiry from the injected clock', async () => {
      const a = new Adapter('DeviceCode');
      clock = 1_800_000_000_000;
      await a.upsert('dc-1', { grantId: 'g-up', userCode: 'BCDFGHJK', uid: 'uid-1', params: { client_id: 'c' } }, 600);
      assert.deepEqual(await store.oidc.find('DeviceCode', 'dc-1'), {
        payload: { grantId: 'g-up', userCode: 'BCDFGHJK', uid: 'uid-1', params: { client_id: 'c' } },
        expiresAt: 1_800_000_600_000,
        consumedAt: null,
      });
      assert.deepEqual(await a.findByUserCode('BCDFGHJK'), { grantId: 'g-up', userCode: 'BCDFGHJK', uid: 'uid-1', params: { client_id: 'c' } });
      assert.deepEqual(await a.findByUid('uid-1'), { grantId: 'g-up', userCode: 'BCDFGHJK', uid: 'uid-1', params: { client_id: 'c' } });
      assert.equal(await a.findByUserCode('BCDFGHJL'), undefined);
      assert.equal(await a.findByUid('uid-2'), undefined);
      // The references belong to this model only.
      assert.equal(await new Adapter('Session').findByUid('uid-1'), undefined);
      assert.equal(await new Adapter('Session').findByUserCode('BCDFGHJK'), undefined);
    });
    it('an expiry of 0 stores none', async () => {
      await new Adapter('Grant').upsert('g-0', { accountId: 'a' }, 0);
      assert.deepEqual(await store.oidc.find('Grant', 'g-0'), { payload: { accountId: 'a' }, expiresAt: null, consumedAt: null });
    });
    it('the grant reference lets revokeByGrantId delete every row of the grant, and only those', async () => {
      const at = new Adapter('AccessToken');
      const rt = new Adapter('RefreshToken');
      await at.upsert('at-g1', { grantId: 'g1', accountId: 'a' }, 60);
      await rt.upsert('rt-g1', { grantId: 'g1', accountId: 'a' }, 60);
      await rt.upsert('rt-g2', { grantId: 'g2', accountId: 'a' }, 60);
      await new Adapter('Grant').revokeByGrantId('g1');
      assert.equal(await at.find('at-g1'), undefined);
      assert.equal(await rt.find('rt-g1'), undefined);
      assert.deepEqual(await rt.find('rt-g2'), { grantId: 'g2', accountId: 'a' });
    });
    it('clients are refused on write and read from the portal, through providerMetadata', async () => {
      const c = new Adapter('Client');
      await assert.rejects(c.upsert('x', { client_id: 'x' }, 0), { message: 'clients are managed through the portal, not the provider' });
      const { client } = await registerClient(store, { name: 'App', redirectUris: ['https://app.example/cb'], isPublic: true }, clock);
      assert.deepEqual(await c.find(client.clientId), providerMetadata((await store.clients.find(client.clientId))!));
      assert.equal((await c.find(client.clientId))!.client_id, client.clientId);
      assert.equal(await c.find('no-such-client'), undefined);
      assert.equal(await c.find(`${client.clientId}\0`), undefined);
    });
    it('an id with a NUL names nothing, in every lookup', async () => {
      const s = new Adapter('Session');
      await s.upsert('s-1', { uid: 'u-nul', accountId: 'a' }, 60);
      assert.equal(await s.find('s-1\0'), undefined);
      assert.equal(await s.find('\0'), undefined);
      assert.equal(await s.findByUid('u-nul\0'), undefined);
      assert.equal(await new Adapter('DeviceCode').findByUserCode('BCDFGHJK\0'), undefined);
      assert.deepEqual(await s.find('s-1'), { uid: 'u-nul', accountId: 'a' });
    });
    it('consume is single use; the second says what was used; consumed is shown in seconds', async () => {
      const code = new Adapter('AuthorizationCode');
      await code.upsert('code-1', { accountId: 'a' }, 30);
      clock = 1_800_000_001_999;
      await code.consume('code-1');
      assert.deepEqual(await code.find('code-1'), { accountId: 'a', consumed: 1_800_000_001 });
      await assert.rejects(code.consume('code-1'), (e: unknown) => {
        assert.ok(e instanceof errors.InvalidGrant);
        assert.equal((e as { error_detail: string }).error_detail, 'grant already used');
        return true;
      });
      const rt = new Adapter('RefreshToken');
      await rt.upsert('rt-1', { accountId: 'a' }, 60);
      await rt.consume('rt-1');
      await assert.rejects(rt.consume('rt-1'), { error_detail: 'refresh token already used' });
      await assert.rejects(rt.consume('rt-never'), { error_detail: 'refresh token already used' });
      // Outside the token endpoint a consumed refresh token is the plain truth, inside the window or not.
      assert.deepEqual(await rt.find('rt-1'), { accountId: 'a', consumed: 1_800_000_001 });
      const found = await new Adapter('DeviceCode').findByUid('uid-1');
      assert.equal(found!.consumed, undefined);
      await new Adapter('DeviceCode').consume('dc-1');
      assert.equal((await new Adapter('DeviceCode').findByUid('uid-1'))!.consumed, 1_800_000_001);
      assert.equal((await new Adapter('DeviceCode').findByUserCode('BCDFGHJK'))!.consumed, 1_800_000_001);
    });
    it('destroy deletes that row only', async () => {
      const s = new Adapter('Interaction');
      await s.upsert('i-1', { a: 1 }, 60);
      await s.upsert('i-2', { a: 2 }, 60);
      await s.destroy('i-1');
      assert.equal(await s.find('i-1'), undefined);
      assert.deepEqual(await s.find('i-2'), { a: 2 });
    });
    it('a JWT access token is found under its jti, only when our key signed it, without its format', async () => {
      const at = new Adapter('AccessToken');
      await store.oidc.upsert('AccessToken', 'jti-1', { format: 'jwt', kind: 'AccessToken', jti: 'jti-1', accountId: 'a' }, clock + 60_000, {});
      const jwt = await sign('jti-1');
      assert.deepEqual(await at.find(jwt), { kind: 'AccessToken', jti: 'jti-1', accountId: 'a' });
      assert.deepEqual(await at.find(`~${jwt}`), { kind: 'AccessToken', jti: 'jti-1', accountId: 'a' });
      assert.equal(await at.find(await signOther('jti-1')), undefined);
      assert.equal(await at.find(await sign('jti-unknown')), undefined);
      // The same JWT names nothing in another model, and the jti itself is an ordinary id.
      assert.equal(await new Adapter('RefreshToken').find(jwt), undefined);
      assert.deepEqual(await at.find('jti-1'), { format: 'jwt', kind: 'AccessToken', jti: 'jti-1', accountId: 'a' });
      await store.oidc.consume('AccessToken', 'jti-1', 1_800_000_002_500);
      assert.deepEqual(await at.find(jwt), { kind: 'AccessToken', jti: 'jti-1', accountId: 'a', consumed: 1_800_000_002 });
    });
    it('a JWT-shaped id of another model is an ordinary id, never looked up under its jti', async () => {
      const rt = new Adapter('RefreshToken');
      const jwt = await sign('rt-jti');
      await store.oidc.upsert('RefreshToken', 'rt-jti', { accountId: 'under-jti' }, clock + 60_000, {});
      await store.oidc.upsert('RefreshToken', jwt, { accountId: 'under-jwt' }, clock + 60_000, {});
      assert.deepEqual(await rt.find(jwt), { accountId: 'under-jwt' });
      assert.deepEqual(await rt.find('rt-jti'), { accountId: 'under-jti' });
    });
    it('a device code found outside the token endpoint (no request) is never refused for polling too fast', async () => {
      const dc = new Adapter('DeviceCode');
      await dc.upsert('dc-poll', { userCode: 'QRSTVWXZ', params: { client_id: 'c' } }, 600);
      // Twice at the same instant: at the token endpoint the second would be slow_down.
      assert.deepEqual(await dc.find('dc-poll'), { userCode: 'QRSTVWXZ', params: { client_id: 'c' } });
      assert.deepEqual(await dc.find('dc-poll'), { userCode: 'QRSTVWXZ', params: { client_id: 'c' } });
    });
  });

  for (const window of [5, 0] as const)
    describe(`adapter at the token endpoint, REFRESH_REUSE_WINDOW ${window} s (${db})`, () => {
      const REDIRECT = 'https://partner.example/cb';
      let app: TestApp;
      let clientId: string;
      let secret: string;
      let accountId: string;
      before(async () => {
        app = await startTestApp({ db, env: { REFRESH_REUSE_WINDOW: String(window) } });
        const reg = await registerClient(
          app.store,
          { name: 'Partner', redirectUris: [REDIRECT], isPublic: false, scopes: ['openid', 'offline_access'] },
          Date.now(),
        );
        clientId = reg.client.clientId;
        secret = reg.secret!;
        accountId = (await createAccount(app.store, { email: 'adapter@example.com', password: 'correct horse battery staple' }, Date.now())).id;
      });
      after(() => app.close());

      const token = async (body: Record<string, string>) => {
        const res = await fetch(`${app.config.issuer}/token`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${clientId}:${secret}`).toString('base64')}` },
          body: new URLSearchParams(body),
        });
        return { status: res.status, body: (await res.json()) as Record<string, string> };
      };
      const codeTokens = async () => {
        const { code } = await issueCode(app.deps, { clientId, accountId, scopes: ['openid', 'offline_access'], redirectUri: REDIRECT, amr: ['pwd'] });
        const body = { grant_type: 'authorization_code', code, redirect_uri: REDIRECT };
        const first = await token(body);
        assert.equal(first.status, 200, JSON.stringify(first.body));
        return { body, tokens: first.body };
      };
      const userinfo = async (accessToken: string) =>
        (await fetch(`${app.config.issuer}/userinfo`, { headers: { authorization: `Bearer ${accessToken}` } })).status;

      if (window === 0) {
        it('without a window every replay of a rotated refresh token is theft, even at once or on a clock that stepped back', async () => {
          for (const offset of [0, -60_000]) {
            const { tokens } = await codeTokens();
            const rotated = await token({ grant_type: 'refresh_token', refresh_token: tokens.refresh_token! });
            assert.equal(rotated.status, 200);
            // -60 s: another instance whose clock is behind the one that rotated the token.
            app.clock.offset = offset;
            try {
              const replay = await token({ grant_type: 'refresh_token', refresh_token: tokens.refresh_token! });
              assert.deepEqual([replay.status, replay.body.error], [400, 'invalid_grant'], `offset ${offset}`);
              assert.equal(await userinfo(rotated.body.access_token!), 401, `offset ${offset}: the grant is revoked`);
            } finally {
              app.clock.offset = 0;
            }
          }
        });
        return;
      }

      it('a code replayed inside the reuse window is still a replay: refused, and what it issued is revoked', async () => {
        const { body, tokens } = await codeTokens();
        assert.equal(await userinfo(tokens.access_token!), 200);
        // Well inside the 5 s: the grace is for racing refresh tokens only.
        const replay = await token(body);
        assert.deepEqual([replay.status, replay.body.error], [400, 'invalid_grant']);
        assert.equal(await userinfo(tokens.access_token!), 401, 'the access token it issued is revoked');
        assert.equal((await token({ grant_type: 'refresh_token', refresh_token: tokens.refresh_token! })).status, 400, 'and the refresh token');
      });

      it('a rotated refresh token replayed exactly 5 s later is past the window: theft, the grant revoked', async () => {
        const { tokens } = await codeTokens();
        // Time stands still for the app (its clock is Date.now() plus the test's offset), so the replay comes
        // exactly REFRESH_REUSE_WINDOW seconds after the rotation, not a millisecond more.
        mock.timers.enable({ apis: ['Date'], now: Date.now() });
        try {
          const rotated = await token({ grant_type: 'refresh_token', refresh_token: tokens.refresh_token! });
          assert.equal(rotated.status, 200);
          app.clock.offset = 4_999;
          const inside = await token({ grant_type: 'refresh_token', refresh_token: tokens.refresh_token! });
          assert.deepEqual([inside.status, inside.body.error], [400, 'invalid_grant']);
          assert.equal(await userinfo(rotated.body.access_token!), 200, '4.999 s: inside the window, the grant kept');
          app.clock.offset = 5_000;
          const replay = await token({ grant_type: 'refresh_token', refresh_token: tokens.refresh_token! });
          assert.deepEqual([replay.status, replay.body.error], [400, 'invalid_grant']);
          assert.equal(await userinfo(rotated.body.access_token!), 401, '5 s: the grant is revoked');
          assert.equal((await token({ grant_type: 'refresh_token', refresh_token: rotated.body.refresh_token! })).status, 400);
        } finally {
          mock.timers.reset();
          app.clock.offset = 0;
        }
      });
    });
}
