/**
 * An admin unlinks one upstream identity from a person on the user page: only
 * that identity goes (its upstream tokens with it), audited; another person's
 * identity or one already gone is a clear 404; others get 403. SQLite and PostgreSQL.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestApp, type TestApp } from '../testing/test-app.ts';
import { signedInAgent, type Agent } from '../testing/agent.ts';
import { createAccount } from '../accounts/accounts.ts';
import type { FederatedIdentity } from '../store/federation.ts';

const PASSWORD = 'correct horse battery staple';

const identity = (userId: string, connectionId: string, subject: string): FederatedIdentity => ({
  connectionId,
  subject,
  userId,
  email: `${subject}@upstream.example`,
  tokens: null,
  tokensExpiresAt: null,
  version: 0,
  refreshLockUntil: null,
  linkedAt: 1_000,
  createdAt: 1_000,
  lastUsedAt: 2_000,
});

for (const db of ['sqlite', 'postgres'] as const) {
  describe(`admin: unlink one upstream identity (${db})`, () => {
    let app: TestApp;
    let admin: Agent;
    before(async () => {
      app = await startTestApp({ db });
      await createAccount(app.store, { email: 'root@example.com', password: PASSWORD, role: 'admin', name: 'Root' }, Date.now());
      admin = await signedInAgent(app.url, 'root@example.com', PASSWORD);
    });
    after(() => app.close());

    it('removes exactly that identity, audited, and answers 404 for one that is not theirs', async () => {
      const user = await createAccount(app.store, { email: 'linked@example.com', password: PASSWORD }, Date.now());
      const other = await createAccount(app.store, { email: 'other@example.com', password: PASSWORD }, Date.now());
      for (const i of [identity(user.id, 'conn_a', 'sub-1'), identity(user.id, 'conn_b', 'sub-2'), identity(other.id, 'conn_a', 'sub-3')]) {
        assert.equal(await app.store.federation.insertIdentity(i), true);
      }
      const res = await admin.api('POST', `/bff/admin/users/${user.id}/identities/unlink`, { connectionId: 'conn_a', subject: 'sub-1' });
      assert.equal(res.status, 200, await res.clone().text());
      assert.deepEqual(
        (await app.store.federation.listLinkedIdentities(user.id)).map((i) => i.subject),
        ['sub-2'],
      );
      const [entry] = await app.store.audit.list({ kind: 'identity_unlinked', limit: 5 });
      assert.equal(entry?.subjectId, user.id);
      assert.deepEqual(entry?.data, { connectionId: 'conn_a', subject: 'sub-1' });

      const notTheirs = await admin.api('POST', `/bff/admin/users/${user.id}/identities/unlink`, { connectionId: 'conn_a', subject: 'sub-3' });
      assert.deepEqual([notTheirs.status, ((await notTheirs.json()) as { error: string }).error], [404, 'identity_not_found']);
      assert.equal((await app.store.federation.listLinkedIdentities(other.id)).length, 1, "another person's identity stays");
      const again = await admin.api('POST', `/bff/admin/users/${user.id}/identities/unlink`, { connectionId: 'conn_a', subject: 'sub-1' });
      assert.equal(again.status, 404);
      const bad = await admin.api('POST', `/bff/admin/users/${user.id}/identities/unlink`, { connectionId: '' });
      assert.equal(bad.status, 400);
    });

    it('refuses non-admins', async () => {
      const plainUser = await createAccount(app.store, { email: 'plain@example.com', password: PASSWORD }, Date.now());
      const plain = await signedInAgent(app.url, 'plain@example.com', PASSWORD);
      assert.equal((await plain.api('POST', `/bff/admin/users/${plainUser.id}/identities/unlink`, { connectionId: 'x', subject: 'y' })).status, 403);
    });
  });
}
