/**
 * The WorkOS access-token claims (claims.ts), exactly, where mutation testing
 * (docs/mutation.md) asks for them: no grant, no claims; `sid` alone when the
 * grant acts for no organization, for one whose membership is gone, or for
 * one of another user; `sid`, `org_id`, `role` and the role's permissions when
 * the user is still a member. The contributor is called as the provider calls
 * it, on a real store (SQLite and PostgreSQL, no app): it never reads the
 * provider context, so none is given.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { KoaContextWithOIDC } from 'oidc-provider';
import type { Store } from '../../store/store.ts';
import { runAll } from '../../testing/test-app.ts';
import { openTempStore } from '../../testing/temp-store.ts';
import { createAccount } from '../../accounts/accounts.ts';
import { createOrganization } from '../../orgs/orgs.ts';
import { workosClaims } from './claims.ts';

const NO_CONTEXT = undefined as unknown as KoaContextWithOIDC;

for (const db of ['sqlite', 'postgres'] as const) {
  describe(`WorkOS access-token claims (${db})`, () => {
    let store: Store;
    const cleanups: Array<() => unknown> = [];
    before(async () => {
      const temp = await openTempStore(db);
      cleanups.push(() => temp.drop());
      store = temp.store;
    });
    after(() => runAll(cleanups));

    it('no grant: no claims', async () => {
      const claims = workosClaims(store);
      assert.equal(await claims(NO_CONTEXT, { accountId: 'usr_x' }), undefined);
      assert.equal(await claims(NO_CONTEXT, { grantId: '', accountId: 'usr_x' }), undefined);
    });

    it('sid alone without an organization, for a gone membership, or for another user', async () => {
      const now = Date.now();
      const ada = await createAccount(store, { email: `ada-${db}@example.com`, password: null }, now);
      const bob = await createAccount(store, { email: `bob-${db}@example.com`, password: null }, now);
      const org = await createOrganization(store, `Claims Org ${db}`, now);
      const claims = workosClaims(store);
      assert.deepEqual(await claims(NO_CONTEXT, { grantId: 'grant-none', accountId: ada.id }), { sid: 'grant-none' });

      await store.orgs.addMembership({ userId: bob.id, organizationId: org.id, role: 'owner' }, now);
      await store.orgs.setGrantOrganization('grant-bob', bob.id, org.id, now);
      assert.deepEqual(await claims(NO_CONTEXT, { grantId: 'grant-bob', accountId: ada.id }), { sid: 'grant-bob' }, "another user's link");

      await store.orgs.addMembership({ userId: ada.id, organizationId: org.id, role: 'admin' }, now);
      await store.orgs.setGrantOrganization('grant-ada', ada.id, org.id, now);
      assert.deepEqual(await claims(NO_CONTEXT, { grantId: 'grant-ada', accountId: ada.id }), {
        sid: 'grant-ada',
        org_id: org.id,
        role: 'admin',
        permissions: ['organization:read', 'members:read', 'members:invite', 'members:manage'],
      });
      assert.deepEqual(await claims(NO_CONTEXT, { grantId: 'grant-bob', accountId: bob.id }), {
        sid: 'grant-bob',
        org_id: org.id,
        role: 'owner',
        permissions: ['organization:read', 'organization:manage', 'members:read', 'members:invite', 'members:manage'],
      });

      assert.equal(await store.orgs.removeMembership(ada.id, org.id), true);
      assert.deepEqual(await claims(NO_CONTEXT, { grantId: 'grant-ada', accountId: ada.id }), { sid: 'grant-ada' }, 'the membership is gone');
    });
  });
}
