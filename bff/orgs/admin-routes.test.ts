/**
 * The console's organizations API through the real app: admins only (and the
 * CSRF check), create / rename / delete with the stale-page check and typed
 * confirmation, members and roles, invitations sent (a real SMTP inbox),
 * resent, revoked; every change in the audit log.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestApp, type TestApp } from '../testing/test-app.ts';
import { startInbox, type Inbox } from '../testing/smtp-inbox.ts';
import { Agent, signedInAgent } from '../testing/agent.ts';
import { createAccount } from '../accounts/accounts.ts';
import { checkInvitation } from './orgs.ts';
import { INVITATION_ERRORS } from '../../api/errors.ts';

const PASSWORD = 'correct horse battery staple';

for (const db of ['sqlite', 'postgres'] as const) {
  describe(`organizations admin API (${db})`, () => {
    let app: TestApp;
    let inbox: Inbox;
    let admin: Agent;
    let user: Agent;
    let adminId: string;

    const kinds = async () => (await app.store.audit.list({ actorId: adminId, limit: 100 })).map((e) => e.kind).reverse();

    before(async () => {
      inbox = await startInbox();
      app = await startTestApp({ db, env: { SMTP_URL: inbox.url } });
      adminId = (await createAccount(app.store, { email: 'admin@example.com', password: PASSWORD, role: 'admin' }, Date.now())).id;
      await createAccount(app.store, { email: 'user@example.com', password: PASSWORD, name: 'Una User' }, Date.now());
      admin = await signedInAgent(app.url, 'admin@example.com', PASSWORD);
      user = await signedInAgent(app.url, 'user@example.com', PASSWORD);
    });
    after(async () => {
      await app?.close();
      await inbox?.close();
    });

    it('is for admins only, and state changes need the CSRF header', async () => {
      assert.equal((await new Agent(app.url).api('GET', '/bff/admin/organizations')).status, 401);
      const refused = await user.api('POST', '/bff/admin/organizations', { name: 'Nope' });
      assert.equal(refused.status, 403);
      assert.equal((await refused.json()).error, 'admin_required');
      const forged = await admin.api(
        'POST',
        '/bff/admin/organizations',
        { name: 'Forged' },
        { 'x-portal-csrf': '', origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' },
      );
      assert.equal(forged.status, 403);
      assert.deepEqual(await app.store.orgs.list(), []);
    });

    it('creates, renames with the version the page saw (409 when stale), deletes only after typing the name', async () => {
      const created = await admin.api('POST', '/bff/admin/organizations', { name: '  Acme  ' });
      assert.equal(created.status, 201);
      const { organization } = await created.json();
      assert.equal(organization.name, 'Acme');
      assert.equal((await admin.api('POST', '/bff/admin/organizations', { name: 'ACME' })).status, 409);
      const empty = await admin.api('POST', '/bff/admin/organizations', { name: ' ' });
      assert.equal((await empty.json()).error, 'invalid_name');

      const renamed = await admin.api('PATCH', `/bff/admin/organizations/${organization.id}`, { name: 'Acme Ltd', updatedAt: organization.updatedAt });
      assert.equal(renamed.status, 200);
      const after1 = (await renamed.json()).organization;
      const stale = await admin.api('PATCH', `/bff/admin/organizations/${organization.id}`, { name: 'Acme Old Page', updatedAt: organization.updatedAt });
      assert.equal(stale.status, 409);
      const staleBody = await stale.json();
      assert.equal(staleBody.error, 'stale_page');
      assert.match(staleBody.message, /Another administrator changed this organization/);
      assert.equal((await app.store.orgs.find(organization.id))?.name, 'Acme Ltd', 'nothing overwritten');

      const typo = await admin.api('DELETE', `/bff/admin/organizations/${organization.id}`, { confirmName: 'Acme', updatedAt: after1.updatedAt });
      assert.equal((await typo.json()).error, 'confirmation_mismatch');
      assert.equal(
        (await admin.api('DELETE', `/bff/admin/organizations/${organization.id}`, { confirmName: 'Acme Ltd', updatedAt: organization.updatedAt })).status,
        409,
      );
      assert.notEqual(await app.store.orgs.find(organization.id), null);
      const gone = await admin.api('DELETE', `/bff/admin/organizations/${organization.id}`, { confirmName: 'Acme Ltd', updatedAt: after1.updatedAt });
      assert.equal(gone.status, 200);
      assert.equal(await app.store.orgs.find(organization.id), null);
      const missing = await admin.api('GET', `/bff/admin/organizations/${organization.id}`);
      assert.equal(missing.status, 404);
      assert.equal((await missing.json()).error, 'organization_not_found');
      assert.deepEqual((await kinds()).slice(-3), ['org_created', 'org_renamed', 'org_deleted']);
    });

    it('adds members, changes a role from the role the page saw, removes them', async () => {
      const { organization } = await (await admin.api('POST', '/bff/admin/organizations', { name: 'Members Inc' })).json();
      const base = `/bff/admin/organizations/${organization.id}`;
      const nobody = await admin.api('POST', `${base}/members`, { email: 'nobody@example.com' });
      assert.equal(nobody.status, 404);
      assert.match((await nobody.json()).message, /Send an invitation instead/);
      assert.equal((await admin.api('POST', `${base}/members`, { email: 'User@Example.com', role: 'Bad Role' })).status, 400);
      assert.equal((await admin.api('POST', `${base}/members`, { email: 'User@Example.com' })).status, 201);
      assert.equal((await admin.api('POST', `${base}/members`, { email: 'user@example.com' })).status, 409);
      const detail = await (await admin.api('GET', base)).json();
      assert.deepEqual(
        detail.members.map((m: { email: string; name: string; role: string }) => [m.email, m.name, m.role]),
        [['user@example.com', 'Una User', 'member']],
      );
      const userId = detail.members[0].userId;
      assert.equal((await admin.api('PUT', `${base}/members/${userId}`, { role: 'admin', expectedRole: 'member' })).status, 200);
      const stale = await admin.api('PUT', `${base}/members/${userId}`, { role: 'owner', expectedRole: 'member' });
      assert.equal(stale.status, 409);
      assert.equal((await app.store.orgs.findMembership(userId, organization.id))?.role, 'admin');
      assert.equal((await admin.api('DELETE', `${base}/members/${userId}`)).status, 200);
      assert.equal((await admin.api('DELETE', `${base}/members/${userId}`)).status, 404);
      assert.deepEqual((await kinds()).slice(-4), ['org_created', 'org_member_added', 'org_member_role_changed', 'org_member_removed']);
    });

    it('invites (mailing someone without an account), resends with a new token, revokes; statuses on the page', async () => {
      const { organization } = await (await admin.api('POST', '/bff/admin/organizations', { name: 'Invites Co' })).json();
      const base = `/bff/admin/organizations/${organization.id}`;
      const sent = await admin.api('POST', `${base}/invitations`, { email: 'new.person@example.com', role: 'admin' });
      assert.equal(sent.status, 201);
      const first = await sent.json();
      assert.equal(first.invitation.status, 'pending');
      assert.equal(first.accountMailQueued, true);
      assert.equal(typeof first.token, 'string');
      await app.mail.worker!.runOnce();
      const arrivals = await inbox.waitForTo('new.person@example.com', 1);
      assert.equal(arrivals.length, 1);
      assert.match(arrivals[0]!.mail.subject ?? '', /^You are invited/);

      const existing = await (await admin.api('POST', `${base}/invitations`, { email: 'user@example.com' })).json();
      assert.equal(existing.accountMailQueued, false, 'someone who can sign in gets no account mail');

      const resent = await admin.api('POST', `${base}/invitations/${first.invitation.id}/resend`);
      assert.equal(resent.status, 201);
      const second = await resent.json();
      assert.notEqual(second.token, first.token);
      const member = (await app.store.users.findByEmail('user@example.com'))!;
      const newPerson = (await app.store.users.findByEmail('new.person@example.com'))!;
      await assert.rejects(checkInvitation(app.store, first.token, newPerson, Date.now()), { code: INVITATION_ERRORS.revoked });
      assert.equal((await checkInvitation(app.store, second.token, newPerson, Date.now())).role, 'admin');

      assert.equal((await admin.api('DELETE', `${base}/invitations/${existing.invitation.id}`)).status, 200);
      assert.equal((await admin.api('DELETE', `${base}/invitations/${existing.invitation.id}`)).status, 409);
      await assert.rejects(checkInvitation(app.store, existing.token, member, Date.now()), { code: INVITATION_ERRORS.revoked });

      const detail = await (await admin.api('GET', base)).json();
      assert.deepEqual(detail.invitations.map((i: { email: string; status: string }) => [i.email, i.status]).sort(), [
        ['new.person@example.com', 'pending'],
        ['new.person@example.com', 'revoked'],
        ['user@example.com', 'revoked'],
      ]);
      assert.ok(!JSON.stringify(detail).includes(second.token), 'tokens are shown once, never listed');
      assert.deepEqual((await kinds()).slice(-6), [
        'org_created',
        'invitation_created',
        'invitation_created',
        'invitation_created',
        'invitation_resent',
        'invitation_revoked',
      ]);
    });
  });
}
