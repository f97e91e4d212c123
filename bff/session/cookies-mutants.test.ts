/**
 * The BFF's own cookies over plain http (a development PUBLIC_URL), where
 * mutation testing (docs/mutation.md) found their attributes unchecked:
 * iron-session's defaults are HttpOnly, Secure and Path=/, so dropping our
 * settings went unnoticed over https (https-cookies.test.ts). Over http the
 * names carry no `__Host-` prefix, the cookies are not Secure (or an http
 * browser would never send them back), and they stay HttpOnly, Path=/ and
 * SameSite (Strict for the session, Lax for the sign-in in progress), with the
 * transaction cookie living ten minutes. On SQLite and PostgreSQL.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestApp, type TestApp } from '../testing/test-app.ts';
import { Agent, authorizeThrough } from '../testing/agent.ts';
import { createAccount } from '../accounts/accounts.ts';

const PASSWORD = 'correct horse battery staple';

function attributes(setCookie: string): { name: string; attrs: Map<string, string> } {
  const [pair, ...rest] = setCookie.split(';');
  const attrs = new Map(rest.map((a) => a.trim().split('=')).map(([k, v]) => [k!.toLowerCase(), v ?? ''] as [string, string]));
  return { name: pair!.slice(0, pair!.indexOf('=')).trim(), attrs };
}

for (const db of ['sqlite', 'postgres'] as const) {
  describe(`the BFF's cookies over plain http (${db})`, () => {
    let app: TestApp;
    before(async () => {
      app = await startTestApp({ db });
      await createAccount(app.store, { email: 'pat@example.com', password: PASSWORD }, Date.now());
    });
    after(() => app.close());

    it('sets portal-tx (Lax, ten minutes) at login and portal (Strict) at the callback: HttpOnly, Path=/, not Secure', async () => {
      const seen: string[] = [];
      const agent = new Agent(app.url);
      const store = agent.store.bind(agent);
      agent.store = (res: Response) => {
        seen.push(...res.headers.getSetCookie());
        store(res);
      };
      const end = await authorizeThrough(agent, '/bff/login?returnTo=/account', { email: 'pat@example.com', password: PASSWORD });
      assert.equal(end.pathname, '/account');
      const ours = seen.map(attributes).filter((c) => c.name === 'portal' || c.name === 'portal-tx');
      const tx = ours.find((c) => c.name === 'portal-tx' && c.attrs.has('max-age') && c.attrs.get('max-age') !== '0');
      const session = ours.find((c) => c.name === 'portal' && c.attrs.get('max-age') !== '0');
      assert.ok(tx && session, seen.join('\n'));
      assert.equal(tx.attrs.get('samesite')?.toLowerCase(), 'lax');
      assert.equal(Number(tx.attrs.get('max-age')), 600 - 60, 'iron-session ends the cookie a minute before the seal');
      assert.equal(session.attrs.get('samesite')?.toLowerCase(), 'strict');
      for (const c of [tx, session]) {
        assert.equal(c.attrs.has('httponly'), true, c.name);
        assert.equal(c.attrs.get('path'), '/', c.name);
        assert.equal(c.attrs.has('secure'), false, `${c.name} is not Secure over http`);
        assert.equal(c.attrs.has('domain'), false, c.name);
      }
      assert.equal((await agent.api('GET', '/bff/account')).status, 200, 'and the browser is signed in with them');

      // Signing out clears the session cookie in the browser, not only the session on the server.
      const out = await agent.api('POST', '/bff/logout');
      assert.equal(out.status, 200);
      const cleared = out.headers
        .getSetCookie()
        .map(attributes)
        .find((c) => c.name === 'portal');
      assert.ok(cleared, 'logout sends a Set-Cookie for the session cookie');
      assert.equal(cleared.attrs.get('max-age'), '0');
      assert.equal(agent.jar.has('portal'), false);
    });
  });
}
