/** Contract: what the admin console adds (organization edits with stale checks, invitations revoked, activity counts). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConflictError, type User } from '../store.ts';
import { HOUR_MS } from '../../store/activity.ts';
import { type GetStore, rid, T0 } from './util.ts';

async function user(get: GetStore, name = 'Member'): Promise<User> {
  const id = rid('u');
  return get().users.create({ id, email: `${id}@example.test`, name, passwordHash: null, role: 'user' }, T0);
}

export function consoleContract(get: GetStore): void {
  describe('console: organizations', () => {
    it('renames only while the page saw the current version, and refuses a taken name', async () => {
      const org = await get().orgs.create({ id: rid('org'), name: rid('Old') }, T0);
      const name = rid('New');
      const renamed = await get().orgs.rename(org.id, name, T0, T0 + 10);
      assert.deepEqual(renamed, { id: org.id, name, createdAt: T0, updatedAt: T0 + 10 });
      assert.equal(await get().orgs.rename(org.id, rid('Stale'), T0, T0 + 20), null, 'a page from before the rename is stale');
      assert.equal((await get().orgs.find(org.id))?.name, name);
      // Two renames within one millisecond still change the version.
      const same = await get().orgs.rename(org.id, rid('Same'), T0 + 10, T0 + 10);
      assert.equal(same?.updatedAt, T0 + 11);
      const other = await get().orgs.create({ id: rid('org'), name: rid('Other') }, T0);
      await assert.rejects(get().orgs.rename(other.id, same!.name.toUpperCase(), T0, T0 + 1), ConflictError);
      assert.equal(await get().orgs.rename(rid('missing'), rid('X'), T0, T0), null);
    });

    it('lists members with names, changes a role only from the role the page saw, deletes with everything in it', async () => {
      const org = await get().orgs.create({ id: rid('org'), name: rid('Members') }, T0);
      const a = await user(get, 'Ada');
      const b = await user(get, 'Bob');
      await get().orgs.addMembership({ userId: a.id, organizationId: org.id, role: 'owner' }, T0);
      await get().orgs.addMembership({ userId: b.id, organizationId: org.id, role: 'member' }, T0 + 1);
      assert.deepEqual(await get().orgs.listMembers(org.id), [
        { userId: a.id, organizationId: org.id, role: 'owner', createdAt: T0, email: a.email, name: 'Ada' },
        { userId: b.id, organizationId: org.id, role: 'member', createdAt: T0 + 1, email: b.email, name: 'Bob' },
      ]);
      assert.equal(await get().orgs.setMembershipRole(b.id, org.id, 'admin', 'member'), true);
      assert.equal(await get().orgs.setMembershipRole(b.id, org.id, 'owner', 'member'), false, 'stale: it is admin now');
      assert.equal((await get().orgs.findMembership(b.id, org.id))?.role, 'admin');

      const grantId = rid('grant');
      await get().orgs.setGrantOrganization(grantId, a.id, org.id, T0);
      await get().orgs.createInvitation({
        id: rid('inv'),
        tokenHash: rid('h'),
        organizationId: org.id,
        email: 'x@example.test',
        role: 'member',
        createdAt: T0,
        expiresAt: T0 + 1000,
        acceptedAt: null,
        acceptedBy: null,
      });
      assert.equal(await get().orgs.delete(org.id, T0 + 1), false, 'stale version');
      assert.equal(await get().orgs.delete(org.id, T0), true);
      assert.equal(await get().orgs.find(org.id), null);
      assert.deepEqual(await get().orgs.listMembers(org.id), []);
      assert.deepEqual(await get().orgs.listInvitations(org.id), []);
      assert.equal(await get().orgs.findGrantOrganization(grantId), null);
      assert.equal(await get().orgs.delete(org.id, T0), false);
    });

    it('lists invitations newest first, revokes an open one once, and a revoked one cannot be accepted', async () => {
      const org = await get().orgs.create({ id: rid('org'), name: rid('Inv') }, T0);
      const u = await user(get);
      const base = { organizationId: org.id, email: 'invitee@example.test', role: 'member', expiresAt: T0 + 86_400_000, acceptedAt: null, acceptedBy: null };
      const older = { ...base, id: rid('inv'), tokenHash: rid('h'), createdAt: T0 };
      const newer = { ...base, id: rid('inv'), tokenHash: rid('h'), createdAt: T0 + 5 };
      await get().orgs.createInvitation(older);
      await get().orgs.createInvitation(newer);
      assert.deepEqual(
        (await get().orgs.listInvitations(org.id)).map((i) => i.id),
        [newer.id, older.id],
      );
      assert.equal(await get().orgs.revokeInvitation(older.id, T0 + 7), true);
      assert.equal(await get().orgs.revokeInvitation(older.id, T0 + 8), false);
      assert.deepEqual(await get().orgs.findInvitation(older.id), { ...older, revokedAt: T0 + 7 });
      assert.equal(await get().orgs.acceptInvitation({ invitationId: older.id, userId: u.id, grantId: rid('g'), now: T0 + 9 }), null);
      assert.notEqual(await get().orgs.acceptInvitation({ invitationId: newer.id, userId: u.id, grantId: rid('g'), now: T0 + 9 }), null);
      assert.equal(await get().orgs.revokeInvitation(newer.id, T0 + 10), false, 'an accepted invitation stays accepted');
      assert.equal(await get().orgs.findInvitation(rid('missing')), null);
    });
  });

  describe('console: activity', () => {
    it('counts entries of the asked kinds per hour, inside [from, to)', async () => {
      const signIn = rid('sign_in');
      const failed = rid('failed');
      const other = rid('other');
      const h0 = Math.floor(T0 / HOUR_MS) * HOUR_MS;
      const at = [h0, h0 + 1, h0 + HOUR_MS - 1, h0 + HOUR_MS, h0 + 3 * HOUR_MS];
      for (const t of at)
        await get().audit.append({ at: t, kind: signIn, actorId: null, subjectId: null, ip: null, userAgent: null, data: {} }, () => rid('hash'));
      await get().audit.append({ at: h0 + 2, kind: failed, actorId: null, subjectId: null, ip: null, userAgent: null, data: {} }, () => rid('hash'));
      await get().audit.append({ at: h0 + 2, kind: other, actorId: null, subjectId: null, ip: null, userAgent: null, data: {} }, () => rid('hash'));
      assert.deepEqual(
        await get().activity.hourly([signIn, failed], h0, h0 + 3 * HOUR_MS),
        [
          { kind: failed, hour: h0, count: 1 },
          { kind: signIn, hour: h0, count: 3 },
          { kind: signIn, hour: h0 + HOUR_MS, count: 1 },
        ].sort((x, y) => x.hour - y.hour || (x.kind < y.kind ? -1 : 1)),
      );
      assert.deepEqual(await get().activity.hourly([], h0, h0 + HOUR_MS), []);
    });

    it('totals users, partner apps and live sessions', async () => {
      const now = T0 + 1000;
      const before = await get().activity.totals(now);
      await user(get);
      const client = {
        clientId: rid('c'),
        name: 'App',
        secret: null,
        redirectUris: ['https://app.test/cb'],
        postLogoutRedirectUris: [],
        scopes: ['openid'],
        logoUrl: null,
        createdAt: T0,
      };
      await get().clients.create({ ...client, firstParty: false });
      await get().clients.create({ ...client, clientId: rid('c'), firstParty: true });
      const session = {
        userId: rid('u'),
        tokens: 'sealed',
        accessExpiresAt: now,
        version: 0,
        createdAt: T0,
        lastSeenAt: T0,
        revokedAt: null,
        refreshLockUntil: null,
        refreshAttempt: null,
        data: {},
      };
      await get().bffSessions.create({ ...session, id: rid('s'), expiresAt: now + 1 });
      await get().bffSessions.create({ ...session, id: rid('s'), expiresAt: now });
      const revoked = rid('s');
      await get().bffSessions.create({ ...session, id: revoked, expiresAt: now + 1 });
      await get().bffSessions.revoke(revoked, T0);
      assert.deepEqual(await get().activity.totals(now), {
        users: before.users + 1,
        partnerApps: before.partnerApps + 1,
        activeSessions: before.activeSessions + 1,
      });
    });
  });
}
