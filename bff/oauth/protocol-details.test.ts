/**
 * Small protocol requirements at /oauth: token responses are uncacheable for
 * HTTP/1.0 caches too (RFC 6749 §5.1), the provider's pages run no script but
 * the one oidc-provider hashes into the CSP, and over https the authorization
 * endpoint takes POST (OpenID Connect Core §3.1.2.1) with `__Host-` cookies,
 * even when the TLS proxy in front is not trusted for X-Forwarded-Proto.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { startTestApp, type TestApp } from '../testing/test-app.ts';
import { Agent, authorizeThrough, signedInAgent } from '../testing/agent.ts';
import { createAccount } from '../accounts/accounts.ts';
import { registerClient } from './clients.ts';

const PASSWORD = 'correct horse battery staple';
const REDIRECT = 'https://partner.example/cb';

function scriptSrc(res: Response): string[] {
  const csp = res.headers.get('content-security-policy') ?? '';
  const directive = csp
    .split(';')
    .map((d) => d.trim().split(/\s+/))
    .find(([name]) => name === 'script-src');
  assert.ok(directive, `a script-src directive in ${csp}`);
  return directive.slice(1);
}

for (const db of ['sqlite', 'postgres'] as const) {
  describe(`protocol details at /oauth (${db})`, () => {
    let app: TestApp;
    let https: TestApp;
    let partner: { clientId: string; secret: string };
    before(async () => {
      app = await startTestApp({ db });
      await createAccount(app.store, { email: 'pat@example.com', password: PASSWORD, name: 'Pat' }, Date.now());
      const { client, secret } = await registerClient(
        app.store,
        { name: 'Detail App', redirectUris: [REDIRECT], isPublic: false, scopes: ['openid', 'profile'] },
        Date.now(),
      );
      partner = { clientId: client.clientId, secret: secret! };
      // Served over http loopback, PUBLIC_URL https, and no TRUST_PROXY: a TLS proxy we do not trust for headers.
      https = await startTestApp({ db, env: { PUBLIC_URL: 'https://portal.test' } });
    });
    after(async () => {
      await app.close();
      await https.close();
    });

    it('token responses, success and error, carry Cache-Control: no-store and Pragma: no-cache', async () => {
      const authorize = `/oauth/authorize?${new URLSearchParams({ client_id: partner.clientId, redirect_uri: REDIRECT, response_type: 'code', scope: 'openid profile', state: 's1' })}`;
      const end = await authorizeThrough(new Agent(app.url), authorize, { email: 'pat@example.com', password: PASSWORD });
      const code = end.searchParams.get('code');
      assert.ok(code, `a code in ${end.href}`);
      const exchange = () =>
        fetch(`${app.url}/oauth/token`, {
          method: 'POST',
          headers: {
            'content-type': 'application/x-www-form-urlencoded',
            authorization: `Basic ${Buffer.from(`${partner.clientId}:${partner.secret}`).toString('base64')}`,
          },
          body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT }),
        });
      const ok = await exchange();
      assert.equal(ok.status, 200);
      assert.ok(((await ok.json()) as { access_token?: string }).access_token);
      const reused = await exchange();
      assert.equal(reused.status, 400);
      for (const res of [ok, reused]) {
        assert.equal(res.headers.get('cache-control'), 'no-store');
        assert.equal(res.headers.get('pragma'), 'no-cache');
      }
    });

    it('the logout confirmation runs no script; the only inline script (auto-submit) is hashed into script-src', async () => {
      const agent = await signedInAgent(app.url, 'pat@example.com', PASSWORD);
      const confirm = await agent.get('/oauth/logout');
      assert.equal(confirm.status, 200);
      const page = await confirm.text();
      assert.match(page, /Sign out/);
      assert.doesNotMatch(page, /<script/i);
      assert.deepEqual(scriptSrc(confirm), ["'self'"]);

      // With no provider session there is nothing to confirm: oidc-provider's self-submitting form.
      const auto = await fetch(`${app.url}/oauth/logout`);
      const html = await auto.text();
      const inline = /<script>([\s\S]*?)<\/script>/.exec(html);
      assert.ok(inline, 'the auto-submitting page has its script');
      const hash = `'sha256-${createHash('sha256').update(inline[1]!).digest('base64')}'`;
      assert.deepEqual(scriptSrc(auto), ["'self'", hash]);
      assert.match(html, /<noscript>[\s\S]*<button/);
    });

    it('over https, /oauth/authorize takes POST as well as GET, and its cookies are __Host-', async () => {
      const params = {
        client_id: 'portal-bff',
        redirect_uri: 'https://portal.test/bff/callback',
        response_type: 'code',
        scope: 'openid',
        state: 's',
        nonce: 'n',
        code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
        code_challenge_method: 'S256',
      };
      const get = await fetch(`${https.url}/oauth/authorize?${new URLSearchParams(params)}`, { redirect: 'manual' });
      const post = await fetch(`${https.url}/oauth/authorize`, {
        method: 'POST',
        redirect: 'manual',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams(params),
      });
      for (const res of [get, post]) {
        assert.equal(res.status, 303);
        assert.match(res.headers.get('location') ?? '', /^\/interaction\/[\w-]+$/);
        const names = res.headers.getSetCookie().map((c) => c.slice(0, c.indexOf('=')));
        assert.deepEqual(names.sort(), ['__Host-portal_op_i', '__Host-portal_op_i.sig', '__Secure-portal_op_r', '__Secure-portal_op_r.sig']);
        for (const c of res.headers.getSetCookie()) assert.match(c, /; secure/i);
      }
    });
  });
}
