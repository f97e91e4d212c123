/**
 * WorkOS listSessions and revokeSession (sessions.ts), exactly, where mutation
 * testing (docs/mutation.md) asks for them. The functions are called as the
 * routes call them, with the real app's deps, grants saved by the real
 * provider, session records written by rememberSession (session-meta.ts, the
 * app's clock moved between them) and the app's own impersonator lookup:
 * - a session object field by field: recorded or not (the grant's iat), its
 *   organization only while the user is still a member of it, an impersonator
 *   and its auth method, the expiry from the grant;
 * - only this client's sessions of this user; an unknown user (404), the
 *   limit's bounds (422), newest first or `asc`, ties by id, and the
 *   `before`/`after` cursors with their list_metadata;
 * - revoking: another client's, an unknown or an ownerless grant is 404; one's
 *   own ends its tokens, the grant and its organization, audited.
 * SQLite and PostgreSQL.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestApp, type TestApp } from '../../testing/test-app.ts';
import { createAccount } from '../../accounts/accounts.ts';
import { createOrganization } from '../../orgs/orgs.ts';
import { impersonatorLookup } from '../../impersonation/impersonator.ts';
import type { Deps } from '../../deps.ts';
import type { User } from '../../store/store.ts';
import { rememberSession } from './session-meta.ts';
import { listSessions, revokeSession } from './sessions.ts';
import type { RequestInfo, WorkOSHooks } from './exchange.ts';
import { WorkOSError } from './map.ts';
import { partner, PASSWORD, type Partner } from './test-helpers.ts';

const refusal = (status: number, oauthError: string, message: string, code: string) => (e: unknown) => {
  assert.ok(e instanceof WorkOSError, String(e));
  assert.deepEqual([e.status, e.oauthError, e.code, e.message], [status, oauthError, code, message]);
  return true;
};
const iso = (ms: number) => new Date(ms).toISOString();

for (const db of ['sqlite', 'postgres'] as const) {
  describe(`WorkOS sessions, exactly (${db})`, { timeout: 120000 }, () => {
    let app: TestApp;
    let deps: Deps;
    let hooks: WorkOSHooks;
    let mine: Partner;
    let theirs: Partner;
    let info: RequestInfo;
    let n = 0;
    const account = async (): Promise<User> => createAccount(app.store, { email: `s${++n}-${db}@example.com`, password: PASSWORD }, Date.now());
    /**
     * A grant saved by the provider, recorded by rememberSession unless `at` is null, the app's
     * clock moved to `at`; then its createdAt set to exactly `at` (the clock runs on meanwhile).
     */
    const grant = async (userId: string, clientId: string, at: number | null, where = { ip: '203.0.113.1', userAgent: 'UA' }, amr = ['pwd']) => {
      const g = new app.provider.Grant({ accountId: userId, clientId });
      const id = await g.save();
      if (at !== null) {
        app.clock.offset = at - Date.now();
        try {
          await rememberSession(deps, id, { accountId: userId, amr }, clientId, where, null);
        } finally {
          app.clock.offset = 0;
        }
        const row = (await app.store.oidc.find('WorkOSSession', id))!;
        assert.ok(Math.abs(Number(row.payload.createdAt) - at) < 60_000, 'recorded at the clock');
        await app.store.oidc.upsert('WorkOSSession', id, { ...row.payload, createdAt: at }, row.expiresAt, { grantId: id });
      }
      return id;
    };
    const expOf = async (id: string) => iso((await app.provider.Grant.find(id))!.exp! * 1000);

    before(async () => {
      app = await startTestApp({ db });
      deps = app.deps;
      hooks = { impersonator: impersonatorLookup(app.store) };
      mine = await partner(app, false);
      theirs = await partner(app, false);
      info = { ip: '10.0.0.9', userAgent: 'Server/1', bearer: mine.secret };
    });
    after(() => app.close());

    it('each session object, field by field', { timeout: 20000 }, async () => {
      const user = await account();
      const admin = await account();
      const t0 = Date.UTC(2026, 5, 1, 12, 0, 0);
      const recorded = await grant(user.id, mine.clientId, t0, { ip: '198.51.100.4', userAgent: 'Firefox' });
      const plain = await grant(user.id, mine.clientId, null);
      const impersonated = await grant(user.id, mine.clientId, t0 - 60_000);
      const withOrg = await grant(user.id, mine.clientId, t0 - 120_000, { ip: '198.51.100.5', userAgent: 'Safari' }, ['email']);
      const org = await createOrganization(app.store, `Sessions Org ${db}`, t0);
      await app.store.orgs.addMembership({ userId: user.id, organizationId: org.id, role: 'member' }, t0);
      await app.store.orgs.setGrantOrganization(withOrg, user.id, org.id, t0);
      await app.store.impersonations.create({
        id: `imp-${db}-1`,
        adminId: admin.id,
        targetId: user.id,
        reason: 'support ticket 7',
        startedAt: t0,
        expiresAt: t0 + 3_600_000,
        grantId: impersonated,
        adminSessionId: null,
        sessionId: null,
      });
      // Another client's and another user's grants stay out.
      await grant(user.id, theirs.clientId, t0);
      await grant(admin.id, mine.clientId, t0);

      const plainIat = (await app.provider.Grant.find(plain))!.iat! * 1000;
      const list = await listSessions(deps, hooks, user.id, {}, info);
      const byId = Object.fromEntries(list.data.map((s) => [s.id, s]));
      assert.equal(list.data.length, 4);
      assert.deepEqual(byId[recorded], {
        object: 'session',
        id: recorded,
        user_id: user.id,
        ip_address: '198.51.100.4',
        user_agent: 'Firefox',
        auth_method: 'password',
        status: 'active',
        expires_at: await expOf(recorded),
        ended_at: null,
        created_at: iso(t0),
        updated_at: iso(t0),
      });
      assert.deepEqual(byId[plain], {
        object: 'session',
        id: plain,
        user_id: user.id,
        ip_address: null,
        user_agent: null,
        auth_method: 'unknown',
        status: 'active',
        expires_at: await expOf(plain),
        ended_at: null,
        created_at: iso(plainIat),
        updated_at: iso(plainIat),
      });
      assert.deepEqual(byId[impersonated], {
        object: 'session',
        id: impersonated,
        user_id: user.id,
        ip_address: '203.0.113.1',
        user_agent: 'UA',
        impersonator: { email: admin.email, reason: 'support ticket 7' },
        auth_method: 'impersonation',
        status: 'active',
        expires_at: await expOf(impersonated),
        ended_at: null,
        created_at: iso(t0 - 60_000),
        updated_at: iso(t0 - 60_000),
      });
      assert.deepEqual(byId[withOrg], {
        object: 'session',
        id: withOrg,
        user_id: user.id,
        ip_address: '198.51.100.5',
        user_agent: 'Safari',
        organization_id: org.id,
        auth_method: 'magic_code',
        status: 'active',
        expires_at: await expOf(withOrg),
        ended_at: null,
        created_at: iso(t0 - 120_000),
        updated_at: iso(t0 - 120_000),
      });
      // Newest first: the plain grant (iat now), then t0, t0-1min, t0-2min.
      assert.deepEqual(
        list.data.map((s) => s.id),
        [plain, recorded, impersonated, withOrg],
      );
      assert.deepEqual(list.list_metadata, { before: null, after: null });
      assert.equal(list.object, 'list');

      // The membership gone: no organization; a link of another user: none either.
      await app.store.orgs.removeMembership(user.id, org.id);
      const gone = await listSessions(deps, hooks, user.id, {}, info);
      assert.equal('organization_id' in gone.data.find((s) => s.id === withOrg)!, false);
      await app.store.orgs.addMembership({ userId: admin.id, organizationId: org.id, role: 'owner' }, t0);
      await app.store.orgs.setGrantOrganization(withOrg, admin.id, org.id, t0);
      const foreign = await listSessions(deps, hooks, user.id, {}, info);
      assert.equal('organization_id' in foreign.data.find((s) => s.id === withOrg)!, false);
      // Without the impersonation feature's hook: the recorded method.
      const bare = await listSessions(deps, {}, user.id, {}, info);
      const imp = bare.data.find((s) => s.id === impersonated)!;
      assert.deepEqual(['impersonator' in imp, imp.auth_method], [false, 'password']);
    });

    it('an unknown user, the limit, the API key', { timeout: 20000 }, async () => {
      const user = await account();
      await assert.rejects(listSessions(deps, hooks, 'no-such-user', {}, info), refusal(404, 'not_found', 'No user with this id.', 'entity_not_found'));
      const bad = refusal(422, 'invalid_request', 'limit: a whole number from 1 to 100.', 'invalid_request_parameters');
      for (const limit of ['0', '101', '1.5', 'ten', '-1']) await assert.rejects(listSessions(deps, hooks, user.id, { limit }, info), bad, limit);
      for (const limit of ['1', '100']) assert.deepEqual((await listSessions(deps, hooks, user.id, { limit }, info)).data, [], limit);
      await assert.rejects(
        listSessions(deps, hooks, user.id, {}, { ...info, bearer: 'not-a-key' }),
        (e: unknown) => e instanceof WorkOSError && e.status === 401,
      );
      await assert.rejects(revokeSession(deps, 'x', { ...info, bearer: null }), (e: unknown) => e instanceof WorkOSError && e.status === 401);
    });

    it('order, the default limit of ten, ties by id, and the cursors', { timeout: 30000 }, async () => {
      const user = await account();
      const t0 = Date.UTC(2026, 6, 1);
      const ids: string[] = [];
      for (let i = 0; i < 12; i++) ids.push(await grant(user.id, mine.clientId, t0 + i * 1000));
      const newest = [...ids].reverse();
      const page = async (q: Record<string, unknown>) => {
        const r = await listSessions(deps, hooks, user.id, q, info);
        assert.equal(
          r.data.every((s) => !('client_id' in s)),
          true,
        );
        return { ids: r.data.map((s) => s.id), meta: r.list_metadata };
      };
      assert.deepEqual(await page({}), { ids: newest.slice(0, 10), meta: { before: null, after: newest[9] } });
      assert.deepEqual(await page({ order: 'desc' }), { ids: newest.slice(0, 10), meta: { before: null, after: newest[9] } });
      assert.deepEqual(await page({ order: 'asc', limit: '3' }), { ids: ids.slice(0, 3), meta: { before: null, after: ids[2] } });
      assert.deepEqual(await page({ limit: '4', after: newest[3] }), { ids: newest.slice(4, 8), meta: { before: newest[4], after: newest[7] } });
      assert.deepEqual(await page({ limit: '4', after: newest[9] }), { ids: newest.slice(10, 12), meta: { before: newest[10], after: null } });
      assert.deepEqual(await page({ limit: '4', after: newest[11] }), { ids: [], meta: { before: null, after: null } });
      // A page before a cursor ends at it: nothing after it to point to.
      assert.deepEqual(await page({ limit: '3', before: newest[5] }), { ids: newest.slice(2, 5), meta: { before: newest[2], after: null } });
      assert.deepEqual(await page({ limit: '10', before: newest[2] }), { ids: newest.slice(0, 2), meta: { before: null, after: null } });
      assert.deepEqual(await page({ limit: '3', before: newest[0] }), { ids: [], meta: { before: null, after: null } });
      assert.deepEqual(await page({ limit: '3', before: 'unknown' }), { ids: [], meta: { before: null, after: null } });
      assert.deepEqual(await page({ limit: '3', after: 'unknown' }), { ids: newest.slice(0, 3), meta: { before: null, after: newest[2] } });
      assert.deepEqual(await page({ limit: '3', after: '', before: '' }), { ids: newest.slice(0, 3), meta: { before: null, after: newest[2] } });
      assert.deepEqual(await page({ limit: '2', after: newest[1], before: newest[6] }), { ids: newest.slice(4, 6), meta: { before: newest[4], after: null } });
      assert.deepEqual(await page({ limit: '5', after: newest[1], before: newest[5] }), { ids: newest.slice(2, 5), meta: { before: newest[2], after: null } });
      assert.deepEqual(await page({ limit: 3, after: 7 }), { ids: newest.slice(0, 3), meta: { before: null, after: newest[2] } });
      assert.deepEqual(await page({ limit: 3, before: 7 }), { ids: newest.slice(0, 3), meta: { before: null, after: newest[2] } }, 'a cursor must be a string');

      // A grant expired but not swept yet: its row is still listed by the store, the provider no longer finds it.
      const lapsed = await grant(user.id, mine.clientId, t0 + 20_000);
      const row = (await app.store.oidc.find('Grant', lapsed))!;
      const past = Math.floor(Date.now() / 1000) - 60;
      await app.store.oidc.upsert('Grant', lapsed, { ...row.payload, exp: past }, past * 1000, {});
      assert.equal(await app.provider.Grant.find(lapsed), undefined);
      assert.ok((await app.store.oidcOwners.grantIds(user.id, mine.clientId)).includes(lapsed));
      assert.deepEqual(await page({}), { ids: newest.slice(0, 10), meta: { before: null, after: newest[9] } });

      // Three at the same instant: by id, ascending, whichever order they were saved in.
      const tied = await account();
      const same: string[] = [];
      for (let i = 0; i < 3; i++) same.push(await grant(tied.id, mine.clientId, t0));
      const sorted = [...same].sort((a, b) => a.localeCompare(b));
      assert.deepEqual((await page({})).ids.length, 10);
      const t = await listSessions(deps, hooks, tied.id, {}, info);
      assert.deepEqual(
        t.data.map((s) => s.id),
        sorted,
      );
      const tAsc = await listSessions(deps, hooks, tied.id, { order: 'asc' }, info);
      assert.deepEqual(
        tAsc.data.map((s) => s.id),
        [...sorted].reverse(),
      );
    });

    it("revoking: another client's, an unknown or an ownerless grant is 404; one's own ends it", { timeout: 20000 }, async () => {
      const user = await account();
      const t0 = Date.now();
      const own = await grant(user.id, mine.clientId, t0);
      const foreign = await grant(user.id, theirs.clientId, t0);
      const ownerless = new app.provider.Grant({ clientId: mine.clientId } as never);
      const ownerlessId = await ownerless.save();
      const unknown = refusal(404, 'not_found', 'No session with this id.', 'entity_not_found');
      await assert.rejects(revokeSession(deps, foreign, info), unknown);
      await assert.rejects(revokeSession(deps, 'no-such-grant', info), unknown);
      await assert.rejects(revokeSession(deps, ownerlessId, info), unknown);
      assert.ok(await app.provider.Grant.find(foreign), 'untouched');

      const org = await createOrganization(app.store, `Revoke Org ${db}`, t0);
      await app.store.orgs.addMembership({ userId: user.id, organizationId: org.id, role: 'member' }, t0);
      await app.store.orgs.setGrantOrganization(own, user.id, org.id, t0);
      const rt = new app.provider.RefreshToken({
        accountId: user.id,
        clientId: mine.clientId,
        grantId: own,
        scope: 'openid',
        client: await app.provider.Client.find(mine.clientId),
      } as never);
      const rtId = await rt.save();
      assert.deepEqual(await revokeSession(deps, own, { ...info, ip: '10.3.3.3', userAgent: 'Revoker' }), {});
      assert.equal(await app.provider.Grant.find(own), undefined);
      assert.equal(await app.provider.RefreshToken.find(rtId), undefined);
      assert.equal(await app.store.orgs.findGrantOrganization(own), null);
      const e = (await app.store.audit.list({ kind: 'workos_session_ended', limit: 1 }))[0]!;
      assert.deepEqual(
        [e.actorId, e.subjectId, e.ip, e.userAgent, e.data],
        [user.id, user.id, '10.3.3.3', 'Revoker', { clientId: mine.clientId, session: own }],
      );
      await assert.rejects(revokeSession(deps, own, info), unknown, 'gone');
      assert.deepEqual(
        (await listSessions(deps, hooks, user.id, {}, info)).data.map((s) => s.id),
        [],
      );
    });
  });
}
