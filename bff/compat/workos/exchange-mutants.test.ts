/**
 * WorkOS's authenticate grants (exchange.ts) and the session record they leave
 * (session-meta.ts), exactly, where mutation testing (docs/mutation.md) asks
 * for them. The exchange functions are called as the route calls them, with
 * the real app's deps (provider, token endpoint, store) and the request's
 * address, agent and bearer given directly:
 * - the client check: body secret and bearer disagreeing, either alone, an
 *   unknown or first-party client, a public client given a secret, a wrong
 *   secret, and the 429 after CLIENT_FAILURES_PER_SOURCE failures;
 * - the code grant: the secret or a PKCE verifier required, a code of another
 *   client or already spent, an account deleted meanwhile, the
 *   `workos_authenticated` entry and the session record (the partner's
 *   address and agent, else the caller's), the user's only organization, an
 *   invitation accepted (and put back when the redemption fails), several
 *   organizations asking for a selection, which the selection grant completes;
 * - the refresh grant: the secret required, an organization the user is not in,
 *   switching organizations, and the previous one put back when the token
 *   endpoint refuses.
 * SQLite and PostgreSQL.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { decodeJwt } from 'jose';
import { startTestApp, type TestApp } from '../../testing/test-app.ts';
import { createAccount } from '../../accounts/accounts.ts';
import { createInvitation, createOrganization } from '../../orgs/orgs.ts';
import { BFF_CLIENT_ID, bffClientSecret } from '../../session/oidc-client.ts';
import type { Deps } from '../../deps.ts';
import { AppError } from '../../http/errors.ts';
import type { User } from '../../store/store.ts';
import { authenticateClient, authenticateWithCode, authenticateWithOrganizationSelection, authenticateWithRefreshToken, type RequestInfo } from './exchange.ts';
import { authorizationCodeGrant, ORGANIZATION_SELECTION, organizationSelectionGrant, refreshTokenGrant } from './schema.ts';
import { impersonatorLookup } from '../../impersonation/impersonator.ts';
import { WorkOSError } from './map.ts';
import { partner, PASSWORD, pkcePair, REDIRECT, signIn, type Partner } from './test-helpers.ts';

/** Request bodies as the route hands them over: parsed by the grant's schema. */
const asCode = (b: Record<string, unknown>) => authorizationCodeGrant.parse(b);
const asRefresh = (b: Record<string, unknown>) => refreshTokenGrant.parse(b);
const asSelection = (b: Record<string, unknown>) => organizationSelectionGrant.parse(b);

const INFO: RequestInfo = { ip: '10.1.2.3', userAgent: 'Partner-Server/1.0', bearer: null };

/** What a refusal carries, for exact comparison. */
const refusal =
  (status: number, oauthError: string, message: string, code = oauthError) =>
  (e: unknown) => {
    assert.ok(e instanceof WorkOSError, String(e));
    assert.deepEqual([e.status, e.oauthError, e.code, e.message], [status, oauthError, code, message]);
    return true;
  };

for (const db of ['sqlite', 'postgres'] as const) {
  describe(`WorkOS authenticate, exactly (${db})`, { timeout: 120000 }, () => {
    let app: TestApp;
    let deps: Deps;
    let conf: Partner;
    let other: Partner;
    let pub: Partner;
    let n = 0;
    const account = async (name = 'Ada Byron'): Promise<User> =>
      createAccount(app.store, { email: `u${++n}-${db}@example.com`, password: PASSWORD, name }, Date.now());
    const lastOf = async (kind: string) => (await app.store.audit.list({ kind, limit: 1 }))[0]!;
    const codeGrant = (p: Partner, code: string, extra: Record<string, string> = {}) =>
      asCode({ grant_type: 'authorization_code', client_id: p.clientId, code, ...(p.secret ? { client_secret: p.secret } : {}), ...extra });
    const refreshGrant = (p: Partner, refresh_token: string, extra: Record<string, string> = {}) =>
      asRefresh({ grant_type: 'refresh_token', client_id: p.clientId, refresh_token, ...(p.secret ? { client_secret: p.secret } : {}), ...extra });

    before(async () => {
      app = await startTestApp({ db });
      deps = app.deps;
      conf = await partner(app, false);
      other = await partner(app, false);
      pub = await partner(app, true);
    });
    after(() => app.close());

    it('the client check: which secret counts, and each refusal', { timeout: 20000 }, async () => {
      const secret = conf.secret!;
      const ok = async (body: string | undefined, bearer: string | null) => {
        const r = await authenticateClient(deps, conf.clientId, body, { ...INFO, bearer });
        return [r.client.clientId, r.presented];
      };
      assert.deepEqual(await ok(secret, secret), [conf.clientId, secret]);
      assert.deepEqual(await ok(secret, null), [conf.clientId, secret]);
      assert.deepEqual(await ok(undefined, secret), [conf.clientId, secret]);
      assert.deepEqual(await ok(undefined, null), [conf.clientId, undefined]);
      await assert.rejects(
        authenticateClient(deps, conf.clientId, secret, { ...INFO, bearer: `${secret}x` }),
        refusal(401, 'invalid_client', 'The client_secret and the Authorization header disagree.'),
      );
      await assert.rejects(authenticateClient(deps, conf.clientId, `${secret}x`, INFO), refusal(401, 'invalid_client', 'Client authentication failed.'));
      await assert.rejects(
        authenticateClient(deps, conf.clientId, undefined, { ...INFO, bearer: 'wrong' }),
        refusal(401, 'invalid_client', 'Client authentication failed.'),
      );
      await assert.rejects(
        authenticateClient(deps, 'client_nobody', secret, INFO),
        refusal(401, 'invalid_client', 'Client authentication failed: unknown client.'),
      );
      await assert.rejects(
        authenticateClient(deps, BFF_CLIENT_ID, bffClientSecret(app.config), INFO),
        refusal(401, 'invalid_client', 'Client authentication failed: unknown client.'),
        'the first-party client is no partner',
      );
      const pubOk = await authenticateClient(deps, pub.clientId, undefined, INFO);
      assert.deepEqual([pubOk.client.clientId, pubOk.presented], [pub.clientId, undefined]);
      await assert.rejects(
        authenticateClient(deps, pub.clientId, 'anything', INFO),
        refusal(401, 'invalid_client', 'This is a public client: it has no secret; prove the code with code_verifier instead.'),
      );
      await assert.rejects(
        authenticateClient(deps, pub.clientId, undefined, { ...INFO, bearer: 'anything' }),
        refusal(401, 'invalid_client', 'This is a public client: it has no secret; prove the code with code_verifier instead.'),
      );
    });

    it('failed client authentications from one address: 401 twenty times, then 429 for 15 minutes', { timeout: 20000 }, async () => {
      const from = { ...INFO, ip: '192.0.2.201' };
      for (let i = 1; i <= 20; i++) {
        await assert.rejects(
          authenticateClient(deps, other.clientId, 'wrong', from),
          refusal(401, 'invalid_client', 'Client authentication failed.'),
          `failure ${i}`,
        );
      }
      const throttled = await authenticateClient(deps, other.clientId, 'wrong', from).catch((e: unknown) => e as WorkOSError);
      assert.ok(throttled instanceof WorkOSError);
      assert.deepEqual(
        [throttled.status, throttled.oauthError, throttled.code, throttled.message, throttled.retryAfter],
        [429, 'rate_limit_exceeded', 'rate_limit_exceeded', 'Too many failed client authentications. Try again later.', 900],
      );
      // The right secret is never refused by the counters.
      const r = await authenticateClient(deps, other.clientId, other.secret!, from);
      assert.equal(r.presented, other.secret);
    });

    it('a code: the response, the audit entry and the session record, with the partner-reported address and agent', { timeout: 30000 }, async () => {
      const user = await account('Ada Byron King');
      const { code } = await signIn(app, conf, user.email);
      const body = await authenticateWithCode(deps, {}, codeGrant(conf, code, { ip_address: '203.0.113.5', user_agent: 'Firefox' }), INFO);
      const at = String(body.access_token);
      const sid = String(decodeJwt(at).sid);
      assert.deepEqual(Object.keys(body), ['user', 'access_token', 'refresh_token', 'authentication_method']);
      assert.equal(typeof body.refresh_token, 'string');
      assert.deepEqual(
        [(body.user as { id: string }).id, (body.user as { first_name: string }).first_name, body.authentication_method],
        [user.id, 'Ada', 'Password'],
      );
      const e = await lastOf('workos_authenticated');
      assert.deepEqual(
        [e.actorId, e.subjectId, e.ip, e.userAgent, e.data],
        [user.id, user.id, '203.0.113.5', 'Firefox', { clientId: conf.clientId, grantType: 'authorization_code', session: sid, requestIp: '10.1.2.3' }],
      );
      const row = (await app.store.oidc.find('WorkOSSession', sid))!;
      const grant = (await app.provider.Grant.find(sid))!;
      assert.deepEqual(row.payload, {
        userId: user.id,
        clientId: conf.clientId,
        ipAddress: '203.0.113.5',
        userAgent: 'Firefox',
        authMethod: 'password',
        createdAt: (row.payload as { createdAt: number }).createdAt,
      });
      assert.equal(typeof row.payload.createdAt, 'number');
      assert.ok(Math.abs(Number(row.payload.createdAt) - Date.now()) < 60_000, 'recorded at the sign-in');
      assert.equal(row.expiresAt, grant.exp! * 1000);

      // Without them: the caller's own address and agent.
      const again = await signIn(app, conf, user.email);
      const own = await authenticateWithCode(deps, {}, codeGrant(conf, again.code), INFO);
      const ownSid = String(decodeJwt(String(own.access_token)).sid);
      const ownEntry = await lastOf('workos_authenticated');
      assert.deepEqual([ownEntry.ip, ownEntry.userAgent, (ownEntry.data as { session: string }).session], ['10.1.2.3', 'Partner-Server/1.0', ownSid]);
      const ownRow = (await app.store.oidc.find('WorkOSSession', ownSid))!;
      assert.deepEqual([ownRow.payload.ipAddress, ownRow.payload.userAgent], ['10.1.2.3', 'Partner-Server/1.0']);
      // A refresh is no new session: audited, the record unchanged.
      await authenticateWithRefreshToken(deps, {}, refreshGrant(conf, String(own.refresh_token), { ip_address: '198.51.100.1' }), INFO);
      const r = await lastOf('workos_authenticated');
      assert.deepEqual(
        [r.ip, r.userAgent, r.data],
        ['198.51.100.1', 'Partner-Server/1.0', { clientId: conf.clientId, grantType: 'refresh_token', session: ownSid, requestIp: '10.1.2.3' }],
      );
      assert.deepEqual((await app.store.oidc.find('WorkOSSession', ownSid))!.payload, ownRow.payload);
    });

    it('a caller without an address or agent: the session records nulls', { timeout: 30000 }, async () => {
      const user = await account();
      const { code } = await signIn(app, conf, user.email);
      const body = await authenticateWithCode(deps, {}, codeGrant(conf, code), { ip: null, userAgent: null, bearer: null });
      const sid = String(decodeJwt(String(body.access_token)).sid);
      const row = (await app.store.oidc.find('WorkOSSession', sid))!;
      assert.deepEqual([row.payload.ipAddress, row.payload.userAgent, row.payload.authMethod], [null, null, 'password']);
      const e = await lastOf('workos_authenticated');
      assert.deepEqual([e.ip, e.userAgent, (e.data as { requestIp: unknown }).requestIp], [null, null, null]);
    });

    it('a confidential client needs its secret, or a verifier for a code issued with PKCE', { timeout: 30000 }, async () => {
      const user = await account();
      const needs = refusal(401, 'invalid_client', 'client_secret is required (or a code_verifier for a code issued with PKCE).');
      const plain = await signIn(app, conf, user.email);
      await assert.rejects(
        authenticateWithCode(deps, {}, asCode({ grant_type: 'authorization_code', client_id: conf.clientId, code: plain.code }), INFO),
        needs,
      );
      await assert.rejects(
        authenticateWithCode(
          deps,
          {},
          asCode({ grant_type: 'authorization_code', client_id: conf.clientId, code: plain.code, code_verifier: pkcePair().verifier }),
          INFO,
        ),
        needs,
        'a verifier for a code without a challenge',
      );
      const pkce = await signIn(app, conf, user.email, { pkce: true });
      await assert.rejects(
        authenticateWithCode(deps, {}, asCode({ grant_type: 'authorization_code', client_id: conf.clientId, code: pkce.code }), INFO),
        needs,
      );
      // Another client's PKCE code, with its verifier and this client's id: not readable as this client's.
      const foreign = await signIn(app, other, user.email, { pkce: true });
      await assert.rejects(
        authenticateWithCode(
          deps,
          {},
          asCode({ grant_type: 'authorization_code', client_id: conf.clientId, code: foreign.code, code_verifier: foreign.verifier }),
          INFO,
        ),
        needs,
      );
      const ok = await authenticateWithCode(
        deps,
        {},
        asCode({ grant_type: 'authorization_code', client_id: conf.clientId, code: pkce.code, code_verifier: pkce.verifier }),
        INFO,
      );
      assert.equal((ok.user as { id: string }).id, user.id);
      // Spent, it is no longer readable as a PKCE code: the verifier alone no longer stands for the secret.
      await assert.rejects(
        authenticateWithCode(
          deps,
          {},
          asCode({ grant_type: 'authorization_code', client_id: conf.clientId, code: pkce.code, code_verifier: pkce.verifier }),
          INFO,
        ),
        needs,
      );
      // The plain code was left redeemable by the refusals.
      const withSecret = await authenticateWithCode(deps, {}, codeGrant(conf, plain.code), INFO);
      assert.equal((withSecret.user as { id: string }).id, user.id);
      // A public client with its verifier.
      const p = await signIn(app, pub, user.email);
      const viaPub = await authenticateWithCode(
        deps,
        {},
        asCode({ grant_type: 'authorization_code', client_id: pub.clientId, code: p.code, code_verifier: p.verifier }),
        INFO,
      );
      assert.equal((viaPub.user as { id: string }).id, user.id);
      assert.equal(typeof viaPub.refresh_token, 'string');
      const refreshed = await authenticateWithRefreshToken(deps, {}, refreshGrant(pub, String(viaPub.refresh_token)), INFO);
      assert.equal((refreshed.user as { id: string }).id, user.id);
    });

    it("a spent code, another client's code, an unknown code: the token endpoint's invalid_grant, nothing recorded", { timeout: 30000 }, async () => {
      const user = await account();
      const mine = await signIn(app, conf, user.email);
      await authenticateWithCode(deps, {}, codeGrant(conf, mine.code), INFO);
      const before = (await app.store.audit.list({ kind: 'workos_authenticated', limit: 1000 })).length;
      const invalid = (e: unknown) => {
        assert.ok(e instanceof WorkOSError);
        assert.deepEqual([e.status, e.oauthError, e.code], [400, 'invalid_grant', 'invalid_grant']);
        return true;
      };
      await assert.rejects(authenticateWithCode(deps, {}, codeGrant(conf, mine.code), INFO), invalid);
      const theirs = await signIn(app, other, user.email);
      await assert.rejects(authenticateWithCode(deps, {}, codeGrant(conf, theirs.code), INFO), invalid);
      await assert.rejects(authenticateWithCode(deps, {}, codeGrant(conf, 'no-such-code'), INFO), invalid);
      assert.equal((await app.store.audit.list({ kind: 'workos_authenticated', limit: 1000 })).length, before);
      // Their code is still theirs.
      const body = await authenticateWithCode(deps, {}, codeGrant(other, theirs.code), INFO);
      assert.equal((body.user as { id: string }).id, user.id);
    });

    it('an account deleted after its code was issued', { timeout: 30000 }, async () => {
      const user = await account();
      const { code } = await signIn(app, conf, user.email);
      assert.equal((await app.store.users.delete(user.id)).ok, true);
      await assert.rejects(
        authenticateWithCode(deps, {}, codeGrant(conf, code), INFO),
        refusal(400, 'invalid_grant', 'The account behind this code no longer exists.'),
      );
    });

    it("the user's only organization is the grant's; two ask for a selection, which the selection grant completes", { timeout: 40000 }, async () => {
      const now = Date.now();
      const user = await account();
      const one = await createOrganization(app.store, `Only Org ${db}`, now);
      await app.store.orgs.addMembership({ userId: user.id, organizationId: one.id, role: 'admin' }, now);
      const first = await signIn(app, conf, user.email);
      const single = await authenticateWithCode(deps, {}, codeGrant(conf, first.code), INFO);
      assert.equal(single.organization_id, one.id);
      assert.deepEqual(Object.keys(single), ['user', 'organization_id', 'access_token', 'refresh_token', 'authentication_method']);
      assert.equal(decodeJwt(String(single.access_token)).org_id, one.id);

      const two = await createOrganization(app.store, `Second Org ${db}`, now);
      await app.store.orgs.addMembership({ userId: user.id, organizationId: two.id, role: 'member' }, now + 1000);
      const second = await signIn(app, conf, user.email);
      const sel = await authenticateWithCode(deps, {}, codeGrant(conf, second.code), INFO).catch((e: unknown) => e as WorkOSError);
      assert.ok(sel instanceof WorkOSError);
      assert.deepEqual([sel.status, sel.oauthError, sel.code], [403, 'organization_selection_required', 'organization_selection_required']);
      assert.deepEqual(sel.extra!.organizations, [
        { id: one.id, name: one.name },
        { id: two.id, name: two.name },
      ]);
      assert.equal((sel.extra!.user as { id: string }).id, user.id);
      const token = String(sel.extra!.pending_authentication_token);

      const select = (p: Partner, organization_id: string, t = token) =>
        authenticateWithOrganizationSelection(
          deps,
          {},
          asSelection({
            grant_type: ORGANIZATION_SELECTION,
            client_id: p.clientId,
            pending_authentication_token: t,
            organization_id,
            ...(p.secret ? { client_secret: p.secret } : {}),
          }),
          { ...INFO, ip: '10.9.9.9' },
        );
      await assert.rejects(
        authenticateWithOrganizationSelection(
          deps,
          {},
          asSelection({ grant_type: ORGANIZATION_SELECTION, client_id: conf.clientId, pending_authentication_token: token, organization_id: two.id }),
          INFO,
        ),
        refusal(401, 'invalid_client', 'client_secret is required for this client.'),
      );
      const badToken = refusal(400, 'invalid_grant', 'The pending authentication token is invalid, used or expired.', 'invalid_pending_authentication_token');
      await assert.rejects(select(other, two.id), badToken, "another client's pending token (spent by the attempt)");

      const third = await signIn(app, conf, user.email);
      const sel2 = (await authenticateWithCode(deps, {}, codeGrant(conf, third.code), INFO).catch((e: unknown) => e)) as WorkOSError;
      const token2 = String(sel2.extra!.pending_authentication_token);
      const outsider = await createOrganization(app.store, `Outsider Org ${db}`, now);
      await assert.rejects(
        select(conf, outsider.id, token2),
        refusal(400, 'invalid_grant', `The user is not a member of the organization ${outsider.id}.`, 'organization_membership_not_found'),
      );
      const fourth = await signIn(app, conf, user.email);
      const sel3 = (await authenticateWithCode(deps, {}, codeGrant(conf, fourth.code), INFO).catch((e: unknown) => e)) as WorkOSError;
      const token3 = String(sel3.extra!.pending_authentication_token);
      const done = await select(conf, two.id, token3);
      assert.equal(done.organization_id, two.id);
      assert.equal(done.authentication_method, 'Password');
      const sid = String(decodeJwt(String(done.access_token)).sid);
      assert.equal(decodeJwt(String(done.access_token)).org_id, two.id);
      const e = await lastOf('workos_authenticated');
      assert.deepEqual(
        [e.subjectId, e.ip, e.data],
        [user.id, '10.9.9.9', { clientId: conf.clientId, grantType: 'organization_selection', session: sid, requestIp: '10.9.9.9' }],
      );
      await assert.rejects(select(conf, two.id, token3), badToken, 'used once');
      // The same browser again: the same grant, whose choice stands while the user is a member; no selection.
      const sameAgent = await signIn(app, conf, user.email, { agent: fourth.agent });
      const kept = await authenticateWithCode(deps, {}, codeGrant(conf, sameAgent.code), INFO);
      assert.deepEqual([kept.organization_id, decodeJwt(String(kept.access_token)).sid], [two.id, sid]);
      // A public client selects with its id alone.
      const viaPub = await signIn(app, pub, user.email);
      const pubSel = (await authenticateWithCode(
        deps,
        {},
        asCode({ grant_type: 'authorization_code', client_id: pub.clientId, code: viaPub.code, code_verifier: viaPub.verifier }),
        INFO,
      ).catch((e: unknown) => e)) as WorkOSError;
      assert.equal(pubSel.code, 'organization_selection_required');
      const pubDone = await select(pub, one.id, String(pubSel.extra!.pending_authentication_token));
      assert.equal(pubDone.organization_id, one.id);
      // The account disabled meanwhile: the token endpoint's refusal.
      const fifth = await signIn(app, conf, user.email);
      const sel4 = (await authenticateWithCode(deps, {}, codeGrant(conf, fifth.code), INFO).catch((e: unknown) => e)) as WorkOSError;
      await app.store.users.setDisabled(user.id, true, now);
      await assert.rejects(
        select(conf, one.id, String(sel4.extra!.pending_authentication_token)),
        (e: unknown) => e instanceof WorkOSError && e.status === 400 && e.oauthError === 'invalid_grant',
      );
      await app.store.users.setDisabled(user.id, false, now);
    });

    it('an invitation: accepted before the redemption, audited; put back when the redemption fails', { timeout: 40000 }, async () => {
      const now = Date.now();
      const user = await account();
      const org = await createOrganization(app.store, `Inviting Org ${db}`, now);
      const { invitation, token } = await createInvitation(app.store, { organizationId: org.id, email: user.email, role: 'admin' }, now);
      // A PKCE code and a wrong verifier: accepted, then the token endpoint refuses, and the acceptance is undone.
      const failing = await signIn(app, conf, user.email, { pkce: true });
      await assert.rejects(
        authenticateWithCode(deps, {}, codeGrant(conf, failing.code, { code_verifier: pkcePair().verifier, invitation_token: token }), INFO),
        (e: unknown) => e instanceof WorkOSError && e.status === 400 && e.oauthError === 'invalid_grant',
      );
      assert.equal((await app.store.orgs.findInvitation(invitation.id))!.acceptedAt, null);
      assert.equal(await app.store.orgs.findMembership(user.id, org.id), null);

      const ok = await signIn(app, conf, user.email);
      const body = await authenticateWithCode(deps, {}, codeGrant(conf, ok.code, { invitation_token: token }), {
        ...INFO,
        ip: '10.7.7.7',
        userAgent: 'Inviter',
      });
      assert.equal(body.organization_id, org.id);
      assert.equal(decodeJwt(String(body.access_token)).role, 'admin');
      assert.equal((await app.store.orgs.findMembership(user.id, org.id))!.role, 'admin');
      const e = await lastOf('invitation_accepted');
      assert.deepEqual(
        [e.actorId, e.subjectId, e.ip, e.userAgent, e.data],
        [user.id, user.id, '10.7.7.7', 'Inviter', { invitationId: invitation.id, organizationId: org.id, role: 'admin', clientId: conf.clientId }],
      );
      // Used: checkInvitation's own 400 (the route answers it as invalid_grant with its code).
      const again = await signIn(app, conf, user.email);
      await assert.rejects(
        authenticateWithCode(deps, {}, codeGrant(conf, again.code, { invitation_token: token }), INFO),
        (err: unknown) => err instanceof AppError && err.status === 400 && err.message === 'The invitation has already been accepted.',
      );
    });

    it('refresh: the secret required, a foreign organization refused, switching, and the previous one put back on failure', { timeout: 40000 }, async () => {
      const now = Date.now();
      const user = await account();
      const { code } = await signIn(app, conf, user.email);
      const start = await authenticateWithCode(deps, {}, codeGrant(conf, code), INFO);
      const sid = String(decodeJwt(String(start.access_token)).sid);
      let rt = String(start.refresh_token);
      await assert.rejects(
        authenticateWithRefreshToken(deps, {}, asRefresh({ grant_type: 'refresh_token', client_id: conf.clientId, refresh_token: rt }), INFO),
        refusal(401, 'invalid_client', 'client_secret is required for this client.'),
      );
      const a = await createOrganization(app.store, `Refresh A ${db}`, now);
      const b = await createOrganization(app.store, `Refresh B ${db}`, now);
      await assert.rejects(
        authenticateWithRefreshToken(deps, {}, refreshGrant(conf, rt, { organization_id: a.id }), INFO),
        refusal(400, 'invalid_grant', `The user is not a member of the organization ${a.id}.`, 'organization_membership_not_found'),
      );
      assert.equal(await app.store.orgs.findGrantOrganization(sid), null);
      await app.store.orgs.addMembership({ userId: user.id, organizationId: a.id, role: 'member' }, now);
      await app.store.orgs.addMembership({ userId: user.id, organizationId: b.id, role: 'owner' }, now);

      // The account disabled: the token endpoint refuses, and the grant acts for no organization again.
      await app.store.users.setDisabled(user.id, true, now);
      await assert.rejects(
        authenticateWithRefreshToken(deps, {}, refreshGrant(conf, rt, { organization_id: a.id }), INFO),
        (e: unknown) => e instanceof WorkOSError && e.status === 400 && e.oauthError === 'invalid_grant',
      );
      assert.equal(await app.store.orgs.findGrantOrganization(sid), null);
      await app.store.users.setDisabled(user.id, false, now);

      const toA = await authenticateWithRefreshToken(deps, {}, refreshGrant(conf, rt, { organization_id: a.id }), INFO);
      assert.equal(toA.organization_id, a.id);
      rt = String(toA.refresh_token);
      const same = await authenticateWithRefreshToken(deps, {}, refreshGrant(conf, rt), INFO);
      assert.equal(same.organization_id, a.id, 'no organization named: the grant keeps its own');
      rt = String(same.refresh_token);

      await app.store.users.setDisabled(user.id, true, now);
      await assert.rejects(
        authenticateWithRefreshToken(deps, {}, refreshGrant(conf, rt, { organization_id: b.id }), INFO),
        (e: unknown) => e instanceof WorkOSError && e.status === 400 && e.oauthError === 'invalid_grant',
      );
      const back = (await app.store.orgs.findGrantOrganization(sid))!;
      assert.deepEqual([back.organizationId, back.userId, back.role], [a.id, user.id, 'member']);
      // The same organization named again: nothing to put back.
      await assert.rejects(
        authenticateWithRefreshToken(deps, {}, refreshGrant(conf, rt, { organization_id: a.id }), INFO),
        (e: unknown) => e instanceof WorkOSError && e.status === 400,
      );
      assert.equal((await app.store.orgs.findGrantOrganization(sid))!.organizationId, a.id);
      await app.store.users.setDisabled(user.id, false, now);
      const toB = await authenticateWithRefreshToken(deps, {}, refreshGrant(conf, rt, { organization_id: b.id }), INFO);
      assert.equal(toB.organization_id, b.id);
      assert.equal(decodeJwt(String(toB.access_token)).role, 'owner');
      // Another client's refresh token, or a spent one: invalid_grant, nothing switched.
      await assert.rejects(
        authenticateWithRefreshToken(deps, {}, refreshGrant(other, String(toB.refresh_token), { organization_id: a.id }), INFO),
        (e: unknown) => e instanceof WorkOSError && e.status === 400 && e.oauthError === 'invalid_grant',
      );
      assert.equal((await app.store.orgs.findGrantOrganization(sid))!.organizationId, b.id);
      await assert.rejects(
        authenticateWithRefreshToken(deps, {}, refreshGrant(conf, rt, { organization_id: a.id }), INFO),
        (e: unknown) => e instanceof WorkOSError && e.status === 400 && e.oauthError === 'invalid_grant',
      );
      assert.equal((await app.store.orgs.findGrantOrganization(sid))!.organizationId, b.id);
      // The answer names the grant's organization only while this user is still a member of it.
      rt = String(toB.refresh_token);
      await app.store.orgs.removeMembership(user.id, b.id);
      const left = await authenticateWithRefreshToken(deps, {}, refreshGrant(conf, rt), INFO);
      assert.deepEqual(Object.keys(left), ['user', 'access_token', 'refresh_token', 'authentication_method']);
      const stranger = await account();
      await app.store.orgs.addMembership({ userId: stranger.id, organizationId: a.id, role: 'member' }, now);
      await app.store.orgs.setGrantOrganization(sid, stranger.id, a.id, now);
      const foreignLink = await authenticateWithRefreshToken(deps, {}, refreshGrant(conf, String(left.refresh_token)), INFO);
      assert.deepEqual(Object.keys(foreignLink), ['user', 'access_token', 'refresh_token', 'authentication_method']);
    });

    it("the impersonation feature's impersonator is on the answer, looked up by the code's grant", { timeout: 30000 }, async () => {
      const user = await account();
      const admin = await account();
      const { code } = await signIn(app, conf, user.email);
      const read = (await app.provider.AuthorizationCode.find(code)) as unknown as { grantId: string };
      const now = Date.now();
      await app.store.impersonations.create({
        id: `imp-x-${db}`,
        adminId: admin.id,
        targetId: user.id,
        reason: 'ticket 42',
        startedAt: now,
        expiresAt: now + 3_600_000,
        grantId: read.grantId,
        adminSessionId: null,
        sessionId: null,
      });
      const body = await authenticateWithCode(deps, { impersonator: impersonatorLookup(app.store) }, codeGrant(conf, code), INFO);
      assert.deepEqual(body.impersonator, { email: admin.email, reason: 'ticket 42' });
      assert.deepEqual(Object.keys(body), ['user', 'access_token', 'refresh_token', 'authentication_method', 'impersonator']);
    });

    it("a partner with two redirect URIs: the code's own is the one sent to the token endpoint", { timeout: 30000 }, async () => {
      const two = await partner(app, false, undefined, [REDIRECT, 'https://partner.example/other']);
      const user = await account();
      const { code } = await signIn(app, two, user.email);
      const body = await authenticateWithCode(deps, {}, codeGrant(two, code), INFO);
      assert.equal((body.user as { id: string }).id, user.id);
    });
  });
}
