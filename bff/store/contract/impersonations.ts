/** Contract: impersonation records. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { rid, T0, type GetStore } from './util.ts';

export function impersonationsContract(get: GetStore): void {
  describe('impersonations', () => {
    const base = () => ({
      id: rid('imp'),
      adminId: rid('admin'),
      targetId: rid('user'),
      reason: 'helping with a billing question',
      startedAt: T0,
      expiresAt: T0 + 60_000,
      grantId: null,
      adminSessionId: rid('s'),
      sessionId: null,
    });

    it('creates, finds by id and grant, and records the grant and session', async () => {
      const i = base();
      await get().impersonations.create(i);
      const grantId = rid('grant');
      await get().impersonations.setGrant(i.id, grantId);
      await get().impersonations.setSession(i.id, 'sess-1');
      const found = await get().impersonations.findByGrant(grantId);
      assert.equal(found?.id, i.id);
      assert.equal(found?.sessionId, 'sess-1');
      assert.equal(found?.endedAt, null);
      assert.deepEqual((await get().impersonations.find(i.id))?.reason, i.reason);
      assert.equal(await get().impersonations.find(rid('nope')), null);
    });

    it('ends once: a racing stop and expiry cannot both win', async () => {
      const i = base();
      await get().impersonations.create(i);
      const results = await Promise.all([get().impersonations.end(i.id, T0 + 1, 'stopped'), get().impersonations.end(i.id, T0 + 2, 'expired')]);
      assert.deepEqual(results.filter(Boolean).length, 1);
      const after = await get().impersonations.find(i.id);
      assert.ok(after?.endedAt);
      assert.ok(after?.endReason === 'stopped' || after?.endReason === 'expired');
    });

    it('lists the open ones whose time is up, and a target history', async () => {
      const late = { ...base(), expiresAt: T0 - 5 };
      const open = { ...base(), targetId: late.targetId, expiresAt: T0 + 10_000_000_000 };
      await get().impersonations.create(late);
      await get().impersonations.create(open);
      const expired = (await get().impersonations.listExpired(T0)).map((x) => x.id);
      assert.ok(expired.includes(late.id));
      assert.ok(!expired.includes(open.id));
      await get().impersonations.end(late.id, T0, 'expired');
      assert.ok(!(await get().impersonations.listExpired(T0)).map((x) => x.id).includes(late.id));
      assert.equal((await get().impersonations.listForTarget(late.targetId)).length, 2);
    });
  });
}
