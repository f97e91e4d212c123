/**
 * Who impersonates behind a token (impersonator.ts), pinned where mutation
 * testing (docs/mutation.md) needs it: found by the token's acr (`imp:<id>`)
 * even when the grant names another impersonation, by the grant otherwise
 * (a plain acr, short or long, or none), null when neither finds one, and the admin's email
 * or `unknown` once the admin's account is deleted. Against the real store
 * (a SQLite file and a PostgreSQL schema), without the app.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Store } from '../store/store.ts';
import { openTempStore, type TempStore } from '../testing/temp-store.ts';
import { createAccount } from '../accounts/accounts.ts';
import { impersonatorLookup } from './impersonator.ts';

const NOW = 1_790_000_000_000;
const PASSWORD = 'correct horse battery staple';

for (const db of ['sqlite', 'postgres'] as const) {
  describe(`impersonatorLookup (${db})`, () => {
    let temp: TempStore;
    let store: Store;
    before(async () => {
      temp = await openTempStore(db, { timeoutMs: 30_000 });
      store = temp.store;
    });
    after(async () => {
      await temp?.drop();
    });

    it('finds the admin and reason by acr, else by grant; null when neither finds one', async () => {
      await createAccount(store, { email: 'first-admin@example.com', password: PASSWORD, role: 'admin' }, NOW);
      const admin = await createAccount(store, { email: 'admin@example.com', password: PASSWORD, role: 'admin' }, NOW);
      const other = await createAccount(store, { email: 'other-admin@example.com', password: PASSWORD, role: 'admin' }, NOW);
      const target = await createAccount(store, { email: 'target@example.com', password: PASSWORD }, NOW);
      const base = { targetId: target.id, startedAt: NOW, expiresAt: NOW + 60_000, adminSessionId: null, sessionId: null };
      await store.impersonations.create({ ...base, id: 'imp_a', adminId: admin.id, reason: 'ticket 1', grantId: 'grant_a' });
      await store.impersonations.create({ ...base, id: 'imp_b', adminId: other.id, reason: 'ticket 2', grantId: 'grant_b' });
      const lookup = impersonatorLookup(store);
      assert.deepEqual(await lookup('grant_a', 'imp:imp_a'), { email: 'admin@example.com', reason: 'ticket 1' });
      // The acr decides over the grant.
      assert.deepEqual(await lookup('grant_a', 'imp:imp_b'), { email: 'other-admin@example.com', reason: 'ticket 2' });
      assert.deepEqual(await lookup('grant_b'), { email: 'other-admin@example.com', reason: 'ticket 2' });
      assert.deepEqual(await lookup('grant_a', 'mfa'), { email: 'admin@example.com', reason: 'ticket 1' });
      // An SSO sign-in's acr (`sso:<connection id>`, as long a prefix as `imp:`) is not read as an impersonation id.
      assert.deepEqual(await lookup('grant_a', 'sso:imp_b'), { email: 'admin@example.com', reason: 'ticket 1' });
      assert.equal(await lookup('grant_none'), null);
      assert.equal(await lookup('grant_a', 'imp:imp_none'), null);
      // The admin's account deleted: the record stays, the admin is unknown.
      assert.deepEqual(await store.users.delete(other.id), { ok: true });
      assert.deepEqual(await lookup('grant_b'), { email: 'unknown', reason: 'ticket 2' });
    });
  });
}
