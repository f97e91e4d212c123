/**
 * The BFF's own sign-in request and sign-out (session/login.ts), where
 * mutation testing (docs/mutation.md) asks for each part exactly: the
 * authorization URL's parameters (scope, PKCE S256 over the verifier kept in
 * the transaction cookie, state and nonce kept there too, the login hint, and
 * prompt=login with max_age=0 for a re-authentication, none of them
 * otherwise), and what logout ends behind the session: the row, the refresh
 * token's grant and the provider session, and the row alone when those have
 * already ended or its tokens no longer unseal. Through the real app, provider and
 * database, on SQLite and PostgreSQL.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { unsealData } from 'iron-session';
import { startTestApp, type TestApp } from '../testing/test-app.ts';
import { signedInAgent } from '../testing/agent.ts';
import { createAccount } from '../accounts/accounts.ts';
import { BFF_CLIENT_ID } from './oidc-client.ts';
import { sessionRow } from '../impersonation/test-helpers.ts';
import type { TxData } from './cookies.ts';

const PASSWORD = 'correct horse battery staple';

for (const db of ['sqlite', 'postgres'] as const) {
  describe(`the BFF's sign-in request and sign-out (${db})`, () => {
    let app: TestApp;
    before(async () => {
      app = await startTestApp({ db });
      await createAccount(app.store, { email: 'uma@example.com', password: PASSWORD }, Date.now());
    });
    after(() => app.close());

    /** /bff/login's redirect: the authorization URL's parameters and the transaction cookie's content. */
    const login = async (query: string) => {
      const res = await fetch(`${app.url}/bff/login?${query}`, { redirect: 'manual' });
      assert.equal(res.status, 303);
      const url = new URL(res.headers.get('location')!);
      const txName = app.deps.cookies.tx.cookieName;
      const cookie = res.headers.getSetCookie().find((c) => c.startsWith(`${txName}=`))!;
      const sealed = decodeURIComponent(cookie.slice(txName.length + 1).split(';')[0]!);
      const tx = await unsealData<TxData>(sealed, { password: app.config.cookieSecrets as Record<string, string>, ttl: 600 });
      return { url, params: Object.fromEntries(url.searchParams), tx };
    };

    it('asks for code + PKCE S256 + state + nonce, keeping the secrets in the transaction cookie', async () => {
      const { url, params, tx } = await login('returnTo=/account');
      assert.equal(url.origin + url.pathname, `${app.config.issuer}/authorize`);
      assert.deepEqual(params, {
        client_id: BFF_CLIENT_ID,
        response_type: 'code',
        redirect_uri: `${app.url}/bff/callback`,
        scope: 'openid profile email offline_access',
        code_challenge: createHash('sha256').update(tx.verifier!).digest('base64url'),
        code_challenge_method: 'S256',
        state: tx.state,
        nonce: tx.nonce,
      });
      assert.deepEqual(Object.keys(tx).sort(), ['nonce', 'returnTo', 'state', 'verifier']);
      assert.equal(tx.returnTo, '/account');
      assert.ok(tx.verifier!.length >= 43 && tx.state!.length >= 22 && tx.nonce!.length >= 22);
      const again = await login('returnTo=/account');
      assert.notEqual(again.tx.verifier, tx.verifier);
      assert.notEqual(again.tx.state, tx.state);
      assert.notEqual(again.tx.nonce, tx.nonce);
    });

    it('passes a login hint, and a re-authentication as prompt=login with max_age=0', async () => {
      const { params } = await login('returnTo=/account&login_hint=uma%40example.com&reauth=1');
      assert.deepEqual([params.login_hint, params.prompt, params.max_age], ['uma@example.com', 'login', '0']);
    });

    it('logout ends the session row, the grant behind its refresh token and the provider session', async () => {
      const agent = await signedInAgent(app.url, 'uma@example.com', PASSWORD);
      const row = await sessionRow(app, agent);
      const tokens = await app.sessions.tokens(row);
      assert.ok(tokens.refresh_token && tokens.sid);
      const rt = await app.provider.RefreshToken.find(tokens.refresh_token);
      assert.ok(rt?.grantId);
      assert.ok(await app.provider.Session.findByUid(tokens.sid));
      assert.equal((await agent.api('POST', '/bff/logout')).status, 200);
      assert.notEqual((await app.store.bffSessions.find(row.id))!.revokedAt, null);
      assert.equal(await app.provider.RefreshToken.find(tokens.refresh_token, { ignoreExpiration: true }), undefined, 'the grant’s tokens are revoked');
      assert.equal(await app.provider.Session.findByUid(tokens.sid), undefined, 'the provider session is gone');
    });

    it('logout still completes when the grant and the provider session already ended, or the tokens no longer unseal', async () => {
      const agent = await signedInAgent(app.url, 'uma@example.com', PASSWORD);
      const row = await sessionRow(app, agent);
      const tokens = await app.sessions.tokens(row);
      const rt = await app.provider.RefreshToken.find(tokens.refresh_token!);
      await app.store.oidc.revokeByGrantId(rt!.grantId!);
      await (await app.provider.Session.findByUid(tokens.sid!))!.destroy();
      const out = await agent.api('POST', '/bff/logout');
      assert.deepEqual([out.status, await out.json()], [200, { redirectTo: '/' }]);
      assert.notEqual((await app.store.bffSessions.find(row.id))!.revokedAt, null);

      // Sealed under a secret since retired: nothing behind it can be found, the row still ends.
      const sealedAway = await signedInAgent(app.url, 'uma@example.com', PASSWORD);
      const away = await sessionRow(app, sealedAway);
      await app.store.bffSessions.completeRefresh(away.id, 'Fe26.1**a*b*c*d*e*f', away.accessExpiresAt);
      app.sessions.forget(away.id);
      const out2 = await sealedAway.api('POST', '/bff/logout');
      assert.deepEqual([out2.status, await out2.json()], [200, { redirectTo: '/' }]);
      assert.notEqual((await app.store.bffSessions.find(away.id))!.revokedAt, null);
    });

    it('logout revokes the grant behind a refresh token that has expired', async () => {
      const agent = await signedInAgent(app.url, 'uma@example.com', PASSWORD);
      const row = await sessionRow(app, agent);
      const tokens = await app.sessions.tokens(row);
      const stored = (await app.store.oidc.find('RefreshToken', tokens.refresh_token!))!;
      const grantId = stored.payload.grantId as string;
      await app.store.oidc.upsert('RefreshToken', tokens.refresh_token!, { ...stored.payload, exp: Math.floor(Date.now() / 1000) - 60 }, null, { grantId });
      assert.equal(await app.provider.RefreshToken.find(tokens.refresh_token!), undefined, 'expired for the provider');
      assert.ok(await app.provider.AccessToken.find(tokens.access_token));
      assert.equal((await agent.api('POST', '/bff/logout')).status, 200);
      assert.equal(await app.provider.AccessToken.find(tokens.access_token), undefined, 'the grant’s access token is revoked too');
    });
  });
}
