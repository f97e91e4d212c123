/**
 * The WorkOS API's HTTP surface (routes.ts), where mutation testing
 * (docs/mutation.md) found it unchecked: the API routes' headers (nosniff, a
 * fresh X-Request-ID, no-store), the 422 body of a field problem exactly,
 * which grant translator each grant_type reaches (each one's own missing
 * fields), the unsupported grant_type sentence, a NUL in a JSON or form body,
 * the account-mail, magic-auth, factor and session routes' paths and
 * statuses, the authorize translation's parameters (passthrough, scope of an
 * unknown or ambiguous client, the WorkOS flow, an invitation's login_hint
 * only while it is open), JWKS for the portal's own client and its cache
 * header, and logout's refusals (a public client's session, a Bearer in the
 * person's own browser), its `return_to` checks and the audit entry of the
 * ended session. Through the real app and store, on SQLite and PostgreSQL.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { decodeJwt } from 'jose';
import { startTestApp, type TestApp } from '../../testing/test-app.ts';
import { createAccount } from '../../accounts/accounts.ts';
import { createInvitation, createOrganization } from '../../orgs/orgs.ts';
import { introspectAccessToken } from '../../oauth/core.ts';
import { registerClient } from '../../oauth/clients.ts';
import { BFF_CLIENT_ID } from '../../session/oidc-client.ts';
import { newTotpSecret, saveTotp } from '../../mfa/totp.ts';
import { totpFactorId } from './mfa.ts';
import { partner, PASSWORD, rawAuthenticate, REDIRECT, signIn, type Partner } from './test-helpers.ts';

const T = { timeout: 20000 };
/** Tests that sign in several times (password hashing) get longer under load. */
const SLOW = { timeout: 60000 };
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const ORG_SELECTION = 'urn:workos:oauth:grant-type:organization-selection';
const EMAIL_VERIFICATION = 'urn:workos:oauth:grant-type:email-verification:code';
const MAGIC_AUTH = 'urn:workos:oauth:grant-type:magic-auth:code';
const MFA_TOTP = 'urn:workos:oauth:grant-type:mfa-totp';
const ALL_GRANTS = `authorization_code, refresh_token, ${ORG_SELECTION}, password, ${EMAIL_VERIFICATION}, ${MAGIC_AUTH}, ${MFA_TOTP}`;

/** The WorkOS error body for `error`/`code` with one sentence. */
const workosError = (error: string, sentence: string, code = error) => ({ error, error_description: sentence, code, message: sentence });

async function json(res: Response, status: number): Promise<Record<string, unknown>> {
  assert.equal(res.status, status, `status of ${res.url}`);
  assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
  return (await res.json()) as Record<string, unknown>;
}

for (const db of ['sqlite', 'postgres'] as const) {
  describe(`WorkOS routes, exactly (${db})`, () => {
    let app: TestApp;
    let conf: Partner;
    let pub: Partner;
    before(async () => {
      app = await startTestApp({ db });
      conf = await partner(app, false);
      pub = await partner(app, true);
    });
    after(() => app.close());

    const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
      fetch(`${app.url}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: typeof body === 'string' ? body : JSON.stringify(body),
      });
    const key = (p: Partner = conf) => ({ authorization: `Bearer ${p.secret}` });
    /** A WorkOS session (the grant) of `email` through the password grant: its access token and sid. */
    async function session(p: Partner, email: string): Promise<{ accessToken: string; sid: string }> {
      const res = await rawAuthenticate(app, { grant_type: 'password', client_id: p.clientId, client_secret: p.secret, email, password: PASSWORD });
      const body = await json(res, 200);
      const accessToken = String(body.access_token);
      return { accessToken, sid: String(decodeJwt(accessToken).sid) };
    }
    const logout = (q: Record<string, string>, headers: Record<string, string> = {}) =>
      fetch(`${app.url}/user_management/sessions/logout?${new URLSearchParams(q)}`, { redirect: 'manual', headers });

    it('API answers: nosniff, a fresh X-Request-ID, no-store and no-cache, on success and on error', T, async () => {
      const a = await post('/user_management/authenticate', { grant_type: 'nope' });
      const b = await post('/user_management/password_reset', { email: 'x@example.com' });
      for (const res of [a, b]) {
        assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
        assert.match(res.headers.get('x-request-id') ?? '', UUID);
        assert.equal(res.headers.get('cache-control'), 'no-store');
        assert.equal(res.headers.get('pragma'), 'no-cache');
      }
      assert.notEqual(a.headers.get('x-request-id'), b.headers.get('x-request-id'));
    });

    it('a field problem: 422 with the first field in the message and every field in errors', T, async () => {
      const body = await json(await rawAuthenticate(app, { grant_type: 'password', client_id: conf.clientId, email: 'a@example.com' }), 422);
      assert.deepEqual(body, {
        ...workosError('invalid_request', 'password: Invalid input: expected string, received undefined', 'invalid_request_parameters'),
        errors: [{ field: 'password', code: 'password_invalid', message: 'Invalid input: expected string, received undefined' }],
      });
    });

    it('each grant_type reaches its own translator (its own missing fields); none or a non-string one is the code grant', T, async () => {
      const cases: Array<[unknown, string[]]> = [
        ['authorization_code', ['code']],
        ['refresh_token', ['refresh_token']],
        [ORG_SELECTION, ['pending_authentication_token', 'organization_id']],
        ['password', ['email', 'password']],
        [EMAIL_VERIFICATION, ['pending_authentication_token', 'code']],
        [MAGIC_AUTH, ['email', 'code']],
        [MFA_TOTP, ['code', 'pending_authentication_token', 'authentication_challenge_id']],
        [undefined, ['grant_type', 'code']],
        ['', ['grant_type', 'code']],
        [42, ['grant_type', 'code']],
      ];
      for (const [grantType, fields] of cases) {
        const body = await json(await rawAuthenticate(app, { grant_type: grantType, client_id: conf.clientId }), 422);
        assert.deepEqual(
          (body.errors as Array<{ field: string }>).map((e) => e.field),
          fields,
          String(grantType),
        );
      }
    });

    it('an unknown grant_type: 400 naming it (cut to 100 characters) and every supported one', T, async () => {
      const body = await json(await rawAuthenticate(app, { grant_type: 'client_credentials' }), 400);
      assert.deepEqual(body, workosError('unsupported_grant_type', `grant_type "client_credentials" is not supported here; use ${ALL_GRANTS}.`));
      const long = await json(await rawAuthenticate(app, { grant_type: 'g'.repeat(150) }), 400);
      assert.equal(long.message, `grant_type "${'g'.repeat(100)}" is not supported here; use ${ALL_GRANTS}.`);
    });

    it('a body that is not a JSON object, or with a NUL (JSON or form): 400 naming the field', T, async () => {
      const sentence = 'Send the parameters as a JSON object (Content-Type: application/json).';
      assert.deepEqual(await json(await rawAuthenticate(app, '[1]'), 400), workosError('invalid_request', sentence, 'invalid_body'));
      const noBody = await fetch(`${app.url}/user_management/authenticate`, { method: 'POST' });
      assert.deepEqual(await json(noBody, 400), workosError('invalid_request', sentence, 'invalid_body'));
      const nul = await rawAuthenticate(app, { grant_type: 'password', client_id: conf.clientId, email: 'a\u0000b' });
      assert.deepEqual(await json(nul, 400), workosError('invalid_request', 'email: must not contain a NUL character.'));
      const form = await fetch(`${app.url}/user_management/authenticate`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'grant_type=password&client_id=c&email=a%00b',
      });
      assert.deepEqual(await json(form, 400), workosError('invalid_request', 'email: must not contain a NUL character.'));
      // A form body is read: its fields reach the translator (only `password` is missing).
      const fields = await fetch(`${app.url}/user_management/authenticate`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: `grant_type=password&client_id=${conf.clientId}&email=a%40example.com`,
      });
      assert.deepEqual(
        ((await json(fields, 422)).errors as Array<{ field: string }>).map((e) => e.field),
        ['password'],
      );
    });

    it('magic auth and password reset: both paths, 201, and the API key required', T, async () => {
      for (const path of ['/user_management/magic_auth', '/user_management/magic_auth/send']) {
        const res = await post(path, { email: `Mo-${db}@Example.com` }, key());
        const body = await json(res, 201);
        assert.deepEqual([body.object, body.email, body.user_id], ['magic_auth', `mo-${db}@example.com`, null], path);
        assert.equal((await json(await post(path, { email: 'mo@example.com' }), 401)).error, 'invalid_client', path);
        // The body's fields are checked before anything else.
        assert.deepEqual(((await json(await post(path, {}, key()), 422)).errors as Array<{ field: string }>)[0]!.field, 'email', path);
      }
      for (const path of ['/user_management/password_reset', '/user_management/password_reset/send']) {
        const res = await post(path, { email: `Pat-${db}@Example.com` }, key());
        const body = await json(res, 201);
        assert.deepEqual([body.object, body.email, body.user_id], ['password_reset', `pat-${db}@example.com`, null], path);
        assert.equal((await json(await post(path, { email: 'p@example.com' }), 401)).error, 'invalid_client', path);
        // Without a body at all, the field is what is missing (not the body).
        const bare = await fetch(`${app.url}${path}`, { method: 'POST', headers: key() });
        assert.deepEqual(
          ((await json(bare, 422)).errors as Array<{ field: string }>).map((e) => e.field),
          ['email'],
          path,
        );
      }
      const confirm = await post('/user_management/password_reset/confirm', { token: 'nope', new_password: 'an entirely new password' }, key());
      assert.equal(confirm.status, 410);
      const missing = await json(await post('/user_management/password_reset/confirm', { token: 't' }, key()), 422);
      assert.deepEqual(
        (missing.errors as Array<{ field: string }>).map((e) => e.field),
        ['new_password'],
      );
    });

    it('email verification: send for the user named in the path, confirm reads the code from the body', T, async () => {
      const user = await createAccount(app.store, { email: `vi-${db}@example.com`, password: PASSWORD, emailVerified: false }, Date.now());
      const send = await json(await post(`/user_management/users/${user.id}/email_verification/send`, {}, key()), 200);
      assert.deepEqual([(send.user as { id: string }).id, (send.user as { email_verified: boolean }).email_verified], [user.id, false]);
      assert.equal((await json(await post(`/user_management/users/${user.id}/email_verification/send`, {}), 401)).error, 'invalid_client');
      const bare = await fetch(`${app.url}/user_management/users/${user.id}/email_verification/confirm`, { method: 'POST', headers: key() });
      assert.deepEqual(
        ((await json(bare, 422)).errors as Array<{ field: string }>).map((e) => e.field),
        ['code'],
      );
      const wrong = await post(`/user_management/users/${user.id}/email_verification/confirm`, { code: '000000' }, key());
      assert.equal(wrong.status, 400);
      assert.equal((await app.store.users.findById(user.id))!.emailVerified, false);
    });

    it('challengeFactor: 201 for a factor of a user with an app, 404 otherwise, 401 without the key', T, async () => {
      const user = await createAccount(app.store, { email: `fa-${db}@example.com`, password: PASSWORD }, Date.now());
      const factorId = totpFactorId(user.id);
      assert.deepEqual(
        await json(await post(`/auth/factors/${factorId}/challenge`, {}, key()), 404),
        workosError('not_found', 'No authentication factor with this id.', 'authentication_factor_not_found'),
      );
      await saveTotp({ store: app.store, config: app.config, now: () => Date.now() }, user.id, newTotpSecret());
      const ok = await json(await post(`/auth/factors/${factorId}/challenge`, {}, key()), 201);
      assert.deepEqual([ok.object, ok.authentication_factor_id], ['authentication_challenge', factorId]);
      assert.equal((await json(await post(`/auth/factors/${factorId}/challenge`, {}), 401)).error, 'invalid_client');
    });

    it('sessions: listed for the user in the path, revoked by the session_id of the body', SLOW, async () => {
      const user = await createAccount(app.store, { email: `se-${db}@example.com`, password: PASSWORD }, Date.now());
      const { accessToken, sid } = await session(conf, user.email);
      const list = await json(await fetch(`${app.url}/user_management/users/${user.id}/sessions?limit=5`, { headers: key() }), 200);
      assert.deepEqual(
        (list.data as Array<{ id: string; user_id: string }>).map((s) => [s.id, s.user_id]),
        [[sid, user.id]],
      );
      const listed = await fetch(`${app.url}/user_management/users/${user.id}/sessions`, { headers: key() });
      assert.equal(listed.headers.get('cache-control'), 'no-store');
      assert.equal((await json(await post('/user_management/sessions/revoke', {}, key()), 422)).code, 'invalid_request_parameters');
      assert.deepEqual(await json(await post('/user_management/sessions/revoke', { session_id: sid }, key()), 200), {});
      assert.equal(await introspectAccessToken(app.deps, accessToken), null);
    });

    it('authorize: the passthrough parameters with all their values, the WorkOS flow, no-store and no referrer', T, async () => {
      const q = new URLSearchParams([
        ['client_id', conf.clientId],
        ['redirect_uri', REDIRECT],
        ['response_type', 'code'],
        ['state', 's'],
        ['code_challenge', 'cc'],
        ['code_challenge_method', 'S256'],
        ['login_hint', 'lh@example.com'],
        ['prompt', 'login'],
        ['prompt', 'consent'],
        ['max_age', '60'],
        ['provider', 'authkit'],
        ['organization_id', ''],
        ['domain_hint', 'example.com'],
        ['screen_hint', 'sign-up'],
      ]);
      const res = await fetch(`${app.url}/user_management/authorize?${q}`, { redirect: 'manual' });
      assert.equal(res.status, 302);
      assert.equal(res.headers.get('cache-control'), 'no-store');
      assert.equal(res.headers.get('referrer-policy'), 'no-referrer');
      const loc = new URL(res.headers.get('location')!);
      assert.equal(`${loc.origin}${loc.pathname}`, `${app.config.issuer}/authorize`);
      assert.deepEqual(
        [...loc.searchParams],
        [
          ['client_id', conf.clientId],
          ['redirect_uri', REDIRECT],
          ['response_type', 'code'],
          ['state', 's'],
          ['code_challenge', 'cc'],
          ['code_challenge_method', 'S256'],
          ['login_hint', 'lh@example.com'],
          ['prompt', 'login'],
          ['prompt', 'consent'],
          ['max_age', '60'],
          ['scope', 'openid profile email offline_access'],
          ['portal_flow', 'workos'],
        ],
      );
    });

    it('authorize: an unknown or repeated client_id asks every WorkOS scope, openid always; a given login_hint wins', T, async () => {
      const scopeOf = async (pairs: string[][]) => {
        const res = await fetch(`${app.url}/user_management/authorize?${new URLSearchParams(pairs)}`, { redirect: 'manual' });
        assert.equal(res.status, 302);
        return new URL(res.headers.get('location')!).searchParams;
      };
      const narrow = await partner(app, false, ['email']);
      assert.equal((await scopeOf([['client_id', 'app_unknown']])).get('scope'), 'openid profile email offline_access');
      assert.equal(
        (
          await scopeOf([
            ['client_id', narrow.clientId],
            ['client_id', narrow.clientId],
          ])
        ).get('scope'),
        'openid profile email offline_access',
      );
      assert.equal((await scopeOf([['client_id', narrow.clientId]])).get('scope'), 'openid email');
      const org = await createOrganization(app.store, `Acme ${db} ${Date.now()}`, Date.now());
      const { token } = await createInvitation(app.store, { organizationId: org.id, email: 'inv@example.com' }, Date.now());
      const hinted = await scopeOf([
        ['client_id', conf.clientId],
        ['login_hint', 'mine@example.com'],
        ['invitation_token', token],
      ]);
      assert.deepEqual(hinted.getAll('login_hint'), ['mine@example.com']);
      assert.deepEqual(
        (
          await scopeOf([
            ['client_id', conf.clientId],
            ['invitation_token', token],
          ])
        ).getAll('login_hint'),
        ['inv@example.com'],
      );
      assert.equal(
        (
          await scopeOf([
            ['client_id', conf.clientId],
            ['invitation_token', 'not-a-token'],
          ])
        ).has('login_hint'),
        false,
      );
      // The sign-up screen only with SIGNUP=open (not this portal's).
      assert.equal(
        (
          await scopeOf([
            ['client_id', conf.clientId],
            ['screen_hint', 'sign-up'],
          ])
        ).has('portal_screen'),
        false,
      );
    });

    it('authorize: an accepted or lapsed invitation prefills nothing', T, async () => {
      const org = await createOrganization(app.store, `Lapsed ${db} ${Date.now()}`, Date.now());
      const hintOf = async (token: string) => {
        const res = await fetch(`${app.url}/user_management/authorize?${new URLSearchParams({ client_id: conf.clientId, invitation_token: token })}`, {
          redirect: 'manual',
        });
        return new URL(res.headers.get('location')!).searchParams.get('login_hint');
      };
      const lapsed = await createInvitation(app.store, { organizationId: org.id, email: 'old@example.com' }, Date.now() - 400 * 24 * 3600 * 1000);
      assert.equal(await hintOf(lapsed.token), null);
      const open = await createInvitation(app.store, { organizationId: org.id, email: 'acc@example.com' }, Date.now());
      assert.equal(await hintOf(open.token), 'acc@example.com');
      const taker = await createAccount(app.store, { email: 'acc@example.com', password: PASSWORD }, Date.now());
      assert.ok(await app.store.orgs.acceptInvitation({ invitationId: open.invitation.id, userId: taker.id, grantId: `grant-${db}`, now: Date.now() }));
      assert.equal(await hintOf(open.token), null);
    });

    it('authorize errors are a page: a repeated connection_id is 400 HTML with its sentence', T, async () => {
      const res = await fetch(`${app.url}/user_management/authorize?connection_id=a&connection_id=b&client_id=${conf.clientId}`, { redirect: 'manual' });
      assert.equal(res.status, 400);
      assert.match(res.headers.get('content-type') ?? '', /^text\/html/);
      assert.equal(res.headers.get('cache-control'), 'no-store');
      const page = await res.text();
      assert.match(page, /<code>invalid_request<\/code> — connection_id must be given once\./);
    });

    it("JWKS: the portal's own client is no WorkOS client (404); the keys are cached five minutes", T, async () => {
      const own = await fetch(`${app.url}/sso/jwks/${BFF_CLIENT_ID}`);
      assert.deepEqual(await json(own, 404), workosError('not_found', 'No client with this id.', 'client_not_found'));
      assert.equal(own.headers.get('cache-control'), 'no-store');
      const res = await fetch(`${app.url}/sso/jwks/${conf.clientId}`);
      assert.equal(res.headers.get('cache-control'), 'public, max-age=300');
      assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
      assert.match(res.headers.get('x-request-id') ?? '', UUID);
      const keys = (await json(res, 200)).keys as Array<Record<string, unknown>>;
      assert.notEqual(keys.length, 0);
      // The same public keys as the provider's own JWKS, member for member (the SDK verifies access tokens with them).
      const provider = (await (await fetch(`${app.config.issuer}/jwks`)).json()) as { keys: Array<Record<string, unknown>> };
      const byKid = (list: Array<Record<string, unknown>>) => Object.fromEntries(list.map((k) => [String(k.kid), k]));
      assert.deepEqual(byKid(keys), byKid(provider.keys));
    });

    it('logout without a session id: 400 page, no-store', T, async () => {
      for (const q of [{}, { return_to: REDIRECT }] as Array<Record<string, string>>) {
        const res = await logout(q);
        assert.equal(res.status, 400);
        assert.equal(res.headers.get('cache-control'), 'no-store');
        assert.match(res.headers.get('content-type') ?? '', /^text\/html/);
        assert.match(await res.text(), /<code>invalid_request<\/code> — session_id is required \(once\)\./);
      }
    });

    it("logout of a public client's session: the key of no one matches (401), nothing ends", SLOW, async () => {
      const user = await createAccount(app.store, { email: `pu-${db}@example.com`, password: PASSWORD }, Date.now());
      const { code, verifier } = await signIn(app, pub, user.email);
      const res = await rawAuthenticate(app, { grant_type: 'authorization_code', client_id: pub.clientId, code, code_verifier: verifier });
      const accessToken = String((await json(res, 200)).access_token);
      const sid = String(decodeJwt(accessToken).sid);
      for (const bearer of ['', 'x']) {
        const out = await logout({ session_id: sid }, { authorization: `Bearer ${bearer}` });
        if (bearer === '') {
          // "Bearer " alone names no key: a browser without its sign-in gets the page.
          assert.equal(out.status, 401);
          assert.match(out.headers.get('content-type') ?? '', /^text\/html/);
        } else {
          assert.equal((await json(out, 401)).error, 'invalid_client');
        }
      }
      assert.ok(await introspectAccessToken(app.deps, accessToken));
    });

    it('logout: the Bearer scheme in any case and spacing; the ended session is audited with the address and agent', SLOW, async () => {
      const user = await createAccount(app.store, { email: `be-${db}@example.com`, password: PASSWORD }, Date.now());
      const { accessToken, sid } = await session(conf, user.email);
      const out = await logout({ session_id: sid }, { authorization: `bearer   ${conf.secret}  `, 'user-agent': 'Partner/3' });
      assert.equal(out.status, 200);
      assert.match(await out.text(), /You are signed out/);
      assert.equal(await introspectAccessToken(app.deps, accessToken), null);
      const entries = await app.store.audit.list({ kind: 'workos_session_ended', limit: 50 });
      const entry = entries.find((e) => (e.data as { session?: string }).session === sid);
      assert.deepEqual(
        [entry?.actorId, entry?.ip, entry?.userAgent, entry?.data],
        [user.id, '127.0.0.1', 'Partner/3', { clientId: conf.clientId, session: sid }],
      );
      // Another scheme is no key: the caller is taken for a browser without the sign-in (the page).
      const again = await session(conf, user.email);
      const basic = await logout({ session_id: again.sid }, { authorization: `Basic ${Buffer.from(`${conf.clientId}:${conf.secret}`).toString('base64')}` });
      assert.equal(basic.status, 401);
      assert.match(basic.headers.get('content-type') ?? '', /^text\/html/);
      assert.ok(await introspectAccessToken(app.deps, again.accessToken));
    });

    // Ten password sign-ins: more time than the others under load.
    it('logout return_to: only http(s) on a registered origin, without credentials; else the signed-out page', { timeout: 90000 }, async () => {
      const user = await createAccount(app.store, { email: `rt-${db}@example.com`, password: PASSWORD }, Date.now());
      const { client, secret } = await registerClient(
        app.store,
        {
          name: 'Return App',
          redirectUris: ['https://app.example/cb'],
          postLogoutRedirectUris: ['http://localhost:8080/bye'],
          isPublic: false,
          scopes: ['openid', 'email'],
        },
        Date.now(),
      );
      const p: Partner = { clientId: client.clientId, secret };
      const cases: Array<[string, string | null]> = [
        ['https://app.example/elsewhere?x=1', 'https://app.example/elsewhere?x=1'],
        ['http://localhost:8080/', 'http://localhost:8080/'],
        ['http://app.example/cb', null],
        ['https://user:pw@app.example/cb', null],
        ['https://user@app.example/cb', null],
        ['https://:pw@app.example/cb', null],
        ['javascript://app.example/%0aalert(1)', null],
        ['not a url', null],
        ['https://localhost:8080/', null],
        ['ftp://app.example/cb', null],
      ];
      for (const [returnTo, location] of cases) {
        const { sid } = await session(p, user.email);
        const out = await logout({ session_id: sid, return_to: returnTo }, key(p));
        if (location) {
          assert.equal(out.status, 302, returnTo);
          assert.equal(out.headers.get('location'), location, returnTo);
        } else {
          assert.equal(out.status, 200, returnTo);
          assert.equal(out.headers.get('location'), null, returnTo);
          assert.match(await out.text(), /You are signed out/, returnTo);
        }
      }
      // Sessions for the custom-scheme cases below, made while oidc-provider still takes the client.
      const returnTos = ['javascript:alert(1)', 'data:text/html,hi', 'com.example.app:/home'];
      const sids = [];
      for (const _ of returnTos) sids.push((await session(p, user.email)).sid);
      // A registration that is no URL (written to the store by hand) allows nothing, and breaks nothing.
      const { sid } = await session(p, user.email);
      await app.store.clients.upsert({ ...client, redirectUris: ['not a url', 'https://app.example/cb'], postLogoutRedirectUris: ['::also not'] });
      const out = await logout({ session_id: sid, return_to: 'https://app.example/home' }, key(p));
      assert.equal(out.status, 302);
      assert.equal(out.headers.get('location'), 'https://app.example/home');
      // A native app's custom scheme (written by hand: registration takes only http(s)) has the opaque origin "null",
      // as javascript: and data: URLs do: they must not match it.
      await app.store.clients.upsert({ ...client, redirectUris: ['com.example.app:/cb'], postLogoutRedirectUris: [] });
      for (const [i, returnTo] of returnTos.entries()) {
        const refused = await logout({ session_id: sids[i]!, return_to: returnTo }, key(p));
        assert.equal(refused.status, 200, returnTo);
        assert.equal(refused.headers.get('location'), null, returnTo);
      }
    });

    it("logout in the person's own browser with a Bearer that is not the key: 401 JSON, the browser stays signed in", SLOW, async () => {
      const user = await createAccount(app.store, { email: `ob-${db}@example.com`, password: PASSWORD }, Date.now());
      const mine = await signIn(app, conf, user.email);
      const res = await rawAuthenticate(app, { grant_type: 'authorization_code', client_id: conf.clientId, client_secret: conf.secret, code: mine.code });
      const accessToken = String((await json(res, 200)).access_token);
      const sid = String(decodeJwt(accessToken).sid);
      const url = `/user_management/sessions/logout?${new URLSearchParams({ session_id: sid })}`;
      const refused = await mine.agent.get(url, { authorization: 'Bearer not-the-key' });
      assert.equal((await json(refused, 401)).error, 'invalid_client');
      assert.ok(await introspectAccessToken(app.deps, accessToken));
      // Ended with the key from another place: the browser's own portal sign-in is untouched.
      const other = await createAccount(app.store, { email: `ob2-${db}@example.com`, password: PASSWORD }, Date.now());
      const theirs = await session(conf, other.email);
      const out = await mine.agent.get(`/user_management/sessions/logout?${new URLSearchParams({ session_id: theirs.sid })}`, key());
      assert.equal(out.status, 200);
      const again = await mine.agent.follow(
        `/user_management/authorize?${new URLSearchParams({ client_id: conf.clientId, redirect_uri: REDIRECT, response_type: 'code' })}`,
        (u) => u.pathname.startsWith('/interaction/'),
      );
      assert.equal(again.url.origin + again.url.pathname, REDIRECT, 'still signed in: straight back with a code');
    });
  });
}
