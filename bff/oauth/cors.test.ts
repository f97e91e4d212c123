/**
 * CORS for browser partners (decision 0018): every endpoint a single-page app
 * calls answers CORS, preflights included, for the origins of registered
 * partners' redirect URIs; the token-bound and client-authenticated calls only
 * for that client's own origins; a wrong origin gets no Access-Control-*
 * header; the interaction and /bff routes never answer CORS.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as oidc from 'openid-client';
import { startTestApp, type TestApp } from '../testing/test-app.ts';
import { Agent, authorizeThrough } from '../testing/agent.ts';
import { createAccount } from '../accounts/accounts.ts';
import { registerClient } from './clients.ts';

const PASSWORD = 'correct horse battery staple';
const EMAIL = 'spa@example.com';
const SPA = 'https://spa.example';
const OTHER = 'https://other-partner.example';
const EVIL = 'https://evil.example';

const acao = (res: Response) => res.headers.get('access-control-allow-origin');

function preflight(app: TestApp, path: string, origin: string, method = 'GET', headers?: string): Promise<Response> {
  return fetch(`${app.url}${path}`, {
    method: 'OPTIONS',
    headers: { origin, 'access-control-request-method': method, ...(headers ? { 'access-control-request-headers': headers } : {}) },
  });
}

for (const db of ['sqlite', 'postgres'] as const) {
  describe(`CORS for browser partners (${db})`, () => {
    let app: TestApp;
    let clientId: string;
    let tokens: { access_token: string; refresh_token: string };

    function tokenCall(origin: string, body: Record<string, string>): Promise<Response> {
      return fetch(`${app.config.issuer}/token`, {
        method: 'POST',
        headers: { origin, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ client_id: clientId, ...body }),
      });
    }

    before(async () => {
      app = await startTestApp({ db });
      await createAccount(app.store, { email: EMAIL, password: PASSWORD, name: 'Spa' }, Date.now());
      const { client } = await registerClient(
        app.store,
        { name: 'Spa', redirectUris: [`${SPA}/callback`], isPublic: true, scopes: ['openid', 'email', 'offline_access'] },
        Date.now(),
      );
      await registerClient(app.store, { name: 'Other', redirectUris: [`${OTHER}/cb`], isPublic: true }, Date.now());
      clientId = client.clientId;
      const config = await oidc.discovery(new URL(app.config.issuer), clientId, {}, oidc.None(), { execute: [oidc.allowInsecureRequests] });
      const verifier = oidc.randomPKCECodeVerifier();
      const url = oidc.buildAuthorizationUrl(config, {
        redirect_uri: `${SPA}/callback`,
        scope: 'openid email',
        code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
      });
      const end = await authorizeThrough(new Agent(app.url), url.href, { email: EMAIL, password: PASSWORD });
      const got = await oidc.authorizationCodeGrant(config, end, { pkceCodeVerifier: verifier });
      assert.ok(got.refresh_token);
      tokens = { access_token: got.access_token, refresh_token: got.refresh_token };
    });
    after(() => app.close());

    for (const path of ['/oauth/.well-known/openid-configuration', '/oauth/jwks']) {
      it(`${path}: a partner's origin may read it, any other origin gets no CORS header`, async () => {
        const ok = await fetch(`${app.url}${path}`, { headers: { origin: SPA } });
        assert.equal(ok.status, 200);
        assert.equal(acao(ok), SPA);
        const pre = await preflight(app, path, SPA);
        assert.equal(pre.status, 204);
        assert.equal(acao(pre), SPA);
        const evil = await fetch(`${app.url}${path}`, { headers: { origin: EVIL } });
        assert.equal(evil.status, 200);
        assert.equal(acao(evil), null);
        const evilPre = await preflight(app, path, EVIL);
        assert.equal(acao(evilPre), null);
        assert.equal(evilPre.headers.get('access-control-allow-methods'), null);
      });
    }

    it('/oauth/userinfo: the preflight with Authorization is answered for the partner, not for a stranger', async () => {
      const pre = await preflight(app, '/oauth/userinfo', SPA, 'GET', 'authorization');
      assert.equal(pre.status, 204);
      assert.equal(acao(pre), SPA);
      assert.equal(pre.headers.get('access-control-allow-headers'), 'authorization');
      assert.match(pre.headers.get('access-control-allow-methods') ?? '', /GET/);
      const evil = await preflight(app, '/oauth/userinfo', EVIL, 'GET', 'authorization');
      assert.equal(acao(evil), null);
      assert.equal(evil.headers.get('access-control-allow-headers'), null);
    });

    it("/oauth/userinfo: the token's own client's origin reads the claims; another partner's origin and a stranger do not", async () => {
      const call = (origin: string) => fetch(`${app.config.issuer}/userinfo`, { headers: { origin, authorization: `Bearer ${tokens.access_token}` } });
      const ok = await call(SPA);
      assert.equal(ok.status, 200);
      assert.equal(acao(ok), SPA);
      assert.equal(((await ok.json()) as { email: string }).email, EMAIL);
      const other = await call(OTHER);
      assert.equal(other.status, 400);
      assert.equal(acao(other), null);
      const evil = await call(EVIL);
      assert.equal(acao(evil), null);
      // Without a token the partner's page can still read why (WWW-Authenticate exposed).
      const none = await fetch(`${app.config.issuer}/userinfo`, { headers: { origin: SPA } });
      assert.equal(none.status, 401);
      assert.equal(acao(none), SPA);
      assert.match(none.headers.get('access-control-expose-headers') ?? '', /WWW-Authenticate/i);
    });

    it("/oauth/token: the client's origin may refresh; another partner's origin and a stranger get no CORS header", async () => {
      const pre = await preflight(app, '/oauth/token', SPA, 'POST', 'content-type');
      assert.equal(acao(pre), SPA);
      assert.equal(acao(await preflight(app, '/oauth/token', EVIL, 'POST', 'content-type')), null);
      const other = await tokenCall(OTHER, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token });
      assert.equal(other.status, 400);
      assert.equal(acao(other), null);
      const evil = await tokenCall(EVIL, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token });
      assert.equal(acao(evil), null);
      const ok = await tokenCall(SPA, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token });
      assert.equal(ok.status, 200);
      assert.equal(acao(ok), SPA);
      tokens.refresh_token = ((await ok.json()) as { refresh_token: string }).refresh_token;
    });

    it("/oauth/revoke: the client's origin only", async () => {
      const pre = await preflight(app, '/oauth/revoke', SPA, 'POST', 'content-type');
      assert.equal(acao(pre), SPA);
      assert.equal(acao(await preflight(app, '/oauth/revoke', EVIL, 'POST')), null);
      const revoke = (origin: string) =>
        fetch(`${app.config.issuer}/revoke`, {
          method: 'POST',
          headers: { origin, 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({ client_id: clientId, token: tokens.refresh_token }),
        });
      const other = await revoke(OTHER);
      assert.equal(acao(other), null);
      assert.equal(other.status, 400);
      const ok = await revoke(SPA);
      assert.equal(ok.status, 200);
      assert.equal(acao(ok), SPA);
    });

    it('the interaction, authorization and /bff routes never answer CORS, even to a partner', async () => {
      for (const path of ['/bff/session', '/bff/logout', '/bff/interaction/x', '/oauth/authorize', '/interaction/x']) {
        const pre = await preflight(app, path, SPA, 'POST', 'content-type');
        assert.equal(acao(pre), null, path);
        const get = await fetch(`${app.url}${path}`, { headers: { origin: SPA }, redirect: 'manual' });
        assert.equal(acao(get), null, path);
      }
    });
  });
}
