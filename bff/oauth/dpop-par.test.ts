/**
 * Sender-constrained tokens and pushed authorization requests end to end
 * (issue 15): DPoP (RFC 9449) and PAR (RFC 9126) with openid-client as the
 * relying party, the per-client flags requiring them, and discovery naming
 * exactly what works; on SQLite and PostgreSQL.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as oidc from 'openid-client';
import { startTestApp, type TestApp } from '../testing/test-app.ts';
import { Agent, authorizeThrough } from '../testing/agent.ts';
import { createAccount } from '../accounts/accounts.ts';
import { registerClient } from './clients.ts';
import type { ClientRecord } from '../store/store.ts';

const PASSWORD = 'correct horse battery staple';
const EMAIL = 'dee@example.com';
const REDIRECT = 'https://partner.example/cb';
type Options = Pick<ClientRecord, 'requireDpop' | 'requirePar'>;

async function partner(app: TestApp, isPublic: boolean, options: Options = {}): Promise<oidc.Configuration> {
  const { client, secret } = await registerClient(
    app.store,
    { name: 'Bound App', redirectUris: [REDIRECT], isPublic, scopes: ['openid', 'email', 'offline_access'], options },
    Date.now(),
  );
  return oidc.discovery(new URL(app.config.issuer), client.clientId, {}, secret ? oidc.ClientSecretBasic(secret) : oidc.None(), {
    execute: [oidc.allowInsecureRequests],
  });
}

/** Signs in and consents through the real interaction; returns the redirect back and the PKCE verifier. */
async function signIn(app: TestApp, config: oidc.Configuration, opts: { par?: boolean; dpop?: oidc.DPoPHandle } = {}) {
  const verifier = oidc.randomPKCECodeVerifier();
  const params = {
    redirect_uri: REDIRECT,
    scope: 'openid email offline_access',
    prompt: 'consent',
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
  };
  const url = opts.par ? await oidc.buildAuthorizationUrlWithPAR(config, params, { DPoP: opts.dpop }) : oidc.buildAuthorizationUrl(config, params);
  const end = await authorizeThrough(new Agent(app.url), url.href, { email: EMAIL, password: PASSWORD });
  return { url, end, verifier };
}

/** The `error` of a refusal (oidc-provider hides invalid_grant descriptions). */
async function refusal(p: Promise<unknown>): Promise<string> {
  const e = await p.then(
    () => null,
    (err: unknown) => err,
  );
  if (e instanceof oidc.WWWAuthenticateChallengeError) return String(e.cause[0]?.parameters.error);
  assert.ok(e instanceof oidc.ResponseBodyError, `expected a refusal, got ${String(e)}`);
  return e.error;
}

for (const db of ['sqlite', 'postgres'] as const) {
  describe(`DPoP and PAR (${db})`, () => {
    let app: TestApp;
    before(async () => {
      app = await startTestApp({ db });
      await createAccount(app.store, { email: EMAIL, password: PASSWORD, name: 'Dee', emailVerified: true }, Date.now());
    });
    after(() => app.close());

    it('a DPoP-bound access token works with its proof and is refused without it, or as a bearer token, at userinfo', async () => {
      const config = await partner(app, false);
      const dpop = oidc.getDPoPHandle(config, await oidc.randomDPoPKeyPair());
      const { end, verifier } = await signIn(app, config);
      const tokens = await oidc.authorizationCodeGrant(config, end, { pkceCodeVerifier: verifier }, undefined, { DPoP: dpop });
      assert.equal(tokens.token_type, 'dpop');
      const sub = tokens.claims()!.sub;
      assert.equal((await oidc.fetchUserInfo(config, tokens.access_token, sub, { DPoP: dpop })).email, EMAIL);
      const asBearer = await fetch(`${app.config.issuer}/userinfo`, { headers: { authorization: `Bearer ${tokens.access_token}` } });
      assert.equal(asBearer.status, 401);
      assert.equal(((await asBearer.json()) as { error: string }).error, 'invalid_token');
      const noProof = await fetch(`${app.config.issuer}/userinfo`, { headers: { authorization: `DPoP ${tokens.access_token}` } });
      assert.equal(noProof.status, 401);
      assert.deepEqual(await noProof.json(), { error: 'invalid_dpop_proof', error_description: 'DPoP proof JWT not provided' });
      const otherKey = oidc.getDPoPHandle(config, await oidc.randomDPoPKeyPair());
      assert.equal(await refusal(oidc.fetchUserInfo(config, tokens.access_token, sub, { DPoP: otherKey })), 'invalid_token');
    });

    it("a public client's refresh token is bound to its DPoP key: refused without the proof or with another key", async () => {
      const config = await partner(app, true);
      const dpop = oidc.getDPoPHandle(config, await oidc.randomDPoPKeyPair());
      const { end, verifier } = await signIn(app, config);
      const tokens = await oidc.authorizationCodeGrant(config, end, { pkceCodeVerifier: verifier }, undefined, { DPoP: dpop });
      assert.ok(tokens.refresh_token);
      assert.equal(await refusal(oidc.refreshTokenGrant(config, tokens.refresh_token!)), 'invalid_grant');
      const otherKey = oidc.getDPoPHandle(config, await oidc.randomDPoPKeyPair());
      assert.equal(await refusal(oidc.refreshTokenGrant(config, tokens.refresh_token!, undefined, { DPoP: otherKey })), 'invalid_grant');
      const refreshed = await oidc.refreshTokenGrant(config, tokens.refresh_token!, undefined, { DPoP: dpop });
      assert.equal(refreshed.token_type, 'dpop');
    });

    it('a client registered as requiring DPoP gets no token without a proof, at the code exchange or on refresh', async () => {
      const config = await partner(app, false, { requireDpop: true });
      assert.equal(config.clientMetadata().dpop_bound_access_tokens, undefined, 'the flag lives on the server');
      const first = await signIn(app, config);
      assert.equal(await refusal(oidc.authorizationCodeGrant(config, first.end, { pkceCodeVerifier: first.verifier })), 'invalid_grant');
      const dpop = oidc.getDPoPHandle(config, await oidc.randomDPoPKeyPair());
      const { end, verifier } = await signIn(app, config);
      const tokens = await oidc.authorizationCodeGrant(config, end, { pkceCodeVerifier: verifier }, undefined, { DPoP: dpop });
      assert.equal(tokens.token_type, 'dpop');
      assert.equal(await refusal(oidc.refreshTokenGrant(config, tokens.refresh_token!)), 'invalid_grant');
      assert.equal((await oidc.refreshTokenGrant(config, tokens.refresh_token!, undefined, { DPoP: dpop })).token_type, 'dpop');
    });

    it('a pushed authorization request signs in once: its request_uri cannot be used again', async () => {
      const config = await partner(app, false);
      const { url, end, verifier } = await signIn(app, config, { par: true });
      assert.match(url.searchParams.get('request_uri') ?? '', /^urn:ietf:params:oauth:request_uri:/);
      assert.deepEqual([...url.searchParams.keys()].sort(), ['client_id', 'request_uri']);
      const tokens = await oidc.authorizationCodeGrant(config, end, { pkceCodeVerifier: verifier });
      assert.ok(tokens.access_token);
      const again = await new Agent(app.url).get(url.pathname + url.search);
      assert.equal(again.status, 400);
      assert.match(await again.text(), /invalid_request_uri/);
    });

    it('a client registered as requiring PAR cannot start a plain authorization request, but can push one', async () => {
      const config = await partner(app, false, { requirePar: true });
      const plain = oidc.buildAuthorizationUrl(config, {
        redirect_uri: REDIRECT,
        scope: 'openid',
        code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()),
        code_challenge_method: 'S256',
      });
      const res = await new Agent(app.url).get(plain.pathname + plain.search);
      assert.equal(res.status, 303, 'the error goes back to the registered redirect URI');
      const back = new URL(res.headers.get('location')!);
      assert.equal(back.origin + back.pathname, REDIRECT);
      assert.equal(back.searchParams.get('error'), 'invalid_request');
      assert.equal(back.searchParams.get('error_description'), 'Pushed Authorization Request must be used');
      const { end, verifier } = await signIn(app, config, { par: true });
      assert.ok((await oidc.authorizationCodeGrant(config, end, { pkceCodeVerifier: verifier })).access_token);
    });

    it('discovery advertises the grants, DPoP and PAR that work, and nothing more', async () => {
      const meta = (await (await fetch(`${app.config.issuer}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
      // Token exchange: the gateway's per-API tokens, for the portal's own client only (decision 0020).
      assert.deepEqual(meta.grant_types_supported, [
        'authorization_code',
        'refresh_token',
        'client_credentials',
        'urn:ietf:params:oauth:grant-type:device_code',
        'urn:ietf:params:oauth:grant-type:token-exchange',
      ]);
      assert.equal(meta.device_authorization_endpoint, `${app.config.issuer}/device/auth`);
      assert.deepEqual(meta.dpop_signing_alg_values_supported, ['ES256', 'Ed25519', 'EdDSA']);
      assert.equal(meta.pushed_authorization_request_endpoint, `${app.config.issuer}/request`);
      assert.equal(meta.require_pushed_authorization_requests, undefined, 'PAR is per client, not required of all');
      assert.deepEqual(meta.token_endpoint_auth_methods_supported, ['client_secret_basic', 'client_secret_post', 'private_key_jwt', 'none']);
    });
  });
}
