/** Contract: organizations, memberships, invitations, grant organizations. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConflictError, type User } from '../store.ts';
import type { Invitation } from '../orgs.ts';
import { type GetStore, rid, T0 } from './util.ts';

async function user(get: GetStore): Promise<User> {
  const id = rid('u');
  return get().users.create({ id, email: `${id}@example.test`, name: 'Org Member', passwordHash: null, role: 'user' }, T0);
}

function invitation(orgId: string, over: Partial<Invitation> = {}): Invitation {
  return {
    id: rid('inv'),
    tokenHash: rid('hash'),
    organizationId: orgId,
    email: 'invitee@example.test',
    role: 'admin',
    createdAt: T0,
    expiresAt: T0 + 7 * 86_400_000,
    acceptedAt: null,
    acceptedBy: null,
    revokedAt: null,
    ...over,
  };
}

export function orgsContract(get: GetStore): void {
  describe('orgs', () => {
    it('creates organizations, finds them by id and case-insensitive name, refuses duplicate names', async () => {
      const name = rid('Acme');
      const org = await get().orgs.create({ id: rid('org'), name }, T0);
      assert.deepEqual(org, { id: org.id, name, createdAt: T0, updatedAt: T0 });
      assert.deepEqual(await get().orgs.find(org.id), org);
      assert.deepEqual(await get().orgs.findByName(name.toUpperCase()), org);
      assert.equal(await get().orgs.find(rid('missing')), null);
      assert.equal(await get().orgs.findByName(rid('missing')), null);
      await assert.rejects(get().orgs.create({ id: rid('org'), name: name.toLowerCase() }, T0), ConflictError);
      assert.ok((await get().orgs.list()).some((o) => o.id === org.id));
    });

    it('adds a membership once, keeping the first role, and lists and removes it', async () => {
      const u = await user(get);
      const a = await get().orgs.create({ id: rid('org'), name: rid('A') }, T0);
      const b = await get().orgs.create({ id: rid('org'), name: rid('B') }, T0);
      const first = await get().orgs.addMembership({ userId: u.id, organizationId: b.id, role: 'admin' }, T0);
      assert.deepEqual(first, { created: true, membership: { userId: u.id, organizationId: b.id, role: 'admin', createdAt: T0 } });
      const again = await get().orgs.addMembership({ userId: u.id, organizationId: b.id, role: 'member' }, T0 + 5);
      assert.deepEqual(again, { created: false, membership: first.membership });
      await get().orgs.addMembership({ userId: u.id, organizationId: a.id, role: 'member' }, T0 + 1);
      assert.deepEqual(
        (await get().orgs.listMemberships(u.id)).map((m) => m.organizationId),
        [b.id, a.id],
      );
      assert.equal((await get().orgs.findMembership(u.id, a.id))?.role, 'member');
      assert.equal(await get().orgs.removeMembership(u.id, a.id), true);
      assert.equal(await get().orgs.removeMembership(u.id, a.id), false);
      assert.equal(await get().orgs.findMembership(u.id, a.id), null);
    });

    it('accepts an invitation exactly once, atomically, and can revert it', async () => {
      const u = await user(get);
      const org = await get().orgs.create({ id: rid('org'), name: rid('Inv') }, T0);
      const inv = invitation(org.id);
      await get().orgs.createInvitation(inv);
      assert.deepEqual(await get().orgs.findInvitationByTokenHash(inv.tokenHash), inv);
      assert.equal(await get().orgs.findInvitationByTokenHash(rid('nope')), null);

      const grantId = rid('grant');
      const input = { invitationId: inv.id, userId: u.id, grantId, now: T0 + 10 };
      const results = await Promise.all(Array.from({ length: 5 }, () => get().orgs.acceptInvitation(input)));
      const winners = results.filter((r) => r !== null);
      assert.equal(winners.length, 1, 'exactly one acceptance wins');
      assert.deepEqual(winners[0], { membershipCreated: true, previousOrganizationId: null });
      const used = await get().orgs.findInvitationByTokenHash(inv.tokenHash);
      assert.equal(used?.acceptedAt, T0 + 10);
      assert.equal(used?.acceptedBy, u.id);
      assert.equal((await get().orgs.findMembership(u.id, org.id))?.role, 'admin');
      assert.deepEqual(await get().orgs.findGrantOrganization(grantId), { grantId, userId: u.id, organizationId: org.id, role: 'admin' });

      await get().orgs.revertInvitation({ ...input, ...winners[0]! });
      assert.equal((await get().orgs.findInvitationByTokenHash(inv.tokenHash))?.acceptedAt, null);
      assert.equal(await get().orgs.findMembership(u.id, org.id), null);
      assert.equal(await get().orgs.findGrantOrganization(grantId), null);
      assert.notEqual(await get().orgs.acceptInvitation(input), null, 'acceptable again once reverted');
    });

    it('refuses an expired invitation and keeps an existing membership and the previous grant organization', async () => {
      const u = await user(get);
      const org = await get().orgs.create({ id: rid('org'), name: rid('Exp') }, T0);
      const other = await get().orgs.create({ id: rid('org'), name: rid('Other') }, T0);
      const expired = invitation(org.id, { expiresAt: T0 + 5 });
      await get().orgs.createInvitation(expired);
      const grantId = rid('grant');
      assert.equal(await get().orgs.acceptInvitation({ invitationId: expired.id, userId: u.id, grantId, now: T0 + 5 }), null);
      assert.equal(await get().orgs.findMembership(u.id, org.id), null);

      await get().orgs.addMembership({ userId: u.id, organizationId: org.id, role: 'owner' }, T0);
      await get().orgs.addMembership({ userId: u.id, organizationId: other.id, role: 'member' }, T0);
      await get().orgs.setGrantOrganization(grantId, u.id, other.id, T0);
      const inv = invitation(org.id, { role: 'member' });
      await get().orgs.createInvitation(inv);
      const input = { invitationId: inv.id, userId: u.id, grantId, now: T0 + 1 };
      const r = await get().orgs.acceptInvitation(input);
      assert.deepEqual(r, { membershipCreated: false, previousOrganizationId: other.id });
      assert.equal((await get().orgs.findGrantOrganization(grantId))?.role, 'owner', 'the existing role is kept');
      await get().orgs.revertInvitation({ ...input, ...r! });
      assert.equal((await get().orgs.findMembership(u.id, org.id))?.role, 'owner', 'a membership it did not create survives');
      assert.equal((await get().orgs.findGrantOrganization(grantId))?.organizationId, other.id);
    });

    it('reports a grant organization whose membership is gone with a null role, and deletes it', async () => {
      const u = await user(get);
      const org = await get().orgs.create({ id: rid('org'), name: rid('G') }, T0);
      const grantId = rid('grant');
      await get().orgs.setGrantOrganization(grantId, u.id, org.id, T0);
      assert.equal((await get().orgs.findGrantOrganization(grantId))?.role, null);
      await get().orgs.deleteGrantOrganization(grantId);
      assert.equal(await get().orgs.findGrantOrganization(grantId), null);
    });
  });
}
