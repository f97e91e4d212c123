/**
 * An admin resets a person's second factors from the user page (a lost phone
 * or key): their authenticator app, recovery codes and passkeys are removed,
 * audited with who did it; the person then signs in with the password alone.
 * Others get 403; an unknown person 404. SQLite and PostgreSQL.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestApp, type TestApp } from '../testing/test-app.ts';
import { signedInAgent, type Agent } from '../testing/agent.ts';
import { enrolTotp } from '../testing/second-factor.ts';
import { createAccount } from '../accounts/accounts.ts';

const PASSWORD = 'correct horse battery staple';

for (const db of ['sqlite', 'postgres'] as const) {
  describe(`admin: reset a person's second factors (${db})`, () => {
    let app: TestApp;
    let admin: Agent;
    let adminId: string;
    before(async () => {
      app = await startTestApp({ db });
      adminId = (await createAccount(app.store, { email: 'root@example.com', password: PASSWORD, role: 'admin', name: 'Root' }, Date.now())).id;
      admin = await signedInAgent(app.url, 'root@example.com', PASSWORD);
    });
    after(() => app.close());

    it('removes the app, recovery codes and passkeys, audited; the next sign-in needs only the password', async () => {
      const email = 'lost-phone@example.com';
      const user = await createAccount(app.store, { email, password: PASSWORD }, Date.now());
      const own = await signedInAgent(app.url, email, PASSWORD);
      await enrolTotp(own, email);
      await app.store.passkeys.create({
        id: 'pk_test_1',
        userId: user.id,
        credentialId: 'Y3JlZA',
        publicKey: 'a2V5',
        signCount: 0,
        transports: ['internal'],
        deviceType: 'singleDevice',
        backedUp: false,
        name: 'Old phone',
        createdAt: Date.now(),
        lastUsedAt: null,
      });

      const res = await admin.api('POST', `/bff/admin/users/${user.id}/second-factors/reset`, {});
      assert.equal(res.status, 200, await res.clone().text());
      assert.deepEqual(((await res.json()) as { removed: unknown }).removed, { totp: true, recoveryCodes: 10, passkeys: 1 });
      assert.equal(await app.store.mfa.totp.find(user.id), null);
      assert.deepEqual(await app.store.passkeys.listForUser(user.id), []);
      const entries = await app.store.audit.list({ kind: 'mfa_reset', limit: 10 });
      assert.equal(entries.length, 1);
      assert.equal(entries[0]!.actorId, adminId);
      assert.equal(entries[0]!.subjectId, user.id);
      assert.deepEqual(entries[0]!.data, { via: 'admin', totp: true, recoveryCodes: 10, passkeys: 1 });
      // No second-factor step any more: the password alone completes the sign-in.
      const again = await signedInAgent(app.url, email, PASSWORD);
      assert.equal((await again.api('GET', '/bff/session')).status, 200);
    });

    it('refuses non-admins (403) and names an unknown person (404)', async () => {
      await createAccount(app.store, { email: 'plain@example.com', password: PASSWORD }, Date.now());
      const plain = await signedInAgent(app.url, 'plain@example.com', PASSWORD);
      assert.equal((await plain.api('POST', `/bff/admin/users/${adminId}/second-factors/reset`, {})).status, 403);
      const unknown = await admin.api('POST', '/bff/admin/users/nobody/second-factors/reset', {});
      assert.equal(unknown.status, 404);
      assert.equal((await app.store.audit.list({ kind: 'mfa_reset', limit: 10 })).length, 1, 'only the reset above');
    });
  });
}
