/** Contract: Store.transaction() commits together, rolls back together, and nested calls join. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConflictError, type Store } from '../store.ts';
import { type GetStore, rid, T0 } from './util.ts';

const newUser = (id: string) => ({ id, email: `${id}@example.test`, name: 'Tx Person', passwordHash: null, role: 'user' as const });

export function transactionContract(get: GetStore): void {
  describe('transaction', () => {
    it('commits every write when fn resolves, and answers what fn returned', async () => {
      const id = rid('u');
      const key = rid('tx');
      const result = await get().transaction(async (tx) => {
        await tx.users.create(newUser(id), T0);
        await tx.settings.set(key, 'committed');
        // Inside, the transaction reads its own writes.
        assert.equal((await tx.users.findById(id))?.id, id);
        return 'done';
      });
      assert.equal(result, 'done');
      assert.equal((await get().users.findById(id))?.email, `${id}@example.test`);
      assert.equal(await get().settings.get(key), 'committed');
    });

    it('rolls back every write when fn throws, and rethrows that error', async () => {
      const id = rid('u');
      const key = rid('tx');
      await get().settings.set(key, 'before');
      const boom = new Error('second step failed');
      await assert.rejects(
        get().transaction(async (tx) => {
          await tx.users.create(newUser(id), T0);
          await tx.settings.set(key, 'during');
          throw boom;
        }),
        (e) => e === boom,
      );
      assert.equal(await get().users.findById(id), null);
      assert.equal(await get().settings.get(key), 'before');
    });

    it('rolls back the earlier writes when a later store call fails (a conflict)', async () => {
      const taken = await get().users.create(newUser(rid('u')), T0);
      const id = rid('u');
      await assert.rejects(
        get().transaction(async (tx) => {
          await tx.users.create(newUser(id), T0);
          await tx.users.create({ ...newUser(rid('u')), email: taken.email }, T0);
        }),
        ConflictError,
      );
      assert.equal(await get().users.findById(id), null);
    });

    it('a nested transaction joins the outer one: the outer failure undoes the inner writes too', async () => {
      const inner = rid('u');
      let nestedStore: Store | undefined;
      await assert.rejects(
        get().transaction(async (tx) => {
          await tx.transaction(async (nested) => {
            nestedStore = nested;
            await nested.users.create(newUser(inner), T0);
          });
          // Joined, not committed on its own: the outer transaction still sees it as its own write.
          assert.equal((await tx.users.findById(inner))?.id, inner);
          throw new Error('outer fails after the nested call returned');
        }),
        /outer fails/,
      );
      assert.ok(nestedStore, 'the nested function ran');
      assert.equal(await get().users.findById(inner), null);
    });

    it('store methods that use a transaction of their own join it (an invitation acceptance rolls back)', async () => {
      const u = await get().users.create(newUser(rid('u')), T0);
      const org = await get().orgs.create({ id: rid('org'), name: rid('Tx') }, T0);
      const inv = {
        id: rid('inv'),
        tokenHash: rid('hash'),
        organizationId: org.id,
        email: u.email,
        role: 'member',
        createdAt: T0,
        expiresAt: T0 + 1000,
        acceptedAt: null,
        acceptedBy: null,
      };
      await get().orgs.createInvitation(inv);
      await assert.rejects(
        get().transaction(async (tx) => {
          assert.ok(await tx.orgs.acceptInvitation({ invitationId: inv.id, userId: u.id, grantId: rid('grant'), now: T0 + 1 }));
          throw new Error('undo');
        }),
        /undo/,
      );
      assert.equal((await get().orgs.findInvitationByTokenHash(inv.tokenHash))?.acceptedAt, null);
      assert.equal(await get().orgs.findMembership(u.id, org.id), null);
    });
  });
}
