/**
 * The core operations every front door shares (core.ts), pinned where
 * mutation testing (docs/mutation.md) needs it: authenticationMethod's WorkOS
 * names for every amr/acr/issuer combination (pure); issueCode's stored code
 * (every field, the portal resource, a remembered grant reused, an unknown
 * client refused); tokenRequest and refreshGrant at the real token endpoint
 * (HTTP Basic for a confidential client, client_id for a public one, scope
 * narrowing, undefined parameters left out); and introspectAccessToken's
 * every refusal (unknown, no account, another DPoP key, a revoked grant).
 * Real app, real provider; SQLite and PostgreSQL.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { startTestApp, type TestApp } from '../testing/test-app.ts';
import { createAccount } from '../accounts/accounts.ts';
import { registerClient } from './clients.ts';
import { createResource, registerMachineClient } from './machine.ts';
import { authenticationMethod, introspectAccessToken, issueCode, refreshGrant, tokenRequest } from './core.ts';
import { ACCESS_TOKEN_TYPE, TOKEN_EXCHANGE_GRANT } from './token-exchange.ts';
import { BFF_CLIENT_ID, bffClientSecret } from '../session/oidc-client.ts';

describe('authenticationMethod: the WorkOS name of how a token was earned', () => {
  it('impersonation first, whatever else', () => {
    assert.equal(authenticationMethod(['imp', 'pwd', 'fed'], 'social:x', 'https://accounts.google.com'), 'Impersonation');
  });
  it('an emailed code alone is MagicAuth; with a password it is Password', () => {
    assert.equal(authenticationMethod(['email'], undefined), 'MagicAuth');
    assert.equal(authenticationMethod(['email', 'pwd'], undefined), 'Password');
  });
  it('a passkey (hwk or swk) without a password is Passkey; with one, Password', () => {
    assert.equal(authenticationMethod(['hwk'], undefined), 'Passkey');
    assert.equal(authenticationMethod(['swk', 'user'], undefined), 'Passkey');
    assert.equal(authenticationMethod(['pwd', 'hwk'], undefined), 'Password');
    assert.equal(authenticationMethod(['pwd', 'swk'], undefined), 'Password');
  });
  it('no amr, or a password: Password', () => {
    assert.equal(authenticationMethod(undefined, undefined), 'Password');
    assert.equal(authenticationMethod([], 'mfa'), 'Password');
    assert.equal(authenticationMethod(['pwd', 'otp'], 'mfa'), 'Password');
  });
  it('an upstream sign-in: the social provider its issuer names, only for a social acr; else SSO', () => {
    const social = (issuer: string | null | undefined) => authenticationMethod(['fed'], 'social:conn', issuer);
    assert.equal(social('https://accounts.google.com'), 'GoogleOAuth');
    assert.equal(social('https://accounts.google.com/'), 'GoogleOAuth');
    assert.equal(social('https://login.microsoftonline.com/tenant/v2.0'), 'MicrosoftOAuth');
    assert.equal(social('https://login.live.com/x'), 'MicrosoftOAuth');
    assert.equal(social('https://login.microsoft.com/x'), 'MicrosoftOAuth');
    assert.equal(social('https://github.com'), 'GitHubOAuth');
    assert.equal(social('https://github.com/'), 'GitHubOAuth');
    assert.equal(social('https://token.actions.githubusercontent.com'), 'GitHubOAuth');
    assert.equal(social('https://appleid.apple.com'), 'AppleOAuth');
    assert.equal(social('https://appleid.apple.com/'), 'AppleOAuth');
    // Anchored both ends: look-alikes and paths are not the provider.
    assert.equal(social('https://accounts.google.com.evil.example'), 'SSO');
    assert.equal(social('https://evil.example/https://accounts.google.com'), 'SSO');
    assert.equal(social('https://login.microsoftonline.com'), 'SSO');
    assert.equal(social('https://login.microsoftonline.com.evil.example/x'), 'SSO');
    assert.equal(social('xhttps://login.live.com/x'), 'SSO');
    assert.equal(social('https://github.com/evil'), 'SSO');
    assert.equal(social('https://xgithub.com'), 'SSO');
    assert.equal(social('https://appleid.apple.com/x'), 'SSO');
    assert.equal(social('https://evil.example/https://github.com'), 'SSO');
    assert.equal(social('https://evil.example/https://appleid.apple.com'), 'SSO');
    assert.equal(social('http://accounts.google.com'), 'SSO');
    assert.equal(social('https://sso.example'), 'SSO');
    assert.equal(social(null), 'SSO');
    assert.equal(social(''), 'SSO');
    assert.equal(authenticationMethod(['fed'], 'oidc:conn', 'https://accounts.google.com'), 'SSO');
    assert.equal(authenticationMethod(['fed'], undefined, 'https://accounts.google.com'), 'SSO');
    assert.equal(authenticationMethod(['fed'], 'xsocial:conn', 'https://accounts.google.com'), 'SSO');
  });
});

const REDIRECT = 'https://partner.example/cb';
const PUBLIC_REDIRECT = 'https://pub.example/cb';
const API = 'https://api.example/';
const VERIFIER = 'a-code-verifier-of-forty-three-characters-x';
const CHALLENGE = createHash('sha256').update(VERIFIER).digest('base64url');

for (const db of ['sqlite', 'postgres'] as const) {
  describe(`core operations at the real token endpoint (${db})`, () => {
    let app: TestApp;
    let partner: { clientId: string; clientSecret: string };
    let pub: string;
    let user: { id: string };
    before(async () => {
      app = await startTestApp({ db });
      const p = await registerClient(
        app.store,
        { name: 'Partner', redirectUris: [REDIRECT], isPublic: false, scopes: ['openid', 'profile', 'email', 'offline_access'] },
        Date.now(),
      );
      partner = { clientId: p.client.clientId, clientSecret: p.secret! };
      pub = (
        await registerClient(
          app.store,
          { name: 'Pub', redirectUris: [PUBLIC_REDIRECT], isPublic: true, scopes: ['openid', 'profile', 'offline_access'] },
          Date.now(),
        )
      ).client.clientId;
      user = await createAccount(app.store, { email: 'core@example.com', password: 'correct horse battery staple' }, Date.now());
    });
    after(async () => {
      await app?.close();
    });

    const redeem = (code: string, redirectUri = REDIRECT, extra: Record<string, string | undefined> = {}, basic: typeof partner | undefined = partner) =>
      tokenRequest(app.deps, { grant_type: 'authorization_code', code, redirect_uri: redirectUri, ...extra }, basic);

    it('issueCode stores a single-use code with every field, for the portal resource', { timeout: 20000 }, async () => {
      const before = Math.floor(Date.now() / 1000);
      const { code, grantId } = await issueCode(app.deps, {
        clientId: partner.clientId,
        accountId: user.id,
        scopes: ['openid', 'email'],
        redirectUri: REDIRECT,
        amr: ['pwd', 'otp'],
        acr: 'mfa',
        codeChallenge: CHALLENGE,
        codeChallengeMethod: 'S256',
        nonce: 'n-1',
      });
      const after = Math.floor(Date.now() / 1000);
      const p = (await app.store.oidc.find('AuthorizationCode', code))!.payload as Record<string, unknown>;
      assert.equal(p.accountId, user.id);
      assert.equal(p.clientId, partner.clientId);
      assert.equal(p.grantId, grantId);
      assert.equal(p.scope, 'openid email');
      assert.equal(p.redirectUri, REDIRECT);
      assert.deepEqual(p.amr, ['pwd', 'otp']);
      assert.equal(p.acr, 'mfa');
      assert.ok((p.authTime as number) >= before && (p.authTime as number) <= after);
      assert.equal(p.codeChallenge, CHALLENGE);
      assert.equal(p.codeChallengeMethod, 'S256');
      assert.equal(p.nonce, 'n-1');
      assert.equal(p.resource, 'urn:portal:api');
      // The grant holds the scopes.
      const g = (await app.store.oidc.find('Grant', grantId))!.payload as { accountId: string; clientId: string; openid?: { scope: string } };
      assert.equal(g.accountId, user.id);
      assert.equal(g.clientId, partner.clientId);
      assert.equal(g.openid?.scope, 'openid email');
      // Redeemed with the verifier, once.
      const ok = await redeem(code, REDIRECT, { code_verifier: VERIFIER });
      assert.equal(ok.status, 200, JSON.stringify(ok.body));
      const id = JSON.parse(Buffer.from((ok.body.id_token as string).split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;
      assert.equal(id.nonce, 'n-1');
      assert.equal(id.acr, 'mfa');
      assert.deepEqual(id.amr, ['pwd', 'otp']);
      assert.equal((await redeem(code, REDIRECT, { code_verifier: VERIFIER })).status, 400);
    });

    it('issueCode reuses a remembered grant, and makes a new one when that grant is gone; an unknown client is refused', { timeout: 20000 }, async () => {
      const first = await issueCode(app.deps, { clientId: partner.clientId, accountId: user.id, scopes: ['openid'], redirectUri: REDIRECT, amr: ['pwd'] });
      const again = await issueCode(app.deps, {
        clientId: partner.clientId,
        accountId: user.id,
        scopes: ['openid', 'profile'],
        redirectUri: REDIRECT,
        amr: ['pwd'],
        grantId: first.grantId,
      });
      assert.equal(again.grantId, first.grantId);
      const g = (await app.store.oidc.find('Grant', first.grantId))!.payload as { openid?: { scope: string } };
      assert.equal(g.openid?.scope, 'openid profile');
      const fresh = await issueCode(app.deps, {
        clientId: partner.clientId,
        accountId: user.id,
        scopes: ['openid'],
        redirectUri: REDIRECT,
        amr: ['pwd'],
        grantId: 'no-such-grant',
      });
      assert.notEqual(fresh.grantId, 'no-such-grant');
      assert.notEqual(fresh.grantId, first.grantId);
      assert.ok(await app.store.oidc.find('Grant', fresh.grantId));
      await assert.rejects(issueCode(app.deps, { clientId: 'nope', accountId: user.id, scopes: ['openid'], redirectUri: REDIRECT, amr: ['pwd'] }), {
        message: 'unknown client nope',
      });
    });

    it('tokenRequest: HTTP Basic for the client, undefined parameters left out, the answer as given', { timeout: 20000 }, async () => {
      const { code } = await issueCode(app.deps, {
        clientId: partner.clientId,
        accountId: user.id,
        scopes: ['openid', 'offline_access'],
        redirectUri: REDIRECT,
        amr: ['pwd'],
      });
      // `scope: undefined` must not reach the endpoint as "undefined" (an unknown scope).
      const ok = await redeem(code, REDIRECT, { scope: undefined });
      assert.equal(ok.status, 200);
      assert.deepEqual(Object.keys(ok.body).sort(), ['access_token', 'expires_in', 'id_token', 'refresh_token', 'scope', 'token_type']);
      const noAuth = await tokenRequest(app.deps, { grant_type: 'authorization_code', code, redirect_uri: REDIRECT });
      assert.deepEqual(noAuth, { status: 400, body: { error: 'invalid_request', error_description: 'no client authentication mechanism provided' } });
      const wrong = await redeem(code, REDIRECT, {}, { clientId: partner.clientId, clientSecret: 'wrong' });
      assert.deepEqual(wrong, { status: 401, body: { error: 'invalid_client', error_description: 'client authentication failed' } });
    });

    it('refreshGrant: Basic for a confidential client, client_id for a public one, scope narrowing only when asked', { timeout: 20000 }, async () => {
      const { code } = await issueCode(app.deps, {
        clientId: partner.clientId,
        accountId: user.id,
        scopes: ['openid', 'email', 'offline_access'],
        redirectUri: REDIRECT,
        amr: ['pwd'],
      });
      const t = await redeem(code);
      assert.equal(t.status, 200, JSON.stringify(t.body));
      const narrowed = await refreshGrant(app.deps, { ...partner, refreshToken: t.body.refresh_token as string, scope: ['openid'] });
      assert.equal(narrowed.status, 200, JSON.stringify(narrowed.body));
      assert.equal(narrowed.body.scope, 'openid');
      const full = await refreshGrant(app.deps, { ...partner, refreshToken: narrowed.body.refresh_token as string, scope: [] });
      assert.equal(full.status, 200);
      assert.equal(full.body.scope, 'openid email offline_access');
      const two = await refreshGrant(app.deps, { ...partner, refreshToken: full.body.refresh_token as string, scope: ['openid', 'email'] });
      assert.equal(two.body.scope, 'openid email');

      const pc = await issueCode(app.deps, {
        clientId: pub,
        accountId: user.id,
        scopes: ['openid', 'offline_access'],
        redirectUri: PUBLIC_REDIRECT,
        amr: ['pwd'],
        codeChallenge: CHALLENGE,
        codeChallengeMethod: 'S256',
      });
      const pt = await tokenRequest(app.deps, {
        grant_type: 'authorization_code',
        code: pc.code,
        redirect_uri: PUBLIC_REDIRECT,
        client_id: pub,
        code_verifier: VERIFIER,
      });
      assert.equal(pt.status, 200, JSON.stringify(pt.body));
      const pr = await refreshGrant(app.deps, { clientId: pub, clientSecret: null, refreshToken: pt.body.refresh_token as string });
      assert.equal(pr.status, 200);
      assert.equal(pr.body.scope, 'openid offline_access');
    });

    it('introspectAccessToken: live, then each way a token is not', { timeout: 20000 }, async () => {
      const { code, grantId } = await issueCode(app.deps, {
        clientId: partner.clientId,
        accountId: user.id,
        scopes: ['openid', 'email'],
        redirectUri: REDIRECT,
        amr: ['pwd'],
      });
      const at = (await redeem(code)).body.access_token as string;
      const jwt = JSON.parse(Buffer.from(at.split('.')[1]!, 'base64url').toString()) as { jti: string; exp: number };
      assert.deepEqual(await introspectAccessToken(app.deps, at), {
        active: true,
        sub: user.id,
        clientId: partner.clientId,
        scope: 'openid email',
        exp: jwt.exp,
        grantId,
        jti: jwt.jti,
      });
      // Bound to no DPoP key: a proof's key does not match it.
      assert.equal(await introspectAccessToken(app.deps, at, 'some-thumbprint'), null);
      assert.equal(await introspectAccessToken(app.deps, 'not-a-token'), null);
      assert.equal(await introspectAccessToken(app.deps, `${at}x`), null);
      // The grant revoked (its Grant row only): the token dies with it.
      await app.store.oidc.destroy('Grant', grantId);
      assert.equal(await introspectAccessToken(app.deps, at), null);
    });

    it('introspectAccessToken: a token that carries no scope (exchanged for an API with none) has the empty scope', { timeout: 20000 }, async () => {
      const api = 'https://noscope.example/api';
      await createResource(app.store, { identifier: api, name: 'No scopes', scopes: [] }, Date.now());
      const bff = { clientId: BFF_CLIENT_ID, clientSecret: bffClientSecret(app.config) };
      const redirectUri = (await app.store.clients.find(BFF_CLIENT_ID))!.redirectUris[0]!;
      const { code } = await issueCode(app.deps, { clientId: BFF_CLIENT_ID, accountId: user.id, scopes: ['openid'], redirectUri, amr: ['pwd'] });
      const subject = (await tokenRequest(app.deps, { grant_type: 'authorization_code', code, redirect_uri: redirectUri }, bff)).body.access_token as string;
      const exchanged = await tokenRequest(
        app.deps,
        { grant_type: TOKEN_EXCHANGE_GRANT, subject_token_type: ACCESS_TOKEN_TYPE, subject_token: subject, resource: api },
        bff,
      );
      assert.equal(exchanged.status, 200, JSON.stringify(exchanged.body));
      assert.equal(exchanged.body.scope, undefined, 'no scope granted');
      const at = await introspectAccessToken(app.deps, exchanged.body.access_token as string);
      assert.equal(at?.sub, user.id);
      assert.equal(at?.scope, '');
    });

    it("introspectAccessToken: a machine token (no account) is not a person's", { timeout: 20000 }, async () => {
      await createResource(app.store, { identifier: API, name: 'API', scopes: ['read'] }, Date.now());
      const m = await registerMachineClient(app.store, { name: 'Robot', scopes: ['read'] }, Date.now());
      const res = await tokenRequest(
        app.deps,
        { grant_type: 'client_credentials', resource: API, scope: 'read' },
        { clientId: m.client.clientId, clientSecret: m.secret! },
      );
      assert.equal(res.status, 200);
      assert.equal(await introspectAccessToken(app.deps, res.body.access_token as string), null);
    });
  });

  describe(`tokenRequest behind a TLS proxy: its own loopback address, not PUBLIC_URL (${db})`, () => {
    let app: TestApp;
    before(async () => {
      // PUBLIC_URL names the proxy (a reserved name no resolver knows); the app listens on loopback.
      app = await startTestApp({ db, env: { PUBLIC_URL: 'https://portal.test' } });
    });
    after(async () => {
      await app?.close();
    });

    it('asks the token endpoint where the app listens', { timeout: 20000 }, async () => {
      assert.equal(app.config.publicUrl, 'https://portal.test');
      const p = await registerClient(app.store, { name: 'Behind', redirectUris: ['https://behind.example/cb'], isPublic: false }, Date.now());
      const res = await tokenRequest(
        app.deps,
        { grant_type: 'refresh_token', refresh_token: 'unknown' },
        { clientId: p.client.clientId, clientSecret: p.secret! },
      );
      assert.deepEqual(res, { status: 400, body: { error: 'invalid_grant', error_description: 'grant request is invalid' } });
    });
  });
}
