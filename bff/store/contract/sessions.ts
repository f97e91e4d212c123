/** Contract: BFF sessions and consents. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { BffSession } from '../store.ts';
import { type GetStore, rid, T0 } from './util.ts';

function newSession(over: Partial<BffSession> = {}): BffSession {
  return {
    id: rid('bs'),
    userId: rid('u'),
    tokens: 'sealed-1',
    accessExpiresAt: T0 + 300_000,
    version: 1,
    createdAt: T0,
    lastSeenAt: T0,
    expiresAt: T0 + 86_400_000,
    revokedAt: null,
    refreshLockUntil: null,
    refreshAttempt: null,
    data: {},
    ...over,
  };
}

export function sessionsContract(get: GetStore): void {
  describe('bff sessions', () => {
    it('creates, finds, touches and sets data', async () => {
      const s = newSession({ data: { impersonator: 'admin-1', n: 2 } });
      await get().bffSessions.create(s);
      assert.deepEqual(await get().bffSessions.find(s.id), s);
      assert.equal(await get().bffSessions.find(rid('missing')), null);
      await get().bffSessions.touch(s.id, T0 + 10);
      await get().bffSessions.setData(s.id, { other: [1] });
      assert.deepEqual(await get().bffSessions.find(s.id), { ...s, lastSeenAt: T0 + 10, data: { other: [1] } });
    });

    it('hands the refresh lock to one caller until it lapses', async () => {
      const s = newSession();
      await get().bffSessions.create(s);
      const now = T0 + 1000;
      assert.equal(await get().bffSessions.acquireRefreshLock(s.id, 1, now, now + 5000), true);
      assert.equal(await get().bffSessions.acquireRefreshLock(s.id, 1, now + 1, now + 5001), false);
      assert.equal((await get().bffSessions.find(s.id))?.refreshLockUntil, now + 5000);
      // A lapsed lock can be re-taken.
      assert.equal(await get().bffSessions.acquireRefreshLock(s.id, 1, now + 5001, now + 9000), true);
      // A stale version never gets it.
      await get().bffSessions.releaseRefreshLock(s.id);
      assert.equal((await get().bffSessions.find(s.id))?.refreshLockUntil, null);
      assert.equal(await get().bffSessions.acquireRefreshLock(s.id, 0, now, now + 5000), false);
      assert.equal(await get().bffSessions.acquireRefreshLock(rid('missing'), 1, now, now + 5000), false);
    });

    it('lets one of many concurrent refreshers take the lock', async () => {
      const s = newSession();
      await get().bffSessions.create(s);
      const results = await Promise.all(Array.from({ length: 10 }, () => get().bffSessions.acquireRefreshLock(s.id, 1, T0, T0 + 5000)));
      assert.equal(results.filter(Boolean).length, 1);
    });

    it('completeRefresh stores tokens, bumps version and releases the lock', async () => {
      const s = newSession();
      await get().bffSessions.create(s);
      assert.equal(await get().bffSessions.acquireRefreshLock(s.id, 1, T0, T0 + 5000), true);
      await get().bffSessions.completeRefresh(s.id, 'sealed-2', T0 + 600_000);
      const after = await get().bffSessions.find(s.id);
      assert.equal(after?.tokens, 'sealed-2');
      assert.equal(after?.accessExpiresAt, T0 + 600_000);
      assert.equal(after?.version, 2);
      assert.equal(after?.refreshLockUntil, null);
      assert.equal(await get().bffSessions.acquireRefreshLock(s.id, 1, T0 + 1, T0 + 5000), false);
      assert.equal(await get().bffSessions.acquireRefreshLock(s.id, 2, T0 + 1, T0 + 5000), true);
    });

    it('revokes one session once, and refuses it the refresh lock', async () => {
      const s = newSession();
      await get().bffSessions.create(s);
      assert.equal(await get().bffSessions.revoke(s.id, T0 + 7), true);
      assert.equal(await get().bffSessions.revoke(s.id, T0 + 8), false);
      assert.equal((await get().bffSessions.find(s.id))?.revokedAt, T0 + 7);
      assert.equal(await get().bffSessions.acquireRefreshLock(s.id, 1, T0, T0 + 5000), false);
      assert.equal(await get().bffSessions.revoke(rid('missing'), T0), false);
    });

    it('revokes all live sessions of a user', async () => {
      const userId = rid('u');
      const a = newSession({ userId });
      const b = newSession({ userId });
      const old = newSession({ userId, revokedAt: T0 + 1 });
      const other = newSession();
      for (const s of [a, b, old, other]) await get().bffSessions.create(s);
      assert.equal(await get().bffSessions.revokeAllForUser(userId, T0 + 9), 2);
      assert.equal((await get().bffSessions.find(a.id))?.revokedAt, T0 + 9);
      assert.equal((await get().bffSessions.find(b.id))?.revokedAt, T0 + 9);
      assert.equal((await get().bffSessions.find(old.id))?.revokedAt, T0 + 1);
      assert.equal((await get().bffSessions.find(other.id))?.revokedAt, null);
      assert.equal(await get().bffSessions.revokeAllForUser(userId, T0 + 10), 0);
    });

    it('records the refresh attempt, and lets a later attempt take over only from the one it saw', async () => {
      const s = newSession();
      await get().bffSessions.create(s);
      const lock = (now: number, id: string, previous: string | null) => get().bffSessions.acquireRefreshLock(s.id, 1, now, now + 5000, { id, previous });
      assert.equal(await lock(T0, 'a1', 'someone-else'), false, 'the row had no attempt');
      assert.equal(await lock(T0, 'a1', null), true);
      assert.equal((await get().bffSessions.find(s.id))?.refreshAttempt, 'a1');
      // a1 dies: its lock lapses, its attempt stays recorded.
      assert.equal(await lock(T0 + 5001, 'a2', null), false, 'a stale view of the attempt');
      assert.equal(await lock(T0 + 5001, 'a2', 'a1'), true);
      assert.equal(await get().bffSessions.completeRefresh(s.id, 'sealed-late', T0 + 1, 'a1'), false, 'a1 no longer holds the row');
      await get().bffSessions.releaseRefreshLock(s.id);
      assert.equal((await get().bffSessions.find(s.id))?.refreshAttempt, 'a2', 'released, not forgotten');
      assert.equal(await get().bffSessions.completeRefresh(s.id, 'sealed-2', T0 + 600_000, 'a2'), true);
      assert.deepEqual(await get().bffSessions.find(s.id), { ...s, tokens: 'sealed-2', accessExpiresAt: T0 + 600_000, version: 2, refreshAttempt: null });
    });

    it('revokes all live sessions of a user but one', async () => {
      const userId = rid('u');
      const [keep, a, b] = [newSession({ userId }), newSession({ userId }), newSession({ userId })];
      for (const s of [keep, a, b]) await get().bffSessions.create(s);
      assert.equal(await get().bffSessions.revokeAllForUser(userId, T0 + 9, keep.id), 2);
      assert.equal((await get().bffSessions.find(keep.id))?.revokedAt, null);
      assert.equal((await get().bffSessions.find(a.id))?.revokedAt, T0 + 9);
      assert.equal((await get().bffSessions.find(b.id))?.revokedAt, T0 + 9);
    });
  });

  describe('oidc rows by owner', () => {
    it("finds grants and provider sessions by account, and a grant's refresh tokens", async () => {
      const [user, other, c1, c2, g1, g2, g3] = [rid('u'), rid('u'), rid('c'), rid('c'), rid('g'), rid('g'), rid('g')];
      await get().oidc.upsert('Grant', g1, { accountId: user, clientId: c1 }, null, {});
      await get().oidc.upsert('Grant', g2, { accountId: user, clientId: c2 }, null, {});
      await get().oidc.upsert('Grant', g3, { accountId: other, clientId: c1 }, null, {});
      // A token of the user is not a grant.
      await get().oidc.upsert('AccessToken', rid('at'), { accountId: user, clientId: c1 }, null, { grantId: g1 });
      assert.deepEqual(await get().oidcOwners.grantIds(user), [g1, g2].sort());
      assert.deepEqual(await get().oidcOwners.grantIds(user, c1), [g1]);
      assert.deepEqual(await get().oidcOwners.grantIds(rid('u')), []);

      const [s1, s2] = [rid('s'), rid('s')];
      await get().oidc.upsert('Session', s1, { accountId: user, uid: 'uid-1' }, null, { uid: 'uid-1' });
      await get().oidc.upsert('Session', s2, { accountId: other, uid: 'uid-2' }, null, { uid: 'uid-2' });
      assert.deepEqual(await get().oidcOwners.sessions(user), [{ id: s1, uid: 'uid-1' }]);

      const [r1, r2] = [rid('rt'), rid('rt')];
      await get().oidc.upsert('RefreshToken', r1, { grantId: g1, rotations: 1 }, null, { grantId: g1 });
      await get().oidc.upsert('RefreshToken', r2, { grantId: g1, rotations: 2 }, null, { grantId: g1 });
      await get().oidc.upsert('RefreshToken', rid('rt'), { grantId: g2 }, null, { grantId: g2 });
      assert.equal(await get().oidc.consume('RefreshToken', r1, T0), true);
      const rts = await get().oidcOwners.refreshTokens(g1);
      assert.deepEqual(
        rts.sort((x, y) => Number(x.payload.rotations) - Number(y.payload.rotations)),
        [
          { id: r1, payload: { grantId: g1, rotations: 1 }, consumedAt: T0 },
          { id: r2, payload: { grantId: g1, rotations: 2 }, consumedAt: null },
        ],
      );
    });
  });

  describe('consents', () => {
    it('upserts, finds, lists per user and deletes', async () => {
      const userId = rid('u');
      const [c1, c2] = [rid('c'), rid('c')];
      const first = { userId, clientId: c1, scopes: ['openid'], grantId: null, grantedAt: T0, updatedAt: T0 };
      await get().consents.upsert(first);
      assert.deepEqual(await get().consents.find(userId, c1), first);
      const second = { ...first, scopes: ['openid', 'email'], grantId: rid('g'), updatedAt: T0 + 5 };
      await get().consents.upsert(second);
      assert.deepEqual(await get().consents.find(userId, c1), second);
      const other = { userId, clientId: c2, scopes: ['profile'], grantId: null, grantedAt: T0 + 1, updatedAt: T0 + 1 };
      await get().consents.upsert(other);
      await get().consents.upsert({ ...other, userId: rid('u') });
      assert.deepEqual(await get().consents.listForUser(userId), [second, other]);
      assert.deepEqual(await get().consents.delete(userId, c1), second);
      assert.equal(await get().consents.delete(userId, c1), null);
      assert.equal(await get().consents.find(userId, c1), null);
      assert.deepEqual(await get().consents.listForUser(userId), [other]);
    });
  });
}
