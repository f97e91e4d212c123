/**
 * The WorkOS user-management API, driven by the OFFICIAL @workos-inc/node SDK
 * pointed at the real app (sign-in, consent, token endpoint, store), on
 * SQLite and PostgreSQL. Bad inputs are in workos-errors.test.ts.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRemoteJWKSet, decodeJwt, jwtVerify } from 'jose';
import { OauthException, UnauthorizedException } from '@workos-inc/node';
import { startTestApp, type TestApp } from '../../testing/test-app.ts';
import { createAccount } from '../../accounts/accounts.ts';
import { createInvitation, createOrganization, permissionsFor } from '../../orgs/orgs.ts';
import { COOKIE_PASSWORD, partner, PASSWORD, rawAuthenticate, sdk, signIn, USER_FIELDS, type Partner } from './test-helpers.ts';

for (const db of ['sqlite', 'postgres'] as const) {
  describe(`WorkOS user management (${db})`, () => {
    let app: TestApp;
    let conf: Partner;
    let pub: Partner;
    before(async () => {
      app = await startTestApp({ db });
      await createAccount(app.store, { email: 'ann@example.com', password: PASSWORD, name: 'Ann Marie Lee', emailVerified: true }, Date.now());
      await createAccount(app.store, { email: 'bob@example.com', password: PASSWORD, name: 'Bob' }, Date.now());
      conf = await partner(app, false);
      pub = await partner(app, true);
    });
    after(() => app.close());

    it('authenticateWithCode with an API key (the client secret) returns the user and a verifiable JWT', async () => {
      const { code } = await signIn(app, conf, 'ann@example.com');
      const auth = await sdk(app, conf).userManagement.authenticateWithCode({ code, clientId: conf.clientId });
      assert.equal(auth.user.object, 'user');
      assert.equal(auth.user.email, 'ann@example.com');
      assert.equal(auth.user.firstName, 'Ann');
      assert.equal(auth.user.lastName, 'Marie Lee');
      assert.equal(auth.user.name, 'Ann Marie Lee');
      assert.equal(auth.user.emailVerified, true);
      assert.ok(!Number.isNaN(Date.parse(auth.user.lastSignInAt!)), 'last_sign_in_at is an ISO date');
      assert.equal(auth.authenticationMethod, 'Password');
      assert.equal(auth.organizationId, undefined, 'no organization yet');
      assert.equal(auth.impersonator, undefined);
      assert.ok(auth.refreshToken);

      const jwks = createRemoteJWKSet(new URL(`${app.url}/sso/jwks/${conf.clientId}`));
      const { payload } = await jwtVerify(auth.accessToken, jwks, { issuer: app.config.issuer });
      assert.equal(payload.sub, auth.user.id);
      assert.equal(typeof payload.sid, 'string');
      assert.equal(payload.org_id, undefined);
    });

    it('answers exactly the seed fields on the wire', async () => {
      const { code } = await signIn(app, conf, 'ann@example.com');
      const res = await rawAuthenticate(app, { grant_type: 'authorization_code', client_id: conf.clientId, client_secret: conf.secret, code });
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('cache-control'), 'no-store');
      const body = (await res.json()) as Record<string, Record<string, unknown>>;
      assert.deepEqual(Object.keys(body).sort(), ['access_token', 'authentication_method', 'refresh_token', 'user']);
      assert.deepEqual(Object.keys(body.user!).sort(), USER_FIELDS);
      assert.equal(body.user!.metadata && typeof body.user!.metadata, 'object');
      assert.match(String(body.user!.created_at), /^\d{4}-\d\d-\d\dT/);
    });

    it('authenticateWithCode with PKCE only, for a public client (no secret anywhere)', async () => {
      const { code, verifier } = await signIn(app, pub, 'ann@example.com');
      const auth = await sdk(app, pub).userManagement.authenticateWithCode({ code, codeVerifier: verifier!, clientId: pub.clientId });
      assert.equal(auth.user.email, 'ann@example.com');
      assert.equal(auth.authenticationMethod, 'Password');
      const refreshed = await sdk(app, pub).userManagement.authenticateWithRefreshToken({ refreshToken: auth.refreshToken, clientId: pub.clientId });
      assert.notEqual(refreshed.refreshToken, auth.refreshToken);
    });

    it('a confidential client may prove a PKCE-bound code with the verifier alone, but not a plain code', async () => {
      const pkce = await signIn(app, conf, 'ann@example.com', { pkce: true });
      const ok = await rawAuthenticate(app, { grant_type: 'authorization_code', client_id: conf.clientId, code: pkce.code, code_verifier: pkce.verifier });
      assert.equal(ok.status, 200);
      const plain = await signIn(app, conf, 'ann@example.com');
      const refused = await rawAuthenticate(app, {
        grant_type: 'authorization_code',
        client_id: conf.clientId,
        code: plain.code,
        code_verifier: 'x'.repeat(43),
      });
      assert.equal(refused.status, 401);
      assert.equal(((await refused.json()) as { error: string }).error, 'invalid_client');
      const withSecret = await sdk(app, conf).userManagement.authenticateWithCode({ code: plain.code, clientId: conf.clientId });
      assert.equal(withSecret.user.email, 'ann@example.com', 'the refused attempt left the code redeemable');
    });

    it('authenticateWithRefreshToken rotates; the spent refresh token is invalid_grant', async () => {
      const { code } = await signIn(app, conf, 'ann@example.com');
      const workos = sdk(app, conf);
      const first = await workos.userManagement.authenticateWithCode({ code, clientId: conf.clientId });
      const second = await workos.userManagement.authenticateWithRefreshToken({ refreshToken: first.refreshToken, clientId: conf.clientId });
      assert.notEqual(second.refreshToken, first.refreshToken);
      assert.equal(second.user.id, first.user.id);
      assert.equal(decodeJwt(second.accessToken).sid, decodeJwt(first.accessToken).sid, 'the same session');
      await assert.rejects(
        workos.userManagement.authenticateWithRefreshToken({ refreshToken: first.refreshToken, clientId: conf.clientId }),
        (e: unknown) => e instanceof OauthException && e.status === 400 && e.error === 'invalid_grant',
      );
    });

    it('sealed sessions: seal, load, authenticate against the JWKS, refresh', async () => {
      const { code } = await signIn(app, conf, 'ann@example.com');
      const workos = sdk(app, conf);
      const auth = await workos.userManagement.authenticateWithCode({
        code,
        clientId: conf.clientId,
        session: { sealSession: true, cookiePassword: COOKIE_PASSWORD },
      });
      assert.ok(auth.sealedSession);
      const session = workos.userManagement.loadSealedSession({ sessionData: auth.sealedSession!, cookiePassword: COOKIE_PASSWORD });
      const who = await session.authenticate();
      assert.equal(who.authenticated, true, JSON.stringify(who));
      if (!who.authenticated) return;
      assert.equal(who.user.email, 'ann@example.com');
      assert.equal(who.sessionId, decodeJwt(auth.accessToken).sid);
      assert.equal(who.authenticationMethod, 'Password');

      const refreshed = await session.refresh();
      assert.equal(refreshed.authenticated, true, JSON.stringify(refreshed));
      if (!refreshed.authenticated) return;
      assert.notEqual(refreshed.sealedSession, auth.sealedSession);
      const again = await workos.userManagement.loadSealedSession({ sessionData: refreshed.sealedSession!, cookiePassword: COOKIE_PASSWORD }).authenticate();
      assert.equal(again.authenticated, true);

      const tampered = await workos.userManagement
        .loadSealedSession({ sessionData: auth.sealedSession!, cookiePassword: 'another-password-of-at-least-32-chars!' })
        .authenticate();
      assert.equal(tampered.authenticated, false);
    });

    it('an invitation adds the membership, sets organization_id and the token claims, once', async () => {
      const org = await createOrganization(app.store, `Acme ${db} ${Date.now()}`, Date.now());
      const { token } = await createInvitation(app.store, { organizationId: org.id, email: 'BOB@example.com', role: 'admin' }, Date.now());
      const { code } = await signIn(app, conf, 'bob@example.com', { invitationToken: token });
      const workos = sdk(app, conf);
      const auth = await workos.userManagement.authenticateWithCode({
        code,
        clientId: conf.clientId,
        invitationToken: token,
        session: { sealSession: true, cookiePassword: COOKIE_PASSWORD },
      });
      assert.equal(auth.organizationId, org.id);
      const membership = await app.store.orgs.findMembership(auth.user.id, org.id);
      assert.equal(membership?.role, 'admin');

      const jwks = createRemoteJWKSet(new URL(`${app.url}/sso/jwks/${conf.clientId}`));
      const { payload } = await jwtVerify(auth.accessToken, jwks, { issuer: app.config.issuer });
      assert.equal(payload.org_id, org.id);
      assert.equal(payload.role, 'admin');
      assert.deepEqual(payload.permissions, permissionsFor('admin'));
      assert.equal(typeof payload.sid, 'string');

      const audit = await app.store.audit.list({ kind: 'invitation_accepted' });
      assert.ok(audit.some((e) => e.subjectId === auth.user.id && e.data.organizationId === org.id));
      assert.doesNotMatch(JSON.stringify(audit), new RegExp(token), 'the token never reaches the audit log');

      const sealed = await workos.userManagement.loadSealedSession({ sessionData: auth.sealedSession!, cookiePassword: COOKIE_PASSWORD }).refresh();
      assert.equal(sealed.authenticated, true);
      if (sealed.authenticated) {
        assert.equal(sealed.organizationId, org.id, 'refresh keeps the organization');
        assert.equal(sealed.role, 'admin');
      }

      const second = await signIn(app, conf, 'bob@example.com');
      await assert.rejects(
        workos.userManagement.authenticateWithCode({ code: second.code, clientId: conf.clientId, invitationToken: token }),
        (e: unknown) =>
          e instanceof OauthException && e.status === 400 && e.error === 'invalid_grant' && /already been accepted/.test(String(e.errorDescription)),
      );
      const after = await workos.userManagement.authenticateWithCode({ code: second.code, clientId: conf.clientId });
      assert.equal(after.organizationId, org.id, 'the refused invitation left the code redeemable; the only membership is chosen');
    });

    it('refuses an unknown, expired or someone else’s invitation and leaves nothing behind', async () => {
      const org = await createOrganization(app.store, `Globex ${db} ${Date.now()}`, Date.now());
      const forAnn = await createInvitation(app.store, { organizationId: org.id, email: 'ann@example.com' }, Date.now());
      const expired = await createInvitation(app.store, { organizationId: org.id, email: 'bob@example.com' }, Date.now() - 8 * 86_400_000);
      const workos = sdk(app, conf);
      const cases: Array<[string, string]> = [
        ['not-a-real-invitation-token', 'invitation_not_found'],
        [expired.token, 'invitation_expired'],
        [forAnn.token, 'invitation_email_mismatch'],
      ];
      for (const [token, code] of cases) {
        const signed = await signIn(app, conf, 'bob@example.com');
        const res = await rawAuthenticate(app, {
          grant_type: 'authorization_code',
          client_id: conf.clientId,
          client_secret: conf.secret,
          code: signed.code,
          invitation_token: token,
        });
        assert.equal(res.status, 400);
        const body = (await res.json()) as Record<string, string>;
        assert.equal(body.error, 'invalid_grant');
        assert.equal(body.code, code);
        assert.ok(body.error_description && body.message);
        const bob = await app.store.users.findByEmail('bob@example.com');
        assert.equal(await app.store.orgs.findMembership(bob!.id, org.id), null);
        const redeemed = await workos.userManagement.authenticateWithCode({ code: signed.code, clientId: conf.clientId });
        assert.notEqual(redeemed.organizationId, org.id);
      }
      assert.equal((await app.store.orgs.findInvitationByTokenHash(forAnn.invitation.tokenHash))?.acceptedAt, null);
    });

    it('an invitation taken for a redemption that then fails is given back', async () => {
      const org = await createOrganization(app.store, `Umbrella ${db} ${Date.now()}`, Date.now());
      const { token, invitation } = await createInvitation(app.store, { organizationId: org.id, email: 'bob@example.com', role: 'owner' }, Date.now());
      const { code, verifier } = await signIn(app, pub, 'bob@example.com');
      const wrong = await rawAuthenticate(app, {
        grant_type: 'authorization_code',
        client_id: pub.clientId,
        code,
        code_verifier: 'w'.repeat(43),
        invitation_token: token,
      });
      assert.equal(wrong.status, 400);
      assert.equal(((await wrong.json()) as { error: string }).error, 'invalid_grant');
      const bob = (await app.store.users.findByEmail('bob@example.com'))!;
      assert.equal((await app.store.orgs.findInvitationByTokenHash(invitation.tokenHash))?.acceptedAt, null, 'the invitation is unused again');
      assert.equal(await app.store.orgs.findMembership(bob.id, org.id), null, 'no membership was left');
      const auth = await sdk(app, pub).userManagement.authenticateWithCode({ code, codeVerifier: verifier!, clientId: pub.clientId, invitationToken: token });
      assert.equal(auth.organizationId, org.id);
      assert.equal(decodeJwt(auth.accessToken).role, 'owner');
    });

    it('reused code → 400 invalid_grant; wrong secret → 401', async () => {
      const { code } = await signIn(app, conf, 'ann@example.com');
      const workos = sdk(app, conf);
      await workos.userManagement.authenticateWithCode({ code, clientId: conf.clientId });
      await assert.rejects(
        workos.userManagement.authenticateWithCode({ code, clientId: conf.clientId }),
        (e: unknown) => e instanceof OauthException && e.status === 400 && e.error === 'invalid_grant',
      );
      const other = await signIn(app, conf, 'ann@example.com');
      const wrong = sdk(app, { clientId: conf.clientId, secret: 'not-the-secret' });
      await assert.rejects(
        wrong.userManagement.authenticateWithCode({ code: other.code, clientId: conf.clientId }),
        (e: unknown) => e instanceof UnauthorizedException,
      );
      const ok = await workos.userManagement.authenticateWithCode({ code: other.code, clientId: conf.clientId });
      assert.equal(ok.user.email, 'ann@example.com', 'the refused attempt did not spend the code');
    });
  });
}
