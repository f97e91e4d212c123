/**
 * The oidc-provider configuration (provider.ts) as a relying party sees it,
 * pinned where mutation testing (docs/mutation.md) needs it: the discovery
 * document exactly; the provider's cookies (names, attributes, signed with
 * the newest cookie secret) over http and over https behind an untrusted
 * TLS proxy (the `__Host-`
 * names, SameSite=None on the session cookie, POST at /authorize); every
 * lifetime (code, interaction, access, ID, refresh, grant, session, device)
 * read back from what the provider issued and stored, with lifetimes set
 * apart so none can stand in for another; rotation that never extends a
 * refresh token's life; the reuse window's grace at the token endpoint only
 * (the adapter's token-route branches) and theft after it; PKCE for public
 * clients only; ID token claims and a disabled account; the JWT access token
 * stored under its jti with its extra claims; introspection of one's own
 * tokens only; hashed client secrets; CORS from redirect origins only; the
 * sign-out and error pages; the device flow's lifetime and `slow_down`.
 * Real app, real provider; SQLite and PostgreSQL.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { createServer, type IncomingMessage } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignJWT, importJWK } from 'jose';
import { startTestApp, type TestApp } from '../testing/test-app.ts';
import { createAccount } from '../accounts/accounts.ts';
import { registerClient } from './clients.ts';
import { issueCode } from './core.ts';
import { Agent } from '../testing/agent.ts';
import { partnerTokens, testPartner } from '../testing/partner.ts';
import { errorPage, loggedOutPage, unregisteredPostLogoutPage } from './pages.ts';
import { CLIENT_FAILURES_PER_SOURCE } from './client-throttle.ts';
import { outagePage } from './outage.ts';
import { createApp, type App } from '../app.ts';
import { loadConfig } from '../config/config.ts';
import { openStore } from '../store/open-store.ts';
import type { Store } from '../store/store.ts';
import { createLogger } from '../http/logger.ts';
import { TEST_SECRETS_ENV, tempDatabase } from '../testing/temp-store.ts';
import { rawSql } from '../testing/raw-sql.ts';

const REDIRECT = 'https://partner.example/cb';
const PUBLIC_REDIRECT = 'https://pub.example/cb';
const OLD_COOKIE_SECRET = 'old-cookie-secret-old-cookie-secret-0001';
const NEW_COOKIE_SECRET = 'new-cookie-secret-new-cookie-secret-0002';
// Every lifetime different, so no setting can stand in for another.
const TTL = { ACCESS_TOKEN_TTL: 700, ID_TOKEN_TTL: 1800, CODE_TTL: 45, REFRESH_TOKEN_TTL: 3 * 86400, SESSION_TTL: 2 * 86400 };
const ENV = {
  ...Object.fromEntries(Object.entries(TTL).map(([k, v]) => [k, String(v)])),
  // Listed oldest first: the newest (the highest id) must sign.
  COOKIE_SECRETS: `1:${OLD_COOKIE_SECRET},2:${NEW_COOKIE_SECRET}`,
  REFRESH_REUSE_WINDOW: '5',
};

const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;
const part = (jwt: string, i: 0 | 1) => JSON.parse(Buffer.from(jwt.split('.')[i]!, 'base64url').toString()) as Record<string, unknown>;
/** keygrip's signature (cookies' `.sig`): HMAC-SHA1 of `name=value`, base64url without padding. */
const cookieSig = (secret: string, name: string, value: string) => createHmac('sha1', secret).update(`${name}=${value}`).digest('base64url');

/** A token endpoint answer: the tokens, or an RFC 6749 error. */
interface TokenBody {
  access_token: string;
  refresh_token: string;
  id_token: string;
  expires_in: number;
  token_type: string;
  scope: string;
  error?: string;
  error_description?: string;
}

function cookies(res: Response): Map<string, { value: string; attrs: string }> {
  const out = new Map<string, { value: string; attrs: string }>();
  for (const line of res.headers.getSetCookie()) {
    const [pair, ...rest] = line.split('; ');
    const i = pair!.indexOf('=');
    out.set(pair!.slice(0, i), { value: pair!.slice(i + 1), attrs: rest.filter((a) => !a.startsWith('expires=')).join('; ') });
  }
  return out;
}

for (const db of ['sqlite', 'postgres'] as const) {
  describe(`provider configuration, as a relying party sees it (${db})`, () => {
    let app: TestApp;
    let iss: string;
    let partner: { id: string; secret: string };
    let other: { id: string; secret: string };
    let pub: string;
    let user: { id: string; updatedAt: number };
    before(async () => {
      app = await startTestApp({ db, env: ENV });
      iss = app.config.issuer;
      const p = await registerClient(
        app.store,
        { name: 'Partner', redirectUris: [REDIRECT], isPublic: false, scopes: ['openid', 'profile', 'email', 'offline_access'] },
        Date.now(),
      );
      partner = { id: p.client.clientId, secret: p.secret! };
      const o = await registerClient(app.store, { name: 'Other', redirectUris: ['https://other.example/cb'], isPublic: false }, Date.now());
      other = { id: o.client.clientId, secret: o.secret! };
      pub = (await registerClient(app.store, { name: 'Pub', redirectUris: [PUBLIC_REDIRECT], isPublic: true, options: { device: true } }, Date.now())).client
        .clientId;
      user = await createAccount(
        app.store,
        { email: 'Ida@Example.com', password: 'correct horse battery staple', name: 'Ida Person', emailVerified: true },
        Date.now(),
      );
    });
    after(async () => {
      await app?.close();
    });

    async function codeTokens(scopes: string[], accountId = user.id) {
      const { code } = await issueCode(app.deps, { clientId: partner.id, accountId, scopes, redirectUri: REDIRECT, amr: ['pwd'] });
      const stored = await app.store.oidc.find('AuthorizationCode', code);
      const res = await fetch(`${iss}/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic(partner.id, partner.secret) },
        body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT }),
      });
      return { status: res.status, body: (await res.json()) as TokenBody, code: stored! };
    }
    async function refresh(refreshToken: string, client = partner) {
      const res = await fetch(`${iss}/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic(client.id, client.secret) },
        body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken }),
      });
      return { status: res.status, body: (await res.json()) as TokenBody };
    }
    async function introspect(token: string, client = partner) {
      const res = await fetch(`${iss}/introspect`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic(client.id, client.secret) },
        body: new URLSearchParams({ token }),
      });
      assert.equal(res.status, 200);
      return (await res.json()) as Record<string, unknown>;
    }

    it('discovery names exactly the endpoints, scopes, claims, grants and algorithms configured', { timeout: 20000 }, async () => {
      const res = await fetch(`${iss}/.well-known/openid-configuration`);
      assert.equal(res.status, 200);
      const u = app.url;
      assert.deepEqual(await res.json(), {
        acr_values_supported: ['mfa'],
        authorization_endpoint: `${u}/oauth/authorize`,
        device_authorization_endpoint: `${u}/oauth/device/auth`,
        claims_parameter_supported: false,
        claims_supported: ['sub', 'acr', 'amr', 'name', 'updated_at', 'email', 'email_verified', 'sid', 'auth_time', 'iss'],
        code_challenge_methods_supported: ['S256'],
        end_session_endpoint: `${u}/oauth/logout`,
        grant_types_supported: [
          'authorization_code',
          'refresh_token',
          'client_credentials',
          'urn:ietf:params:oauth:grant-type:device_code',
          'urn:ietf:params:oauth:grant-type:token-exchange',
        ],
        issuer: `${u}/oauth`,
        jwks_uri: `${u}/oauth/jwks`,
        authorization_response_iss_parameter_supported: true,
        response_modes_supported: ['form_post', 'fragment', 'query'],
        response_types_supported: ['code'],
        scopes_supported: ['openid', 'profile', 'email', 'offline_access', 'basic'],
        subject_types_supported: ['public'],
        token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'private_key_jwt', 'none'],
        token_endpoint_auth_signing_alg_values_supported: ['RS256', 'PS256', 'ES256', 'Ed25519', 'EdDSA'],
        token_endpoint: `${u}/oauth/token`,
        id_token_signing_alg_values_supported: ['ES256'],
        pushed_authorization_request_endpoint: `${u}/oauth/request`,
        request_uri_parameter_supported: false,
        userinfo_endpoint: `${u}/oauth/userinfo`,
        introspection_endpoint: `${u}/oauth/introspect`,
        dpop_signing_alg_values_supported: ['ES256', 'Ed25519', 'EdDSA'],
        revocation_endpoint: `${u}/oauth/revoke`,
        backchannel_logout_supported: true,
        backchannel_logout_session_supported: true,
        claim_types_supported: ['normal'],
      });
      const jwks = (await (await fetch(`${iss}/jwks`)).json()) as { keys: Array<Record<string, unknown>> };
      assert.ok(jwks.keys.length >= 1);
      for (const k of jwks.keys) assert.equal(k.d, undefined);
    });

    it('over http: plain cookie names, Lax, HttpOnly, not Secure, signed with the newest secret; no POST at /authorize', { timeout: 20000 }, async () => {
      const q = new URLSearchParams({ client_id: partner.id, response_type: 'code', scope: 'openid', redirect_uri: REDIRECT });
      const res = await fetch(`${iss}/authorize?${q}`, { redirect: 'manual' });
      assert.equal(res.status, 303);
      const uid = res.headers.get('location')!.split('/interaction/')[1]!;
      assert.equal(res.headers.get('location'), `/interaction/${uid}`);
      const c = cookies(res);
      assert.deepEqual([...c.keys()], ['portal_op_i', 'portal_op_i.sig', 'portal_op_r', 'portal_op_r.sig']);
      assert.deepEqual(c.get('portal_op_i'), { value: uid, attrs: 'path=/; samesite=lax; httponly' });
      assert.deepEqual(c.get('portal_op_r'), { value: uid, attrs: `path=/oauth/authorize/${uid}; samesite=lax; httponly` });
      assert.equal(c.get('portal_op_i.sig')!.value, cookieSig(NEW_COOKIE_SECRET, 'portal_op_i', uid));
      assert.equal(c.get('portal_op_r.sig')!.value, cookieSig(NEW_COOKIE_SECRET, 'portal_op_r', uid));
      // The interaction lives an hour.
      const interaction = (await app.store.oidc.find('Interaction', uid))!.payload as { iat: number; exp: number };
      assert.equal(interaction.exp - interaction.iat, 3600);
      const post = await fetch(`${iss}/authorize`, { method: 'POST', redirect: 'manual', body: q });
      assert.equal(post.status, 404);
      await post.body?.cancel();
      // The session cookie (the long one) is Lax too.
      const logout = await fetch(`${iss}/logout?client_id=${partner.id}`, { redirect: 'manual' });
      const lc = cookies(logout);
      assert.deepEqual([...lc.keys()], ['portal_op', 'portal_op.sig']);
      assert.equal(lc.get('portal_op')!.attrs, 'path=/; samesite=lax; httponly');
      assert.equal(lc.get('portal_op.sig')!.value, cookieSig(NEW_COOKIE_SECRET, 'portal_op', lc.get('portal_op')!.value));
      await logout.body?.cancel();
      // The session lives SESSION_TTL.
      const session = (await app.store.oidc.find('Session', lc.get('portal_op')!.value))!.payload as { iat: number; exp: number };
      assert.equal(session.exp - session.iat, TTL.SESSION_TTL);
    });

    it('PKCE is required of public clients only', { timeout: 20000 }, async () => {
      const q = new URLSearchParams({ client_id: pub, response_type: 'code', scope: 'openid', redirect_uri: PUBLIC_REDIRECT });
      const res = await fetch(`${iss}/authorize?${q}`, { redirect: 'manual' });
      assert.equal(res.status, 303);
      const loc = new URL(res.headers.get('location')!);
      assert.equal(`${loc.origin}${loc.pathname}`, PUBLIC_REDIRECT);
      assert.equal(loc.searchParams.get('error'), 'invalid_request');
      assert.equal(loc.searchParams.get('error_description'), 'Authorization Server policy requires PKCE to be used for this request');
      q.set('code_challenge', 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM');
      q.set('code_challenge_method', 'S256');
      const ok = await fetch(`${iss}/authorize?${q}`, { redirect: 'manual' });
      assert.equal(ok.status, 303);
      assert.match(ok.headers.get('location')!, /^\/interaction\//);
    });

    it('an unknown client gets the HTML error page, not a redirect', { timeout: 20000 }, async () => {
      const res = await fetch(`${iss}/authorize?client_id=nope&response_type=code&scope=openid`, { redirect: 'manual' });
      assert.equal(res.status, 400);
      assert.equal(res.headers.get('content-type'), 'text/html; charset=utf-8');
      assert.equal(await res.text(), errorPage('invalid_client', 'client is invalid', app.config.publicUrl));
    });

    it('a code, then tokens: every lifetime as configured, the ID token claims, the JWT access token stored under its jti', { timeout: 20000 }, async () => {
      const { status, body, code } = await codeTokens(['openid', 'profile', 'email', 'offline_access']);
      assert.equal(status, 200);
      const codePayload = code.payload as { iat: number; exp: number };
      assert.equal(codePayload.exp - codePayload.iat, TTL.CODE_TTL);
      assert.deepEqual(Object.keys(body).sort(), ['access_token', 'expires_in', 'id_token', 'refresh_token', 'scope', 'token_type']);
      assert.equal(body.expires_in, TTL.ACCESS_TOKEN_TTL);
      assert.equal(body.token_type, 'Bearer');
      // ID token: ES256, the account's claims, acr/amr, ID_TOKEN_TTL.
      assert.equal(part(body.id_token, 0).alg, 'ES256');
      const id = part(body.id_token, 1);
      assert.equal((id.exp as number) - (id.iat as number), TTL.ID_TOKEN_TTL);
      assert.deepEqual(
        { sub: id.sub, email: id.email, email_verified: id.email_verified, name: id.name, updated_at: id.updated_at, amr: id.amr, aud: id.aud, iss: id.iss },
        {
          sub: user.id,
          email: 'ida@example.com',
          email_verified: true,
          name: 'Ida Person',
          updated_at: Math.floor(user.updatedAt / 1000),
          amr: ['pwd'],
          aud: partner.id,
          iss,
        },
      );
      // The access token: a JWT for the portal's resource, stored (for revocation) under its jti.
      assert.equal(part(body.access_token, 0).typ, 'at+jwt');
      const at = part(body.access_token, 1) as Record<string, unknown> & { jti: string; iat: number; exp: number };
      assert.equal(at.aud, 'urn:portal:api');
      assert.equal(at.exp - at.iat, TTL.ACCESS_TOKEN_TTL);
      const row = (await app.store.oidc.find('AccessToken', at.jti))!;
      assert.equal(row.expiresAt, at.exp * 1000);
      const p = row.payload as Record<string, unknown>;
      assert.equal(p.format, 'jwt');
      assert.equal(p.kind, 'AccessToken');
      assert.equal(p.iat, at.iat);
      assert.equal(p.exp, at.exp);
      assert.equal(p.jti, at.jti);
      assert.equal(p.accountId, user.id);
      assert.equal(p.clientId, partner.id);
      assert.equal(p.scope, 'openid profile email offline_access');
      // The extra claims (workos's sid: the grant) are in the token and the stored row.
      assert.equal(at.sid, p.grantId);
      assert.deepEqual(p.extra, { sid: p.grantId });
      // The grant lives as long as a refresh token; the refresh token too.
      const grant = (await app.store.oidc.find('Grant', p.grantId as string))!.payload as { iat: number; exp: number };
      assert.equal(grant.exp - grant.iat, TTL.REFRESH_TOKEN_TTL);
      const rt = (await app.store.oidc.find('RefreshToken', body.refresh_token))!.payload as { iat: number; exp: number };
      assert.equal(rt.exp - rt.iat, TTL.REFRESH_TOKEN_TTL);
      // Revoking the grant's rows stops the JWT at once (introspection reads the stored row).
      assert.equal((await introspect(body.access_token)).active, true);
      await app.store.oidc.revokeByGrantId(p.grantId as string);
      assert.deepEqual(await introspect(body.access_token), { active: false });
    });

    it('a disabled account gets no tokens', { timeout: 20000 }, async () => {
      const gone = await createAccount(app.store, { email: 'gone@example.com', password: 'correct horse battery staple' }, Date.now());
      const first = await codeTokens(['openid', 'offline_access'], gone.id);
      assert.equal(first.status, 200);
      await app.store.users.setDisabled(gone.id, true, Date.now());
      const again = await codeTokens(['openid'], gone.id);
      assert.equal(again.status, 400);
      assert.equal(again.body.error, 'invalid_grant');
      const r = await refresh(first.body.refresh_token);
      assert.equal(r.status, 400);
      assert.equal(r.body.error, 'invalid_grant');
    });

    it('rotation: a new refresh token each time, never outliving the first one', { timeout: 20000 }, async () => {
      const { body } = await codeTokens(['openid', 'offline_access']);
      const first = (await app.store.oidc.find('RefreshToken', body.refresh_token))!.payload as { iat: number; iiat?: number };
      try {
        app.clock.offset = 100_000;
        const r = await refresh(body.refresh_token);
        assert.equal(r.status, 200);
        assert.notEqual(r.body.refresh_token, body.refresh_token);
        const next = (await app.store.oidc.find('RefreshToken', r.body.refresh_token))!.payload as { iat: number; exp: number; iiat: number };
        assert.equal(next.iiat, first.iiat ?? first.iat);
        // What was left of the first lifetime, by the injected clock (100 s on): never a fresh one.
        const left = next.exp - next.iiat;
        assert.ok(left >= TTL.REFRESH_TOKEN_TTL - 101 && left <= TTL.REFRESH_TOKEN_TTL - 99, String(left));
      } finally {
        app.clock.offset = 0;
      }
    });

    it('reuse inside the window: refused at the token endpoint, the grant kept; introspection sees the plain truth', { timeout: 20000 }, async () => {
      const { body } = await codeTokens(['openid', 'offline_access']);
      const r1 = await refresh(body.refresh_token);
      assert.equal(r1.status, 200);
      const replay = await refresh(body.refresh_token);
      assert.deepEqual(replay, { status: 400, body: { error: 'invalid_grant', error_description: 'grant request is invalid' } });
      assert.deepEqual(await introspect(body.refresh_token), { active: false });
      assert.equal((await introspect(r1.body.access_token)).active, true);
      const r2 = await refresh(r1.body.refresh_token);
      assert.equal(r2.status, 200);
    });

    it('reuse after the window is theft: the whole grant is revoked', { timeout: 20000 }, async () => {
      const { body } = await codeTokens(['openid', 'offline_access']);
      const r1 = await refresh(body.refresh_token);
      assert.equal(r1.status, 200);
      try {
        app.clock.offset = 5_000;
        const replay = await refresh(body.refresh_token);
        assert.equal(replay.status, 400);
        assert.equal(replay.body.error, 'invalid_grant');
        const newest = await refresh(r1.body.refresh_token);
        assert.equal(newest.status, 400, 'the grant is gone');
        assert.deepEqual(await introspect(r1.body.access_token), { active: false });
      } finally {
        app.clock.offset = 0;
      }
    });

    it('a JWT access token counts only with our issuer and typ at+jwt, even signed with our own key', { timeout: 20000 }, async () => {
      const { body } = await codeTokens(['openid']);
      const header = part(body.access_token, 0) as { alg: string; kid: string; typ: string };
      const payload = part(body.access_token, 1);
      const key = (await app.store.keys.list()).find((k) => k.kid === header.kid)!;
      const sign = async (typ: string, claims: Record<string, unknown>) =>
        new SignJWT(claims).setProtectedHeader({ alg: header.alg, kid: header.kid, typ }).sign(await importJWK(key.jwk, header.alg));
      // Re-signed as it was: the same token to the provider.
      assert.equal((await introspect(await sign('at+jwt', payload))).active, true);
      // Another type (an ID token's `JWT`, a logout token's) or another issuer names no access token.
      assert.deepEqual(await introspect(await sign('JWT', payload)), { active: false });
      assert.deepEqual(await introspect(await sign('logout+jwt', payload)), { active: false });
      assert.deepEqual(await introspect(await sign('at+jwt', { ...payload, iss: 'https://elsewhere.example/oauth' })), { active: false });
      // A jti that is not a string names no stored token (never looked up).
      assert.deepEqual(await introspect(await sign('at+jwt', { ...payload, jti: { id: payload.jti } })), { active: false });
      assert.equal((await introspect(body.access_token)).active, true);
    });

    it('an authorization request must name its redirect URI, even for a client with only one', { timeout: 20000 }, async () => {
      const q = new URLSearchParams({ client_id: partner.id, response_type: 'code', scope: 'openid' });
      const res = await fetch(`${iss}/authorize?${q}`, { redirect: 'manual' });
      assert.equal(res.status, 400);
      assert.equal(res.headers.get('location'), null);
      assert.equal(await res.text(), errorPage('invalid_request', "missing required parameter 'redirect_uri'", app.config.publicUrl));
    });

    it('without TRUST_PROXY, X-Forwarded-For names no address: a failed client authentication counts against the peer', { timeout: 20000 }, async () => {
      const id = 'app_unknown_xff_probe';
      const res = await fetch(`${iss}/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic(id, 'guess'), 'x-forwarded-for': '203.0.113.77' },
        body: new URLSearchParams({ grant_type: 'client_credentials' }),
      });
      assert.equal(res.status, 401);
      await res.body?.cancel();
      const now = Date.now();
      assert.equal((await app.store.throttle.peek(`oauth-client:${id}|127.0.0.1`, now))?.count, 1);
      assert.equal(await app.store.throttle.peek(`oauth-client:${id}|203.0.113.77`, now), null);
      assert.equal(await app.store.throttle.peek('oauth-client-ip:203.0.113.77', now), null);
      assert.ok(CLIENT_FAILURES_PER_SOURCE > 1, 'one failure is far from the limit');
    });

    it("introspection answers for one's own tokens only", { timeout: 20000 }, async () => {
      const { body } = await codeTokens(['openid']);
      const own = await introspect(body.access_token);
      assert.equal(own.active, true);
      assert.equal(own.client_id, partner.id);
      assert.equal(own.sub, user.id);
      assert.deepEqual(await introspect(body.access_token, other), { active: false });
    });

    it('client secrets are compared with the stored hash: the right one passes, another does not', { timeout: 20000 }, async () => {
      const { body } = await codeTokens(['openid', 'offline_access']);
      const wrong = await refresh(body.refresh_token, { id: partner.id, secret: `${partner.secret}x` });
      assert.deepEqual(wrong, { status: 401, body: { error: 'invalid_client', error_description: 'client authentication failed' } });
      assert.equal((await refresh(body.refresh_token)).status, 200);
    });

    it("CORS at the token endpoint: from the client's redirect origins only", { timeout: 20000 }, async () => {
      const call = (origin: string) =>
        fetch(`${iss}/token`, {
          method: 'POST',
          headers: { origin, 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({ client_id: pub, grant_type: 'refresh_token', refresh_token: 'unknown' }),
        });
      const ok = await call('https://pub.example');
      assert.equal(ok.headers.get('access-control-allow-origin'), 'https://pub.example');
      assert.deepEqual(await ok.json(), { error: 'invalid_grant', error_description: 'grant request is invalid' });
      const bad = await call('https://other.example');
      assert.equal(bad.status, 400);
      assert.equal(bad.headers.get('access-control-allow-origin'), null);
      assert.deepEqual(await bad.json(), { error: 'invalid_request', error_description: `origin https://other.example not allowed for client: ${pub}` });
    });

    it('sign-out: the confirmation names the app, and confirming shows the signed-out page', { timeout: 20000 }, async () => {
      const p = await testPartner(app, 'Signed-in Partner');
      const agent = new Agent(app.url);
      await partnerTokens(app, p, { email: 'ida@example.com', password: 'correct horse battery staple', agent });
      const res = await agent.get(`/oauth/logout?client_id=${p.clientId}`);
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('content-type'), 'text/html; charset=utf-8');
      const html = await res.text();
      assert.ok(
        html.includes('<h1>Sign out of Signed-in Partner?</h1><p>Do you want to sign out of the portal?</p><form id="op.logoutForm" method="post" action='),
        html,
      );
      const form = /<form id="op\.logoutForm" method="post" action="([^"]+)">([\s\S]*?)<\/form>/.exec(html);
      assert.ok(form, html);
      const fields = new URLSearchParams();
      for (const m of form[2]!.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)"\/>/g)) fields.set(m[1]!, m[2]!);
      fields.set('logout', 'yes');
      const confirm = await fetch(new URL(form[1]!, app.url), {
        method: 'POST',
        redirect: 'manual',
        headers: { cookie: agent.cookieHeader(), 'content-type': 'application/x-www-form-urlencoded' },
        body: fields,
      });
      assert.equal(confirm.status, 303);
      agent.store(confirm);
      const success = await agent.get(confirm.headers.get('location')!);
      assert.equal(success.status, 200);
      assert.equal(success.headers.get('content-type'), 'text/html; charset=utf-8');
      assert.equal(await success.text(), loggedOutPage(app.config.publicUrl));
    });

    it('sign-out to an unregistered address: the page that says nothing happened', { timeout: 20000 }, async () => {
      const res = await fetch(`${iss}/logout?client_id=${partner.id}&post_logout_redirect_uri=${encodeURIComponent('https://evil.example/x')}`, {
        redirect: 'manual',
        headers: { accept: 'text/html' },
      });
      assert.equal(res.status, 400);
      assert.equal(res.headers.get('content-type'), 'text/html; charset=utf-8');
      assert.equal(await res.text(), unregisteredPostLogoutPage('https://evil.example/x', app.config.publicUrl));
    });

    it('the device flow: ten minutes to type the code, and a second poll too soon is slow_down', { timeout: 20000 }, async () => {
      const res = await fetch(`${iss}/device/auth`, { method: 'POST', body: new URLSearchParams({ client_id: pub, scope: 'openid' }) });
      assert.equal(res.status, 200);
      const d = (await res.json()) as Record<string, string | number>;
      assert.equal(d.expires_in, 600);
      assert.equal(d.verification_uri, `${iss}/device`);
      const poll = async () => {
        const r = await fetch(`${iss}/token`, {
          method: 'POST',
          body: new URLSearchParams({ client_id: pub, grant_type: 'urn:ietf:params:oauth:grant-type:device_code', device_code: String(d.device_code) }),
        });
        return ((await r.json()) as { error: string }).error;
      };
      assert.equal(await poll(), 'authorization_pending');
      assert.equal(await poll(), 'slow_down');
      // The verification URIs open the SPA's /device screen (the code in its usual shape), not the provider's.
      const complete = await fetch(String(d.verification_uri_complete), { redirect: 'manual' });
      assert.equal(complete.status, 303);
      const code = String(d.user_code).replace('-', '');
      assert.equal(complete.headers.get('location'), `${app.config.publicUrl}/device?user_code=${code.slice(0, 4)}-${code.slice(4)}`);
      const bare = await fetch(String(d.verification_uri), { redirect: 'manual' });
      assert.equal(bare.status, 303);
      assert.equal(bare.headers.get('location'), `${app.config.publicUrl}/device`);
      const auth = await fetch(`${iss}/device/auth`, { redirect: 'manual' });
      assert.equal(auth.status, 405);
      assert.equal(auth.headers.get('allow'), 'POST, OPTIONS');
      await auth.body?.cancel();
      const row = (await app.store.oidc.find('DeviceCode', String(d.device_code)))!.payload as { iat: number; exp: number };
      assert.equal(row.exp - row.iat, 600);
    });
  });

  describe(`the provider's server_error log lines (${db})`, () => {
    // startTestApp logs to stdout at `silent`: this app is built the same way with a logger the test reads.
    const lines: Array<Record<string, unknown> & { level: number; msg: string }> = [];
    const server = createServer();
    let app: App;
    let store: Store;
    let storeOpen = false;
    let databaseUrl: string;
    let removeDatabase: () => Promise<void>;
    let url: string;
    let partner: string;
    before(async () => {
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
      const temp = await tempDatabase(db);
      databaseUrl = temp.url;
      removeDatabase = temp.remove;
      const config = loadConfig({
        NODE_ENV: 'test',
        PUBLIC_URL: url,
        DATABASE_URL: databaseUrl,
        ...TEST_SECRETS_ENV,
        LOG_LEVEL: 'debug',
        MAIL_DIR: join(tmpdir(), 'portal-test-mail'),
      });
      store = await openStore(config.databaseUrl, { timeoutMs: config.databaseTimeoutMs });
      storeOpen = true;
      await store.migrate();
      app = await createApp({
        config,
        store,
        logger: createLogger('debug', { write: (line: string) => void lines.push(JSON.parse(line) as (typeof lines)[number]) }),
        webDir: join(tmpdir(), 'portal-no-web'),
      });
      app.setSelfOrigin(url);
      server.on('request', app.handler);
      partner = (await registerClient(app.deps.store, { name: 'Partner', redirectUris: [REDIRECT], isPublic: false }, Date.now())).client.clientId;
    });
    after(async () => {
      await app?.mail.close();
      await app?.partnerLogout.stop();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
      if (storeOpen) await store.close();
      await removeDatabase?.();
    });

    const authorize = () =>
      fetch(`${url}/oauth/authorize?${new URLSearchParams({ client_id: partner, response_type: 'code', scope: 'openid', redirect_uri: REDIRECT })}`, {
        redirect: 'manual',
      });
    const providerLines = () =>
      lines.filter((l) => typeof l.msg === 'string' && l.msg.startsWith('oidc-provider')).map((l) => ({ level: l.level, msg: l.msg, err: l.err }));

    it('a failure that is not an outage: logged as an error, with the error', { timeout: 20000 }, async () => {
      // The database refuses to store interactions (a trigger standing in for a bug): not an outage.
      if (db === 'sqlite') {
        await rawSql(
          databaseUrl,
          "CREATE TRIGGER refuse_interactions BEFORE INSERT ON oidc_payloads WHEN NEW.model = 'Interaction' BEGIN SELECT RAISE(ABORT, 'refused by the test'); END",
        );
      } else {
        await rawSql(
          databaseUrl,
          "CREATE FUNCTION refuse_interactions() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN IF NEW.model = 'Interaction' THEN RAISE EXCEPTION 'refused by the test'; END IF; RETURN NEW; END $$",
        );
        await rawSql(databaseUrl, 'CREATE TRIGGER refuse_interactions BEFORE INSERT ON oidc_payloads FOR EACH ROW EXECUTE FUNCTION refuse_interactions()');
      }
      try {
        lines.length = 0;
        const res = await authorize();
        assert.equal(res.status, 500);
        assert.equal(await res.text(), errorPage('server_error', 'oops! something went wrong', url));
        const logged = providerLines();
        assert.deepEqual(
          logged.map((l) => [l.level, l.msg]),
          [[50, 'oidc-provider server_error']],
        );
        assert.match(String((logged[0]!.err as { message?: unknown }).message), /refused by the test/);
      } finally {
        await rawSql(databaseUrl, 'DROP TRIGGER refuse_interactions' + (db === 'postgres' ? ' ON oidc_payloads' : ''));
      }
    });

    it('a client gone in the middle of a form body: an abort, not an error (the shim in front of the provider)', { timeout: 20000 }, async () => {
      let seen: IncomingMessage | undefined;
      const probe = (req: IncomingMessage) => {
        if (req.url?.endsWith('?abort-probe')) seen = req;
      };
      server.on('request', probe);
      const sock = connect(Number(new URL(url).port), '127.0.0.1');
      try {
        const closed = new Promise<void>((resolve) => server.once('connection', (s) => s.once('close', () => resolve())));
        await new Promise<void>((resolve) => sock.once('connect', () => resolve()));
        lines.length = 0;
        sock.write(
          'POST /oauth/token?abort-probe HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\ngrant_type=',
        );
        // Until the shim reads the body (the request leaves its initial mode), then the client goes.
        while (seen?.readableFlowing !== false) await new Promise((r) => setImmediate(r));
        sock.destroy();
        await closed;
        await new Promise((r) => setImmediate(r));
        assert.deepEqual(
          lines.filter((l) => l.level >= 50).map((l) => l.msg),
          [],
        );
      } finally {
        server.off('request', probe);
        sock.destroy();
      }
    });

    it('a store outage: the outage page, 503, logged as a warning with the error', { timeout: 20000 }, async () => {
      // Everything works first (the trigger of the test above is gone).
      const ok = await authorize();
      assert.equal(ok.status, 303);
      await ok.body?.cancel();
      await store.close();
      storeOpen = false;
      lines.length = 0;
      const res = await authorize();
      assert.equal(res.status, 503);
      assert.equal(res.headers.get('retry-after'), '5');
      assert.equal(await res.text(), outagePage(url));
      const logged = providerLines();
      assert.deepEqual(
        logged.map((l) => [l.level, l.msg]),
        [[40, 'oidc-provider: store unavailable']],
      );
      assert.equal((logged[0]!.err as { type?: unknown }).type, 'StoreUnavailableError');
      // What needs no database still answers: discovery, even with a client_id in its query (only an
      // authorization request's client is looked up for its default scope), and POST /authorize is
      // still the plain 404 of an http portal.
      const discovery = await fetch(`${url}/oauth/.well-known/openid-configuration?client_id=${partner}`);
      assert.equal(discovery.status, 200);
      assert.equal(((await discovery.json()) as { issuer: string }).issuer, `${url}/oauth`);
      const post = await fetch(`${url}/oauth/authorize?client_id=${partner}`, { method: 'POST', redirect: 'manual' });
      assert.equal(post.status, 404);
      await post.body?.cancel();
      // CORS needs the partners' origins only for a real Origin: a sandboxed page's `null` and a
      // preflight without any Origin are answered (no Access-Control-* header) without the database.
      const sandboxed = await fetch(`${url}/oauth/jwks`, { headers: { origin: 'null' } });
      assert.equal(sandboxed.status, 200);
      assert.deepEqual(
        [...sandboxed.headers.keys()].filter((h) => h.startsWith('access-control-')),
        [],
      );
      await sandboxed.body?.cancel();
      const preflight = await fetch(`${url}/oauth/userinfo`, { method: 'OPTIONS', headers: { 'access-control-request-method': 'GET' } });
      assert.equal(preflight.status, 204);
      assert.deepEqual(
        [...preflight.headers.keys()].filter((h) => h.startsWith('access-control-')),
        [],
      );
    });
  });

  describe(`provider configuration over https behind an untrusted TLS proxy (${db})`, () => {
    let app: TestApp;
    let iss: string;
    let partner: string;
    before(async () => {
      // Served over http loopback with PUBLIC_URL https and no TRUST_PROXY: the browser speaks https to a proxy.
      app = await startTestApp({ db, env: { PUBLIC_URL: 'https://portal.test' } });
      iss = `${app.url}/oauth`;
      partner = (await registerClient(app.store, { name: 'Partner', redirectUris: [REDIRECT], isPublic: false }, Date.now())).client.clientId;
    });
    after(async () => {
      await app?.close();
    });

    it('`__Host-` and `__Secure-` names, Secure even over a plain hop, and POST at /authorize', { timeout: 20000 }, async () => {
      const q = new URLSearchParams({ client_id: partner, response_type: 'code', scope: 'openid', redirect_uri: REDIRECT });
      const res = await fetch(`${iss}/authorize?${q}`, { redirect: 'manual' });
      assert.equal(res.status, 303);
      const uid = res.headers.get('location')!.split('/interaction/')[1]!;
      const c = cookies(res);
      assert.deepEqual([...c.keys()], ['__Host-portal_op_i', '__Host-portal_op_i.sig', '__Secure-portal_op_r', '__Secure-portal_op_r.sig']);
      assert.deepEqual(c.get('__Host-portal_op_i'), { value: uid, attrs: 'path=/; samesite=lax; secure; httponly' });
      assert.deepEqual(c.get('__Secure-portal_op_r'), { value: uid, attrs: `path=/oauth/authorize/${uid}; samesite=lax; secure; httponly` });
      const post = await fetch(`${iss}/authorize`, { method: 'POST', redirect: 'manual', body: q });
      assert.equal(post.status, 303);
      assert.match(post.headers.get('location')!, /^\/interaction\//);
      await post.body?.cancel();
    });
    it(
      'the session cookie is SameSite=None and Secure (a partner may post the authorization request cross-site); saving it is no 500',
      { timeout: 20000 },
      async () => {
        const logout = await fetch(`${iss}/logout?client_id=${partner}`, { redirect: 'manual' });
        assert.equal(logout.status, 200);
        const lc = cookies(logout);
        assert.deepEqual([...lc.keys()], ['__Host-portal_op', '__Host-portal_op.sig']);
        assert.equal(lc.get('__Host-portal_op')!.attrs, 'path=/; samesite=none; secure; httponly');
        await logout.body?.cancel();
      },
    );
  });
}
