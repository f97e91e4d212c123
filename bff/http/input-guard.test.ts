/**
 * Input no endpoint can mean is refused at the edge, in each endpoint's own
 * format, and never reaches the database (PostgreSQL answers a NUL with
 * SQLSTATE 22021): NUL, malformed percent-encoding, non-UTF-8 bytes, JSON in
 * another charset. Cookies that do not unseal are no session, never a 500.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestApp, type TestApp } from '../testing/test-app.ts';
import { Agent } from '../testing/agent.ts';
import { registerClient } from '../oauth/clients.ts';
import { z } from 'zod';
import { parse } from './validate.ts';
import { AppError } from './errors.ts';

const REDIRECT = 'https://partner.example/cb';
// Each shaped like an iron seal, and each makes iron-session throw instead of answering "no session".
const BAD_SEALS = ['a*b*c*d*e*f*g*h', 'Fe26.2*1*a*b*c*soon*e*f~2', 'Fe26.2*toString*a*b*c**e*f~2'];

async function json(res: Response): Promise<Record<string, unknown>> {
  assert.match(res.headers.get('content-type') ?? '', /json/);
  return (await res.json()) as Record<string, unknown>;
}

for (const db of ['sqlite', 'postgres'] as const) {
  describe(`edge input checks (${db})`, () => {
    let app: TestApp;
    let basic: string;
    before(async () => {
      app = await startTestApp({ db });
      const { client, secret } = await registerClient(
        app.store,
        { name: 'Edge App', redirectUris: [REDIRECT], isPublic: false, scopes: ['openid'] },
        Date.now(),
      );
      basic = `Basic ${Buffer.from(`${client.clientId}:${secret}`).toString('base64')}`;
    });
    after(() => app.close());

    const sameOrigin = () => ({ origin: app.url, 'sec-fetch-site': 'same-origin', 'x-portal-csrf': '1' });

    it('a NUL or a bad percent-escape in the URL: 400 in WorkOS JSON at /sso/jwks', async () => {
      for (const id of ['%00', 'a%00b', '%ED%A0%80', '%E0%A4%A', '%zz']) {
        const res = await fetch(`${app.url}/sso/jwks/${id}`);
        assert.equal(res.status, 400, id);
        const body = await json(res);
        assert.equal(body.error, 'invalid_request');
        assert.equal(body.code, 'invalid_request');
        assert.match(String(body.message), /NUL|percent/);
      }
    });

    it('a NUL in /oauth/authorize: a 400 page, never a redirect to the client', async () => {
      const res = await fetch(`${app.url}/oauth/authorize?client_id=a%00b&redirect_uri=${encodeURIComponent(REDIRECT)}&response_type=code&scope=openid`, {
        redirect: 'manual',
      });
      assert.equal(res.status, 400);
      assert.equal(res.headers.get('location'), null);
      assert.match(res.headers.get('content-type') ?? '', /html/);
      assert.match(await res.text(), /invalid_request.*NUL character/s);
    });

    it('a NUL in a token request or in Basic credentials: RFC 6749 invalid_request', async () => {
      const token = await fetch(`${app.url}/oauth/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic },
        body: `grant_type=authorization_code&code=a%00b&redirect_uri=${encodeURIComponent(REDIRECT)}`,
      });
      assert.equal(token.status, 400);
      assert.deepEqual(await json(token), { error: 'invalid_request', error_description: 'The request body contains a NUL character.' });
      // Raw non-ASCII text beside a percent escape is valid UTF-8 and passes the guard: the provider judges the code.
      const accented = await fetch(`${app.url}/oauth/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic },
        body: `grant_type=authorization_code&code=caf\u00e9-${'%C3%A9'}&redirect_uri=${encodeURIComponent(REDIRECT)}`,
      });
      assert.equal(accented.status, 400);
      assert.equal((await json(accented)).error, 'invalid_grant');
      // A percent-encoded byte that is not UTF-8 still is not.
      const latin = await fetch(`${app.url}/oauth/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic },
        body: `grant_type=authorization_code&code=caf\u00e9-%E9&redirect_uri=${encodeURIComponent(REDIRECT)}`,
      });
      assert.deepEqual(await json(latin), {
        error: 'invalid_request',
        error_description: 'The request body has percent-encoded bytes that are not UTF-8.',
      });
      const nulClient = `Basic ${Buffer.from('a\u0000b:secret').toString('base64')}`;
      for (const path of ['/oauth/token', '/oauth/revoke', '/oauth/introspect']) {
        const res = await fetch(`${app.url}${path}`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: nulClient },
          body: 'token=x',
        });
        assert.equal(res.status, 400, path);
        assert.equal((await json(res)).error, 'invalid_request');
      }
    });

    it('a NUL in a JSON value or key: 400 in the BFF, WorkOS and SaG formats', async () => {
      const bff = await fetch(`${app.url}/bff/setup`, {
        method: 'POST',
        headers: { ...sameOrigin(), 'content-type': 'application/json' },
        body: JSON.stringify({ token: 'x', email: 'a\u0000@example.com' }),
      });
      assert.equal(bff.status, 400);
      assert.deepEqual(await json(bff), {
        error: 'invalid_request',
        message: 'email: must not contain a NUL character.',
        fields: { email: 'must not contain a NUL character.' },
      });

      const workos = await fetch(`${app.url}/user_management/authenticate`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ grant_type: 'authorization_code', client_id: 'a\u0000b', client_secret: 'x', code: 'c' }),
      });
      assert.equal(workos.status, 400);
      const w = await json(workos);
      assert.equal(w.error, 'invalid_request');
      assert.equal(w.message, 'client_id: must not contain a NUL character.');

      const sag = await fetch(`${app.url}/admin/login/auth_code`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ ClientId: 'a\u0000b', ClientSecret: 'x', Username: 'u@example.com', Password: 'p' }),
      });
      assert.equal(sag.status, 400);
      const s = (await json(sag)) as { Header: Record<string, unknown> };
      assert.equal(s.Header.ErrorId, 'invalid_request');
      assert.equal(s.Header.Status, 'Error');

      const key = await fetch(`${app.url}/bff/setup`, {
        method: 'POST',
        headers: { ...sameOrigin(), 'content-type': 'application/json' },
        body: '{"a\\u0000":1}',
      });
      assert.equal(key.status, 400);
    });

    it('JSON in any charset but UTF-8 is 415, everywhere JSON is read', async () => {
      for (const charset of ['utf-7', 'utf-16', 'latin1']) {
        const ct = `application/json; charset=${charset}`;
        const bff = await fetch(`${app.url}/bff/logout`, { method: 'POST', headers: { ...sameOrigin(), 'content-type': ct }, body: '{}' });
        assert.equal(bff.status, 415, charset);
        assert.equal((await json(bff)).error, 'charset_unsupported');
        const workos = await fetch(`${app.url}/user_management/authenticate`, { method: 'POST', headers: { 'content-type': ct }, body: '{}' });
        assert.equal(workos.status, 415, charset);
        const sag = await fetch(`${app.url}/admin/login/auth_code`, { method: 'POST', headers: { 'content-type': ct }, body: '{}' });
        assert.equal(sag.status, 415, charset);
      }
      const ok = await fetch(`${app.url}/bff/logout`, {
        method: 'POST',
        headers: { ...sameOrigin(), 'content-type': 'application/json; charset="UTF-8"' },
        body: '{}',
      });
      assert.equal(ok.status, 200);
    });

    it('JSON nested deeper than 32 levels is a 400, not a stack overflow', async () => {
      const deep = '['.repeat(5000) + ']'.repeat(5000);
      const res = await fetch(`${app.url}/bff/setup`, {
        method: 'POST',
        headers: { ...sameOrigin(), 'content-type': 'application/json' },
        body: `{"a":${deep}}`,
      });
      assert.equal(res.status, 400);
      assert.deepEqual(await json(res), {
        error: 'invalid_request',
        message: 'body: nests deeper than 32 levels.',
        fields: { body: 'nests deeper than 32 levels.' },
      });
    });

    it('a session cookie that does not unseal is no session: logout and session answer normally', async () => {
      for (const seal of BAD_SEALS) {
        const logout = await fetch(`${app.url}/bff/logout`, { method: 'POST', headers: { ...sameOrigin(), cookie: `portal=${seal}` } });
        assert.equal(logout.status, 200, seal);
        assert.deepEqual(await logout.json(), { redirectTo: '/' });
        const session = await fetch(`${app.url}/bff/session`, { headers: { cookie: `portal=${seal}` } });
        assert.deepEqual(await session.json(), { authenticated: false });
      }
    });

    it('a sign-in cookie that does not unseal: /bff/login starts over, /bff/callback says to start again', async () => {
      for (const seal of BAD_SEALS) {
        const agent = new Agent(app.url);
        const login = await agent.get('/bff/login', { cookie: `portal-tx=${seal}` });
        assert.equal(login.status, 303, seal);
        assert.ok(agent.jar.get('portal-tx')?.value.startsWith('Fe26.2*'), 'a fresh sign-in transaction');
        const callback = await fetch(`${app.url}/bff/callback?code=x&state=y`, { headers: { cookie: `portal-tx=${seal}` } });
        assert.equal(callback.status, 400);
        assert.match(await callback.text(), /not started here or has already been completed\. Start again\./);
      }
    });
  });
}

describe('validate.parse', () => {
  it('refuses a NUL in any parsed field, whatever reached it, as a 400 naming the field', () => {
    const schema = z.object({ name: z.string(), tags: z.array(z.string()) });
    assert.deepEqual(parse(schema, { name: 'Ann', tags: ['a'] }), { name: 'Ann', tags: ['a'] });
    assert.throws(
      () => parse(schema, { name: 'Ann', tags: ['a', 'b\u0000'] }),
      (e: unknown) => e instanceof AppError && e.status === 400 && e.code === 'invalid_request' && e.fields?.['tags.1'] === 'must not contain a NUL character.',
    );
  });
});
