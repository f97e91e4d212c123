/**
 * The admin console's users API (issue 11) through the real app, provider and database: the paged
 * list, version-checked role and disable changes, the last-admin rule, deletion with typed
 * confirmation, and the mails a user page sends. On SQLite and PostgreSQL.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestApp, type TestApp } from '../testing/test-app.ts';
import { signedInAgent, type Agent } from '../testing/agent.ts';
import { partnerTokens, refreshWith, testPartner } from '../testing/partner.ts';
import { createAccount } from '../accounts/accounts.ts';
import { rawSql } from '../testing/raw-sql.ts';

const PASSWORD = 'correct horse battery staple';

interface ListedUser {
  id: string;
  email: string;
  updatedAt: number;
  role: string;
  disabled: boolean;
}

for (const db of ['sqlite', 'postgres'] as const) {
  describe(`admin users API (${db})`, () => {
    let app: TestApp;
    let admin: Agent;
    let adminId: string;
    before(async () => {
      app = await startTestApp({ db, env: { SESSION_CACHE_MS: '0' } });
      adminId = (await createAccount(app.store, { email: 'root@example.com', password: PASSWORD, role: 'admin', name: 'Root' }, Date.now())).id;
      admin = await signedInAgent(app.url, 'root@example.com', PASSWORD);
    });
    after(() => app.close());

    const json = async (res: Response) => ({ status: res.status, body: (await res.json()) as Record<string, unknown> });
    const getUser = async (id: string) => (await json(await admin.api('GET', `/bff/admin/users/${id}`))).body.user as ListedUser;

    it('pages the list with a cursor, filters and searches; others get 403', async () => {
      for (let i = 0; i < 5; i++)
        await createAccount(app.store, { email: `list${i}@example.com`, password: null, name: `Lister ${i}`, emailVerified: i % 2 === 0 }, 1_000 + i);
      const first = await json(await admin.api('GET', '/bff/admin/users?query=lister&limit=2'));
      assert.equal(first.status, 200);
      assert.deepEqual(
        (first.body.users as ListedUser[]).map((u) => u.email),
        ['list4@example.com', 'list3@example.com'],
      );
      const seen = [...(first.body.users as ListedUser[])];
      let next = first.body.next as string | null;
      while (next) {
        const page = await json(await admin.api('GET', `/bff/admin/users?query=lister&limit=2&after=${next}`));
        seen.push(...(page.body.users as ListedUser[]));
        next = page.body.next as string | null;
      }
      assert.deepEqual(
        seen.map((u) => u.email),
        [4, 3, 2, 1, 0].map((i) => `list${i}@example.com`),
      );
      const unverified = await json(await admin.api('GET', '/bff/admin/users?query=lister&unverified=1'));
      assert.deepEqual(
        (unverified.body.users as ListedUser[]).map((u) => u.email),
        ['list3@example.com', 'list1@example.com'],
      );
      const admins = await json(await admin.api('GET', '/bff/admin/users?admin=true'));
      assert.deepEqual(
        (admins.body.users as ListedUser[]).map((u) => u.email),
        ['root@example.com'],
      );
      const bad = await json(await admin.api('GET', '/bff/admin/users?after=not-a-cursor'));
      assert.deepEqual([bad.status, bad.body.error], [400, 'invalid_cursor']);
      const badSort = await json(await admin.api('GET', '/bff/admin/users?sort=name'));
      assert.deepEqual([badSort.status, badSort.body.error], [400, 'invalid_request']);

      await createAccount(app.store, { email: 'plain@example.com', password: PASSWORD }, Date.now());
      const plain = await signedInAgent(app.url, 'plain@example.com', PASSWORD);
      assert.equal((await plain.api('GET', '/bff/admin/users')).status, 403);
      assert.equal((await plain.api('PATCH', `/bff/admin/users/${adminId}`, { updatedAt: 0, role: 'user' })).status, 403);
    });

    it('refuses a change made on a stale page, and applies one made on the current version', async () => {
      const u = await createAccount(app.store, { email: 'stale@example.com', password: PASSWORD }, Date.now());
      const shown = await getUser(u.id);
      const ok = await json(await admin.api('PATCH', `/bff/admin/users/${u.id}`, { updatedAt: shown.updatedAt, role: 'admin' }));
      assert.equal(ok.status, 200);
      assert.equal((ok.body.user as ListedUser).role, 'admin');
      // A second admin's page still shows the old version.
      const stale = await json(await admin.api('PATCH', `/bff/admin/users/${u.id}`, { updatedAt: shown.updatedAt, disabled: true }));
      assert.deepEqual([stale.status, stale.body.error], [409, 'user_changed']);
      assert.equal((await app.store.users.findById(u.id))!.disabled, false, 'nothing overwritten');
      const audit = await app.store.audit.list({ kind: 'user_role_changed', subjectId: u.id });
      assert.deepEqual(
        audit.map((e) => [e.actorId, e.data.role]),
        [[adminId, 'admin']],
      );
      await app.store.users.update(u.id, { role: 'user' }, Date.now());
    });

    it('asks an admin to confirm a change to themself, and refuses to leave no admin', async () => {
      const me = await getUser(adminId);
      const unconfirmed = await json(await admin.api('PATCH', `/bff/admin/users/${adminId}`, { updatedAt: me.updatedAt, role: 'user' }));
      assert.deepEqual([unconfirmed.status, unconfirmed.body.error], [400, 'confirm_self']);
      const last = await json(await admin.api('PATCH', `/bff/admin/users/${adminId}`, { updatedAt: me.updatedAt, role: 'user', confirmSelf: true }));
      assert.deepEqual([last.status, last.body.error], [409, 'last_admin']);
      const del = await json(await admin.api('DELETE', `/bff/admin/users/${adminId}`, { confirmEmail: 'root@example.com', confirmSelf: true }));
      assert.deepEqual([del.status, del.body.error], [409, 'last_admin']);
      assert.equal((await app.store.users.findById(adminId))!.role, 'admin');
    });

    it('disabling ends the BFF sessions, provider sessions and partner grants at once; enabling lets them back', async () => {
      const email = 'off@example.com';
      const u = await createAccount(app.store, { email, password: PASSWORD }, Date.now());
      const browser = await signedInAgent(app.url, email, PASSWORD);
      const p = await testPartner(app);
      const tokens = await partnerTokens(app, p, { email, password: PASSWORD });
      const shown = await getUser(u.id);
      const res = await json(await admin.api('PATCH', `/bff/admin/users/${u.id}`, { updatedAt: shown.updatedAt, disabled: true }));
      assert.equal(res.status, 200);
      assert.equal(((await (await browser.api('GET', '/bff/session')).json()) as { authenticated: boolean }).authenticated, false);
      assert.equal((await refreshWith(app, p, tokens.refresh_token!)).body.error, 'invalid_grant');
      assert.deepEqual(await app.store.oidcOwners.sessions(u.id), []);
      const [revoked] = await app.store.audit.list({ kind: 'sessions_revoked', subjectId: u.id });
      assert.deepEqual(revoked!.data, { reason: 'user_disabled', bffSessions: 1, grants: 2, providerSessions: 2 });
      const enable = await json(await admin.api('PATCH', `/bff/admin/users/${u.id}`, { updatedAt: (res.body.user as ListedUser).updatedAt, disabled: false }));
      assert.equal(enable.status, 200);
      await signedInAgent(app.url, email, PASSWORD);
      assert.deepEqual(
        (await app.store.audit.list({ subjectId: u.id }))
          .map((e) => e.kind)
          .filter((k) => k.startsWith('user_'))
          .reverse(),
        ['user_disabled', 'user_enabled'],
      );
    });

    it('deletes after the typed email, keeps the audit trail, and says so when the user is already gone', async () => {
      const email = 'gone@example.com';
      const u = await createAccount(app.store, { email, password: PASSWORD }, Date.now());
      const browser = await signedInAgent(app.url, email, PASSWORD);
      const wrong = await json(await admin.api('DELETE', `/bff/admin/users/${u.id}`, { confirmEmail: 'someone@example.com' }));
      assert.deepEqual([wrong.status, wrong.body.error], [400, 'confirmation_mismatch']);
      assert.equal((await admin.api('DELETE', `/bff/admin/users/${u.id}`, { confirmEmail: email.toUpperCase() })).status, 200);
      assert.equal(await app.store.users.findById(u.id), null);
      assert.equal(((await (await browser.api('GET', '/bff/session')).json()) as { authenticated: boolean }).authenticated, false);
      const [entry] = await app.store.audit.list({ kind: 'user_deleted', subjectId: u.id });
      assert.deepEqual([entry!.actorId, entry!.data.email, entry!.data.name], [adminId, email, u.name]);
      for (const [method, path, body] of [
        ['GET', `/bff/admin/users/${u.id}`, undefined],
        ['PATCH', `/bff/admin/users/${u.id}`, { updatedAt: u.updatedAt, role: 'admin' }],
        ['DELETE', `/bff/admin/users/${u.id}`, { confirmEmail: email }],
        ['POST', `/bff/admin/users/${u.id}/mail`, {}],
      ] as const) {
        const r = await json(await admin.api(method, path, body));
        assert.deepEqual([r.status, r.body.error], [404, 'user_not_found'], `${method} ${path}`);
      }
    });

    it('invites a new person by mail, and mails a reset link or a new invitation from the user page', async () => {
      const created = await json(await admin.api('POST', '/bff/admin/users', { email: 'New.Person@example.com', name: 'New Person' }));
      assert.equal(created.status, 201);
      const invited = created.body.user as ListedUser & { hasPassword: boolean; emailVerified: boolean };
      assert.deepEqual([invited.email, invited.hasPassword, invited.emailVerified], ['new.person@example.com', false, false]);
      const again = await json(await admin.api('POST', `/bff/admin/users/${invited.id}/mail`, {}));
      assert.deepEqual(again.body, { sent: 'invitation' });
      const withPassword = await createAccount(app.store, { email: 'forgot@example.com', password: PASSWORD }, Date.now());
      const reset = await json(await admin.api('POST', `/bff/admin/users/${withPassword.id}/mail`, {}));
      assert.deepEqual(reset.body, { sent: 'password_reset' });
      const queued = await rawSql<{ kind: string; to_address: string }>(
        app.config.databaseUrl,
        'SELECT kind, to_address FROM mail_outbox ORDER BY created_at, kind',
      );
      assert.deepEqual(
        queued.map((m) => [m.kind, m.to_address]),
        [
          ['invitation', 'new.person@example.com'],
          ['invitation', 'new.person@example.com'],
          ['password_reset', 'forgot@example.com'],
        ],
      );
      assert.deepEqual(
        (await app.store.audit.list({ actorId: adminId, kind: 'user_invited' })).map((e) => e.subjectId),
        [invited.id, invited.id],
      );
      assert.equal((await app.store.audit.list({ kind: 'password_reset_link_issued', subjectId: withPassword.id })).length, 1);
      const taken = await json(await admin.api('POST', '/bff/admin/users', { email: 'forgot@example.com' }));
      assert.deepEqual([taken.status, taken.body.error], [400, 'already_registered']);
    });
  });
}
