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
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { SignJWT, createLocalJWKSet, exportJWK, generateKeyPair, jwtVerify } from 'jose';
import { errors, type Adapter } from 'oidc-provider';
import type { Store } from '../store/store.ts';
import { openTempStore } from '../testing/temp-store.ts';
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
  });
}
