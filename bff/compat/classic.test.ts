/**
 * The classic provider (seed 004): a plain OAuth 2 client, simple-oauth2, with
 * nothing but the seed's instructions — GET /oauth/authorize with client_id,
 * redirect_uri and response_type=code, then POST /oauth/token with the client
 * secret in the body — completes sign-in, the code exchange and a refresh.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { AuthorizationCode } from 'simple-oauth2';
import { startTestApp, type TestApp } from '../testing/test-app.ts';
import { Agent, authorizeThrough } from '../testing/agent.ts';
import { createAccount } from '../accounts/accounts.ts';
import { registerClient } from '../oauth/clients.ts';

const PASSWORD = 'correct horse battery staple';
const REDIRECT = 'https://tradingparrot.example/callback';

function classicClient(app: TestApp, id: string, secret: string): AuthorizationCode {
  return new AuthorizationCode({
    client: { id, secret },
    auth: { tokenHost: app.url, tokenPath: '/oauth/token', authorizePath: '/oauth/authorize' },
    // The seed sends client_id and client_secret as body parameters.
    options: { authorizationMethod: 'body' },
  });
}

for (const db of ['sqlite', 'postgres'] as const) {
  describe(`classic OAuth 2 provider with simple-oauth2 (${db})`, () => {
    let app: TestApp;
    let client: AuthorizationCode;
    let clientId: string;
    before(async () => {
      app = await startTestApp({ db });
      await createAccount(app.store, { email: 'parrot@example.com', password: PASSWORD, name: 'Polly' }, Date.now());
      const reg = await registerClient(app.store, { name: 'The Trading Parrot', redirectUris: [REDIRECT], isPublic: false, scopes: ['basic'] }, Date.now());
      clientId = reg.client.clientId;
      client = classicClient(app, clientId, reg.secret!);
    });
    after(() => app.close());

    it('authorize → code → token (secret in the body) → refresh', async () => {
      const authorizeUrl = client.authorizeURL({ redirect_uri: REDIRECT, scope: 'basic', state: 'parrot-state' });
      assert.ok(authorizeUrl.startsWith(`${app.url}/oauth/authorize?`));
      const end = await authorizeThrough(new Agent(app.url), authorizeUrl, { email: 'parrot@example.com', password: PASSWORD });
      assert.equal(`${end.origin}${end.pathname}`, REDIRECT);
      assert.equal(end.searchParams.get('state'), 'parrot-state');
      const code = end.searchParams.get('code');
      assert.ok(code, `no code in ${end.href}`);

      const token = await client.getToken({ code, redirect_uri: REDIRECT });
      const t = token.token as Record<string, unknown>;
      assert.equal(String(t.token_type).toLowerCase(), 'bearer');
      assert.equal(typeof t.access_token, 'string');
      assert.equal(typeof t.refresh_token, 'string');
      assert.ok(Number(t.expires_in) > 0);
      assert.equal(t.scope, 'basic');
      assert.equal(token.expired(), false);

      const refreshed = await token.refresh();
      const r = refreshed.token as Record<string, unknown>;
      assert.equal(typeof r.access_token, 'string');
      assert.notEqual(r.access_token, t.access_token);
      assert.notEqual(r.refresh_token, t.refresh_token, 'refresh tokens rotate');
      assert.equal(r.scope, 'basic');

      // The code was single use, and the rotated-out refresh token is spent.
      await assert.rejects(client.getToken({ code, redirect_uri: REDIRECT }), (e: { output?: { statusCode?: number } }) => e.output?.statusCode === 400);
      await assert.rejects(token.refresh(), (e: { output?: { statusCode?: number } }) => e.output?.statusCode === 400);
    });

    it('a wrong secret in the body is refused by the token endpoint', async () => {
      const end = await authorizeThrough(new Agent(app.url), client.authorizeURL({ redirect_uri: REDIRECT, scope: 'basic', state: 's2' }), {
        email: 'parrot@example.com',
        password: PASSWORD,
      });
      const code = end.searchParams.get('code')!;
      const wrong = classicClient(app, clientId, 'not-the-secret');
      await assert.rejects(
        wrong.getToken({ code, redirect_uri: REDIRECT }),
        (e: { output?: { statusCode?: number; payload?: unknown } }) => e.output?.statusCode === 401,
      );
      // The refused attempt did not burn the code.
      assert.ok((await client.getToken({ code, redirect_uri: REDIRECT })).token.access_token);
    });
  });
}
