/**
 * Signing keys (keys.ts), pinned where mutation testing (docs/mutation.md)
 * needs it: the generated key's members and kid, the order oidc-provider
 * gets (newest active key signs, pending keys published next, older active
 * ones after; ties broken by kid), a first key only on a database with no
 * active key, and rotation storing a key that activates later. Key order is
 * pure; the rest runs against a real store on SQLite and PostgreSQL.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { importJWK, SignJWT, jwtVerify, type JWK } from 'jose';
import { startTestApp, type TestApp } from '../testing/test-app.ts';
import { openStore } from '../store/open-store.ts';
import type { SigningKey, Store } from '../store/store.ts';
import { ensureSigningKeys, generateSigningKey, orderKeys, rotateSigningKey } from './keys.ts';

const NOW = Date.UTC(2026, 10, 30, 12, 0, 0);
const key = (kid: string, createdAt: number): SigningKey => ({ kid, alg: 'ES256', jwk: { kid }, createdAt });
const kids = (keys: SigningKey[]) => keys.map((k) => k.kid);

describe('signing keys, exactly', () => {
  it('generates an ES256 private key with kid <day>-<8 hex>, alg and use', async () => {
    const k = await generateSigningKey(NOW);
    assert.equal(k.alg, 'ES256');
    assert.equal(k.createdAt, NOW);
    assert.match(k.kid, /^2026-11-30-[0-9a-f]{8}$/);
    assert.deepEqual(Object.keys(k.jwk).sort(), ['alg', 'crv', 'd', 'kid', 'kty', 'use', 'x', 'y']);
    assert.equal(k.jwk.kid, k.kid);
    assert.equal(k.jwk.alg, 'ES256');
    assert.equal(k.jwk.use, 'sig');
    assert.equal(k.jwk.kty, 'EC');
    assert.equal(k.jwk.crv, 'P-256');
    // It really signs, and its public part verifies.
    const priv = await importJWK(k.jwk as JWK, 'ES256');
    const { d: _d, ...pub } = k.jwk;
    const jwt = await new SignJWT({}).setProtectedHeader({ alg: 'ES256' }).sign(priv);
    await jwtVerify(jwt, await importJWK(pub as JWK, 'ES256'));
    assert.notEqual((await generateSigningKey(NOW)).kid, k.kid, 'a fresh kid each time');
  });

  it('orders the newest active key first, then pending keys (newest first), then the older active ones', () => {
    const keys = [key('old', NOW - 2000), key('older', NOW - 3000), key('now', NOW), key('soon', NOW + 1000), key('later', NOW + 5000), key('mid', NOW - 1000)];
    assert.deepEqual(kids(orderKeys(keys, NOW)), ['now', 'later', 'soon', 'mid', 'old', 'older'], 'a key created at this very moment is active');
    assert.deepEqual(kids(orderKeys(keys, NOW - 1)), ['mid', 'later', 'soon', 'now', 'old', 'older'], 'one millisecond earlier it is pending');
    assert.deepEqual(kids(orderKeys([key('p', NOW + 1)], NOW)), ['p'], 'pending only');
    assert.deepEqual(kids(orderKeys([], NOW)), []);
    // Same creation time: the kid decides, either way round.
    assert.deepEqual(kids(orderKeys([key('b', NOW), key('a', NOW), key('c', NOW)], NOW)), ['a', 'b', 'c']);
    assert.deepEqual(kids(orderKeys([key('b', NOW + 9), key('a', NOW + 9)], NOW)), ['a', 'b']);
  });
});

for (const db of ['sqlite', 'postgres'] as const) {
  describe(`signing keys in the store, exactly (${db})`, () => {
    let app: TestApp;
    let store: Store;
    before(async () => {
      app = await startTestApp({ db });
      store = await openStore(app.config.databaseUrl);
    });
    after(async () => {
      await store?.close();
      await app?.close();
    });

    it('creates a first key only when no key is active yet, and hands the keys over in signing order', async () => {
      const existing = await store.keys.list();
      assert.equal(existing.length, 1, "the app's own key");
      const own = existing[0]!;
      // A database whose only key is active: nothing is created.
      let jwks = await ensureSigningKeys(store, own.createdAt);
      assert.deepEqual(
        jwks.map((k) => k.kid),
        [own.kid],
      );
      assert.equal((await store.keys.list()).length, 1);
      // Before that key's time no key is active: a new one is made, active now, and signs first.
      const before = own.createdAt - 60_000;
      jwks = await ensureSigningKeys(store, before);
      const all = await store.keys.list();
      assert.equal(all.length, 2);
      const made = all.find((k) => k.kid !== own.kid)!;
      assert.equal(made.createdAt, before);
      assert.deepEqual(
        jwks.map((k) => k.kid),
        [made.kid, own.kid],
        'the new key signs; the other, not active yet then, is published',
      );
      assert.equal(jwks[0]!.d, made.jwk.d, 'private JWKs, as oidc-provider needs them');
    });

    it('rotation stores a key that activates later; until then the current key still signs', async () => {
      const activatesAt = Date.now() + 3_600_000;
      const rotated = await rotateSigningKey(store, activatesAt);
      assert.equal(rotated.createdAt, activatesAt);
      assert.ok((await store.keys.list()).some((k) => k.kid === rotated.kid && k.createdAt === activatesAt));
      const now = Date.now();
      const jwks = await ensureSigningKeys(store, now);
      assert.notEqual(jwks[0]!.kid, rotated.kid, 'not signing before its time');
      assert.equal(jwks[1]!.kid, rotated.kid, 'published right after the signing key');
      assert.equal((await ensureSigningKeys(store, activatesAt))[0]!.kid, rotated.kid, 'signing from its time on');
    });
  });
}
