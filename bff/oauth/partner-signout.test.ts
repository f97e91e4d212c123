/**
 * Decision 0008: a partner's refresh token and the person's portal sign-out,
 * per flow. The same browser signs in to the portal (BFF) and authorizes the
 * partner, then signs out of the portal:
 *
 * - OIDC with `offline_access` granted: the refresh token keeps working.
 * - OIDC without `offline_access`: it ends with the browser session (OIDC Core §11).
 * - classic OAuth 2 (no `openid`, seed 004): it keeps working.
 * - WorkOS (seed 003): it keeps working; WorkOS's own session logout ends it.
 *
 * Each surviving token still dies by the other rules (revocation from "Connected
 * apps", a password change, a disabled account, the WorkOS session's logout);
 * those have their own tests, and two of them are repeated here.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as oidc from 'openid-client';
import { AuthorizationCode } from 'simple-oauth2';
import { startTestApp, type TestApp } from '../testing/test-app.ts';
import { authorizeThrough, signedInAgent, type Agent } from '../testing/agent.ts';
import { PARTNER_REDIRECT, refreshWith, testPartner, type TestPartner } from '../testing/partner.ts';
import { createAccount } from '../accounts/accounts.ts';
import { registerClient } from './clients.ts';
import { partner as workosPartner, sdk, signIn as workosSignIn, type Partner } from '../compat/workos/test-helpers.ts';

const PASSWORD = 'correct horse battery staple';
const EMAIL = 'sam@example.com';

/** openid-client through the signed-in browser; returns the refresh token. */
async function oidcRefreshToken(app: TestApp, p: TestPartner, agent: Agent, scope: string, extra: Record<string, string> = {}): Promise<string> {
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const url = oidc.buildAuthorizationUrl(p.config, {
    redirect_uri: PARTNER_REDIRECT,
    scope,
    state,
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    ...extra,
  });
  const end = await authorizeThrough(agent, url.href, { email: EMAIL, password: PASSWORD });
  const tokens = await oidc.authorizationCodeGrant(p.config, end, { pkceCodeVerifier: verifier, expectedState: state });
  assert.ok(tokens.refresh_token, 'a refresh token is issued');
  return tokens.refresh_token;
}

async function portalSignOut(agent: Agent): Promise<void> {
  const res = await agent.api('POST', '/bff/logout', {});
  assert.equal(res.status, 200);
  assert.equal(
    (await agent.api('GET', '/bff/session')).status === 200 &&
      ((await (await agent.api('GET', '/bff/session')).json()) as { authenticated: boolean }).authenticated,
    false,
  );
}

for (const db of ['sqlite', 'postgres'] as const) {
  describe(`partner refresh tokens after portal sign-out (${db})`, () => {
    let app: TestApp;
    let oidcPartner: TestPartner;
    before(async () => {
      app = await startTestApp({ db });
      await createAccount(app.store, { email: EMAIL, password: PASSWORD, name: 'Sam' }, Date.now());
      oidcPartner = await testPartner(app);
    });
    after(() => app.close());

    it('OIDC with offline_access: the refresh token outlives the sign-out', async () => {
      const agent = await signedInAgent(app.url, EMAIL, PASSWORD);
      // OIDC Core §11: offline_access is granted only with prompt=consent (else the provider drops it).
      const rt = await oidcRefreshToken(app, oidcPartner, agent, 'openid email offline_access', { prompt: 'consent' });
      await portalSignOut(agent);
      assert.equal((await refreshWith(app, oidcPartner, rt)).status, 200);
    });

    it('OIDC without offline_access: the refresh token ends with the browser session', async () => {
      const agent = await signedInAgent(app.url, EMAIL, PASSWORD);
      const rt = await oidcRefreshToken(app, oidcPartner, agent, 'openid email');
      const before = await refreshWith(app, oidcPartner, rt);
      assert.equal(before.status, 200, 'works while the session lasts');
      await portalSignOut(agent);
      const after = await refreshWith(app, oidcPartner, before.body.refresh_token!);
      assert.deepEqual([after.status, after.body.error], [400, 'invalid_grant']);
    });

    it('classic OAuth 2 (no openid): the refresh token outlives the sign-out', async () => {
      const reg = await registerClient(
        app.store,
        { name: 'Classic', redirectUris: [PARTNER_REDIRECT], isPublic: false, scopes: ['basic'], defaultScope: 'basic' },
        Date.now(),
      );
      const classic = new AuthorizationCode({
        client: { id: reg.client.clientId, secret: reg.secret! },
        auth: { tokenHost: app.url, tokenPath: '/oauth/token', authorizePath: '/oauth/authorize' },
        options: { authorizationMethod: 'body' },
      });
      const agent = await signedInAgent(app.url, EMAIL, PASSWORD);
      const end = await authorizeThrough(agent, classic.authorizeURL({ redirect_uri: PARTNER_REDIRECT }), { email: EMAIL, password: PASSWORD });
      const token = await classic.getToken({ code: end.searchParams.get('code')!, redirect_uri: PARTNER_REDIRECT });
      await portalSignOut(agent);
      const refreshed = await token.refresh();
      assert.equal(typeof refreshed.token.access_token, 'string');
      assert.equal(refreshed.token.scope, 'basic');

      // It still ends when the person disconnects the app from "Connected apps".
      const again = await signedInAgent(app.url, EMAIL, PASSWORD);
      assert.equal((await again.api('DELETE', `/bff/account/apps/${reg.client.clientId}`)).status, 200);
      await assert.rejects(refreshed.refresh(), (e: { output?: { statusCode?: number } }) => e.output?.statusCode === 400);
    });

    it('WorkOS: the session outlives the portal sign-out, and its own logout ends it', async () => {
      const p: Partner = await workosPartner(app, false);
      const agent = await signedInAgent(app.url, EMAIL, PASSWORD);
      const { code } = await workosSignIn(app, p, EMAIL, { agent });
      const um = sdk(app, p).userManagement;
      const auth = await um.authenticateWithCode({ code, clientId: p.clientId });
      await portalSignOut(agent);
      const renewed = await um.authenticateWithRefreshToken({ refreshToken: auth.refreshToken, clientId: p.clientId });
      assert.equal(renewed.user.email, EMAIL);

      const sid = (JSON.parse(Buffer.from(renewed.accessToken.split('.')[1]!, 'base64url').toString()) as { sid: string }).sid;
      const logout = await fetch(`${app.url}/user_management/sessions/logout?session_id=${encodeURIComponent(sid)}`, {
        headers: { authorization: `Bearer ${p.secret}` },
        redirect: 'manual',
      });
      assert.equal(logout.status, 200);
      await assert.rejects(um.authenticateWithRefreshToken({ refreshToken: renewed.refreshToken, clientId: p.clientId }));
    });
  });
}
