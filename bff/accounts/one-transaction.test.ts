/**
 * A link is spent only together with what it was for: when a later write of
 * accepting an invitation or completing a password reset fails (the database
 * went away between statements), the link still works, nothing half-done is
 * left, and the person can simply try again. Runs on SQLite and PostgreSQL.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestApp, type TestApp } from '../testing/test-app.ts';
import { StoreUnavailableError, type Store } from '../store/store.ts';
import { createAccount } from './accounts.ts';
import { verifyPassword } from './passwords.ts';
import { acceptInvitation, checkInvitation, inviteUser } from './invitations.ts';
import { checkResetLink, completePasswordReset, issueResetLink } from './password-reset.ts';

const PASSWORD = 'correct horse battery staple';
const META = { ip: '203.0.113.9', userAgent: 'test' };

/** The app's store, except that inside a transaction setting a password hash fails as an outage would. */
function failingPasswordWrite(store: Store): Store {
  const broken = Object.create(store) as Store;
  broken.transaction = (fn) =>
    store.transaction((tx) => {
      const inner = Object.create(tx) as Store;
      inner.users = { ...tx.users, setPasswordHash: async () => Promise.reject(new StoreUnavailableError(new Error('connection lost'))) };
      return fn(inner);
    });
  return broken;
}

async function passwordWorks(store: Store, userId: string, password: string): Promise<boolean> {
  const hash = (await store.users.findById(userId))?.passwordHash;
  return typeof hash === 'string' && (await verifyPassword(hash, password));
}

const secretOf = (link: string): string => new URL(link).hash.slice('#token='.length);

for (const db of ['sqlite', 'postgres'] as const) {
  describe(`one-time links are spent in one transaction with their change (${db})`, () => {
    let app: TestApp;
    before(async () => {
      app = await startTestApp({ db });
    });
    after(() => app.close());

    it('a failed invitation acceptance leaves the link usable and the account untouched', async () => {
      const email = `invited-${db}@example.com`;
      const { user, link } = await inviteUser({ store: app.store, config: app.config }, email, 'Ivy', Date.now());
      const secret = secretOf(link);
      const deps = { store: failingPasswordWrite(app.store), audit: app.audit, now: Date.now };

      await assert.rejects(acceptInvitation(deps, secret, PASSWORD, META), StoreUnavailableError);
      assert.equal((await checkInvitation(app.store, secret, Date.now())).id, user.id, 'the link still works');
      const after1 = await app.store.users.findById(user.id);
      assert.equal(after1?.passwordHash, null);
      assert.equal(after1?.emailVerified, false);

      await acceptInvitation({ ...deps, store: app.store }, secret, PASSWORD, META);
      assert.equal(await passwordWorks(app.store, user.id, PASSWORD), true);
      assert.equal((await app.store.users.findById(user.id))?.emailVerified, true);
    });

    it('a failed password reset leaves the link usable and the old password in place', async () => {
      const email = `reset-${db}@example.com`;
      const user = await createAccount(app.store, { email, password: PASSWORD, emailVerified: true }, Date.now());
      const { link } = await issueResetLink({ store: app.store, config: app.config }, user, Date.now());
      const secret = secretOf(link);
      const complete = { token: secret, password: 'a brand new long passphrase', signOutEverywhere: false, endBffSessions: async () => 0 };
      const deps = { store: failingPasswordWrite(app.store), audit: app.audit, config: app.config, mail: app.mail, now: Date.now };

      await assert.rejects(completePasswordReset(deps, complete, META), StoreUnavailableError);
      assert.deepEqual(await checkResetLink(deps, secret), { email });
      assert.equal(await passwordWorks(app.store, user.id, PASSWORD), true, 'the old password still works');

      await completePasswordReset({ ...deps, store: app.store }, complete, META);
      assert.equal(await passwordWorks(app.store, user.id, complete.password), true);
    });
  });
}
