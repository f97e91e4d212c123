/**
 * Behind TLS (an https PUBLIC_URL), every cookie the browser sign-in sets is
 * Secure, HttpOnly and SameSite (Strict or Lax for the BFF's own), with no Domain, and is `__Host-` (Path=/) —
 * or `__Secure-` when oidc-provider scopes it below /oauth/authorize/. The
 * server still listens on http loopback behind a (simulated) TLS proxy: the
 * browser's requests reach it with X-Forwarded-Proto, and the BFF reaches its
 * own provider over loopback, never through PUBLIC_URL.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestApp, type TestApp } from '../testing/test-app.ts';
import { signedInAgent, type Agent } from '../testing/agent.ts';
import { createAccount } from '../accounts/accounts.ts';

const PASSWORD = 'correct horse battery staple';
const PUBLIC = 'https://portal.test';

/**
 * Stands in for the TLS proxy: requests to PUBLIC go to the loopback server with
 * X-Forwarded-Proto/Host, and every Set-Cookie they get back is recorded.
 */
function tlsProxy(app: TestApp, seen: string[]): () => void {
  const original = globalThis.fetch;
  globalThis.fetch = async (input: string | URL | Request, init?: RequestInit) => {
    const url = new URL(input instanceof Request ? input.url : input);
    if (url.origin !== PUBLIC) return original(input, init);
    const headers = new Headers(init?.headers);
    headers.set('x-forwarded-proto', 'https');
    headers.set('x-forwarded-host', url.host);
    const res = await original(new URL(url.pathname + url.search, app.url), { ...init, headers });
    seen.push(...res.headers.getSetCookie().map((c) => `${url.pathname} → ${c}`));
    return res;
  };
  return () => {
    globalThis.fetch = original;
  };
}

function attributes(setCookie: string): { name: string; attrs: Map<string, string> } {
  const [pair, ...rest] = setCookie.split(';');
  const attrs = new Map(rest.map((a) => a.trim().split('=')).map(([k, v]) => [k!.toLowerCase(), v ?? ''] as [string, string]));
  return { name: pair!.slice(0, pair!.indexOf('=')).trim(), attrs };
}

for (const db of ['sqlite', 'postgres'] as const) {
  describe(`cookies over https (${db})`, () => {
    let app: TestApp;
    let restore: () => void;
    const seen: string[] = [];
    before(async () => {
      app = await startTestApp({ db, env: { PUBLIC_URL: PUBLIC, TRUST_PROXY: '1' } });
      await createAccount(app.store, { email: 'pat@example.com', password: PASSWORD }, Date.now());
      restore = tlsProxy(app, seen);
    });
    after(async () => {
      restore();
      await app.close();
    });

    it('signs in, reads the session and signs out through the https origin', async () => {
      assert.equal(app.config.secureCookies, true);
      const agent: Agent = await signedInAgent(PUBLIC, 'pat@example.com', PASSWORD);
      const session = await (await agent.api('GET', '/bff/session')).json();
      assert.equal(session.user.email, 'pat@example.com');
      const out = await agent.api('POST', '/bff/logout');
      assert.equal(out.status, 200);
      assert.deepEqual(await (await agent.api('GET', '/bff/session')).json(), { authenticated: false });
    });

    it('every Set-Cookie of that flow is Secure, HttpOnly, SameSite, host-only and prefixed', () => {
      const names = new Set(seen.map((line) => attributes(line.split(' → ')[1]!).name));
      for (const expected of ['__Host-portal', '__Host-portal-tx']) assert.ok(names.has(expected), `${expected} among ${[...names].join(', ')}`);
      assert.ok(
        [...names].some((n) => n.includes('portal_op')),
        'the provider cookies are among them',
      );
      for (const line of seen) {
        const { name, attrs } = attributes(line.split(' → ')[1]!);
        assert.ok(attrs.has('secure'), `Secure: ${line}`);
        assert.ok(attrs.has('httponly'), `HttpOnly: ${line}`);
        assert.match(attrs.get('samesite') ?? '', /^(strict|lax|none)$/i, `SameSite: ${line}`);
        // The BFF's own cookies never travel cross-site (the provider's session may, for form posts).
        if (/^__Host-portal(-tx)?(\.sig)?$/.test(name)) assert.match(attrs.get('samesite')!, /^(strict|lax)$/i, `SameSite Strict or Lax: ${line}`);
        assert.equal(attrs.has('domain'), false, `no Domain: ${line}`);
        if (attrs.get('path') === '/') assert.ok(name.startsWith('__Host-'), `__Host- prefix: ${line}`);
        else {
          assert.ok(name.startsWith('__Secure-'), `a cookie below / is at least __Secure-: ${line}`);
          assert.match(attrs.get('path') ?? '', /^\/oauth\/authorize\//, `only the provider's resume cookie lives below /: ${line}`);
        }
      }
    });
  });
}
