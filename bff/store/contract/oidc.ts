/** Contract: oidc-provider model storage. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type GetStore, rid, T0 } from './util.ts';

export function oidcContract(get: GetStore): void {
  describe('oidc payloads', () => {
    it('upserts and finds, keyed by (model, id)', async () => {
      const id = rid('o');
      const payload = { jti: id, kind: 'AuthorizationCode', nested: { a: [1, 2] } };
      await get().oidc.upsert('AuthorizationCode', id, payload, T0 + 60_000, {});
      assert.deepEqual(await get().oidc.find('AuthorizationCode', id), { payload, expiresAt: T0 + 60_000, consumedAt: null });
      assert.equal(await get().oidc.find('AccessToken', id), null);
      await get().oidc.upsert('AccessToken', id, { other: true }, null, {});
      assert.deepEqual(await get().oidc.find('AccessToken', id), { payload: { other: true }, expiresAt: null, consumedAt: null });
      assert.deepEqual((await get().oidc.find('AuthorizationCode', id))?.payload, payload);
    });

    it('returns expired rows (oidc-provider checks expiry itself)', async () => {
      const id = rid('o');
      await get().oidc.upsert('Session', id, { a: 1 }, 1, {});
      assert.equal((await get().oidc.find('Session', id))?.expiresAt, 1);
    });

    it('consumes once', async () => {
      const id = rid('o');
      await get().oidc.upsert('AuthorizationCode', id, { a: 1 }, null, {});
      assert.equal(await get().oidc.consume('AuthorizationCode', id, T0 + 5), true);
      assert.equal(await get().oidc.consume('AuthorizationCode', id, T0 + 6), false);
      const found = await get().oidc.find('AuthorizationCode', id);
      assert.equal(found?.consumedAt, T0 + 5);
      assert.deepEqual(found?.payload, { a: 1 });
      assert.equal(await get().oidc.consume('AuthorizationCode', rid('missing'), T0), false);
    });

    it('lets exactly one of 20 concurrent consumers win', async () => {
      const id = rid('o');
      await get().oidc.upsert('RefreshToken', id, { a: 1 }, null, {});
      const results = await Promise.all(Array.from({ length: 20 }, (_, i) => get().oidc.consume('RefreshToken', id, T0 + i)));
      assert.equal(results.filter(Boolean).length, 1);
    });

    it('keeps consumedAt when a consumed row is upserted again', async () => {
      const id = rid('o');
      await get().oidc.upsert('AuthorizationCode', id, { v: 1 }, T0 + 10, {});
      await get().oidc.consume('AuthorizationCode', id, T0 + 1);
      await get().oidc.upsert('AuthorizationCode', id, { v: 2 }, T0 + 20, { grantId: 'g' });
      assert.deepEqual(await get().oidc.find('AuthorizationCode', id), { payload: { v: 2 }, expiresAt: T0 + 20, consumedAt: T0 + 1 });
      assert.equal(await get().oidc.consume('AuthorizationCode', id, T0 + 2), false);
    });

    it('finds by uid and by user code, within the model', async () => {
      const id = rid('o');
      const uid = rid('uid');
      const userCode = rid('UC');
      await get().oidc.upsert('Session', id, { s: 1 }, null, { uid });
      await get().oidc.upsert('DeviceCode', id, { d: 1 }, null, { userCode });
      assert.deepEqual((await get().oidc.findByUid('Session', uid))?.payload, { s: 1 });
      assert.equal(await get().oidc.findByUid('Interaction', uid), null);
      assert.deepEqual((await get().oidc.findByUserCode('DeviceCode', userCode))?.payload, { d: 1 });
      assert.equal(await get().oidc.findByUserCode('DeviceCode', rid('missing')), null);
      // Refs are replaced on upsert.
      await get().oidc.upsert('Session', id, { s: 2 }, null, {});
      assert.equal(await get().oidc.findByUid('Session', uid), null);
    });

    it('destroys one row', async () => {
      const id = rid('o');
      await get().oidc.upsert('Grant', id, { g: 1 }, null, {});
      await get().oidc.upsert('Session', id, { s: 1 }, null, {});
      await get().oidc.destroy('Grant', id);
      assert.equal(await get().oidc.find('Grant', id), null);
      assert.notEqual(await get().oidc.find('Session', id), null);
      await get().oidc.destroy('Grant', id);
    });

    it('revokes every row of a grant', async () => {
      const grantId = rid('g');
      const ids = [rid('o'), rid('o'), rid('o')] as const;
      await get().oidc.upsert('AccessToken', ids[0], {}, null, { grantId });
      await get().oidc.upsert('RefreshToken', ids[1], {}, null, { grantId });
      await get().oidc.upsert('AuthorizationCode', ids[2], {}, null, { grantId: rid('other') });
      await get().oidc.revokeByGrantId(grantId);
      assert.equal(await get().oidc.find('AccessToken', ids[0]), null);
      assert.equal(await get().oidc.find('RefreshToken', ids[1]), null);
      assert.notEqual(await get().oidc.find('AuthorizationCode', ids[2]), null);
    });

    it('sweeps rows expired at or before now', async () => {
      const now = T0 + 1_000_000;
      const [gone1, gone2, kept, forever] = [rid('o'), rid('o'), rid('o'), rid('o')];
      await get().oidc.upsert('Session', gone1, {}, now - 1, {});
      await get().oidc.upsert('Session', gone2, {}, now, {});
      await get().oidc.upsert('Session', kept, {}, now + 1, {});
      await get().oidc.upsert('Session', forever, {}, null, {});
      assert.ok((await get().oidc.sweep(now)) >= 2);
      assert.equal(await get().oidc.find('Session', gone1), null);
      assert.equal(await get().oidc.find('Session', gone2), null);
      assert.notEqual(await get().oidc.find('Session', kept), null);
      assert.notEqual(await get().oidc.find('Session', forever), null);
      assert.equal(await get().oidc.sweep(now), 0);
    });
  });
}
