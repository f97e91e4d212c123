/**
 * More of the WorkOS routes (routes.ts) that mutation testing
 * (docs/mutation.md) found unchecked, beside routes-mutants.test.ts: a
 * Bearer that does not start the header or has more after the key, an
 * unknown session's refusals, the wrong key's exact sentence, logout in the
 * person's own browser ending its portal sign-in, JWKS with public members
 * only, the body limits (64 KB, 100 form fields, flat form keys), the
 * partner's agent reaching the audit through a route, and the throttle's
 * Retry-After on a WorkOS answer. Real app and store, SQLite and PostgreSQL.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { decodeJwt } from 'jose';
import { startTestApp, type TestApp } from '../../testing/test-app.ts';
import { createAccount } from '../../accounts/accounts.ts';
import { introspectAccessToken } from '../../oauth/core.ts';
import { CLIENT_FAILURES_PER_SOURCE } from '../../oauth/client-throttle.ts';
import { partner, PASSWORD, rawAuthenticate, REDIRECT, signIn, type Partner } from './test-helpers.ts';

const T = { timeout: 20000 };
const SLOW = { timeout: 60000 };
const WRONG_KEY = 'Authenticate as the client this session belongs to (Authorization: Bearer <API key>).';

async function json(res: Response, status: number): Promise<Record<string, unknown>> {
  assert.equal(res.status, status, `status of ${res.url}`);
  assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
  return (await res.json()) as Record<string, unknown>;
}

async function page(res: Response, status: number): Promise<string> {
  assert.equal(res.status, status, `status of ${res.url}`);
  assert.match(res.headers.get('content-type') ?? '', /^text\/html/);
  return res.text();
}

for (const db of ['sqlite', 'postgres'] as const) {
  describe(`WorkOS routes, the edges (${db})`, () => {
    let app: TestApp;
    let conf: Partner;
    let n = 0;
    before(async () => {
      app = await startTestApp({ db, env: { TRUST_PROXY: '1', SIGNUP: 'open' } });
      conf = await partner(app, false);
    });
    after(() => app.close());

    const key = (p: Partner = conf) => ({ authorization: `Bearer ${p.secret}` });
    const person = () => createAccount(app.store, { email: `ed${++n}-${db}@example.com`, password: PASSWORD }, Date.now());
    async function session(p: Partner, email: string): Promise<{ accessToken: string; sid: string }> {
      const body = await json(
        await rawAuthenticate(app, { grant_type: 'password', client_id: p.clientId, client_secret: p.secret, email, password: PASSWORD }),
        200,
      );
      const accessToken = String(body.access_token);
      return { accessToken, sid: String(decodeJwt(accessToken).sid) };
    }
    const logout = (sid: string, headers: Record<string, string> = {}) =>
      fetch(`${app.url}/user_management/sessions/logout?${new URLSearchParams({ session_id: sid })}`, { redirect: 'manual', headers });

    it('a Bearer must start the header and be all of it; else the caller is a browser without the sign-in', SLOW, async () => {
      const user = await person();
      const { accessToken, sid } = await session(conf, user.email);
      for (const authorization of [`NotBearer ${conf.secret}`, `Bearer ${conf.secret} more`, `x Bearer ${conf.secret}`]) {
        assert.match(await page(await logout(sid, { authorization }), 401), /login_required/, authorization);
      }
      assert.ok(await introspectAccessToken(app.deps, accessToken), 'nothing ended');
      assert.equal((await logout(sid, key())).status, 200);
    });

    it("an unknown session: the wrong key's 401 with its sentence for an API caller, the page for a browser", T, async () => {
      assert.deepEqual(await json(await logout('grant_unknown', key()), 401), {
        error: 'invalid_client',
        error_description: WRONG_KEY,
        code: 'invalid_client',
        message: WRONG_KEY,
      });
      const browser = await page(await logout('grant_unknown'), 401);
      assert.match(browser, /<code>login_required<\/code>/);
      assert.match(
        browser,
        /This sign-out link only works in the browser that is signed in to the portal as the same person\. Sign in, then use the link again\./,
      );
      // A refusal is not an outage: no Retry-After.
      assert.equal((await logout('grant_unknown', key())).headers.get('retry-after'), null);
      assert.equal((await logout('grant_unknown')).headers.get('retry-after'), null);
    });

    it('authorize: a connection asked for by id is passed on; the sign-up screen (SIGNUP=open here) only for screen_hint=sign-up', T, async () => {
      const id = `conn_edge_${db}`;
      await app.store.federation.createConnection({
        id,
        name: `Edge ${db}`,
        issuer: 'https://idp.example',
        clientId: 'upstream-client',
        clientSecret: 'sealed-elsewhere',
        scopes: ['openid'],
        orgId: null,
        domains: [],
        createdAt: Date.now(),
        updatedAt: Date.now(),
      });
      const paramsOf = async (extra: string[][]) => {
        const q = new URLSearchParams([['client_id', conf.clientId], ...extra]);
        const res = await fetch(`${app.url}/user_management/authorize?${q}`, { redirect: 'manual' });
        assert.equal(res.status, 302, q.toString());
        return new URL(res.headers.get('location')!).searchParams;
      };
      assert.equal((await paramsOf([['connection_id', id]])).get('portal_connection'), id);
      const plain = await paramsOf([]);
      assert.equal(plain.has('portal_connection'), false);
      assert.equal(plain.has('portal_screen'), false);
      assert.deepEqual((await paramsOf([['screen_hint', 'sign-up']])).getAll('portal_screen'), ['sign-up']);
      for (const hint of ['sign-in', 'Sign-Up', '']) assert.equal((await paramsOf([['screen_hint', hint]])).has('portal_screen'), false, hint);
    });

    it("logout in the person's own browser ends the session and that browser's portal sign-in", SLOW, async () => {
      const user = await person();
      const mine = await signIn(app, conf, user.email);
      const res = await rawAuthenticate(app, { grant_type: 'authorization_code', client_id: conf.clientId, client_secret: conf.secret, code: mine.code });
      const accessToken = String((await json(res, 200)).access_token);
      const out = await mine.agent.get(`/user_management/sessions/logout?${new URLSearchParams({ session_id: String(decodeJwt(accessToken).sid) })}`);
      assert.equal(out.status, 200);
      assert.equal(await introspectAccessToken(app.deps, accessToken), null);
      const again = await mine.agent.follow(
        `/user_management/authorize?${new URLSearchParams({ client_id: conf.clientId, redirect_uri: REDIRECT, response_type: 'code' })}`,
        (u) => u.pathname.startsWith('/interaction/'),
      );
      assert.equal(again.url.pathname.startsWith('/interaction/'), true, `signed out of the portal, asked to sign in: ${again.url.href}`);
    });

    it('JWKS: exactly the public members of the keys the issuer publishes', T, async () => {
      const { keys } = await json(await fetch(`${app.url}/sso/jwks/${conf.clientId}`), 200);
      const issuer = (await (await fetch(`${app.config.issuer}/jwks`)).json()) as { keys: unknown[] };
      assert.deepEqual(keys, issuer.keys);
      for (const k of keys as Array<Record<string, unknown>>)
        assert.deepEqual(
          Object.keys(k).filter((m) => !['kty', 'crv', 'x', 'y', 'n', 'e', 'kid', 'alg', 'use'].includes(m)),
          [],
        );
    });

    it('bodies: over 64 KB refused (JSON and form), over 100 form fields refused, form keys kept flat', T, async () => {
      const big = 'x'.repeat(65 * 1024);
      const asJson = await fetch(`${app.url}/user_management/password_reset`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...key() },
        body: JSON.stringify({ email: big }),
      });
      assert.equal((await json(asJson, 413)).code, 'body_too_large');
      const form = (body: string) =>
        fetch(`${app.url}/user_management/password_reset`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded', ...key() },
          body,
        });
      assert.equal((await json(await form(`email=${big}`), 413)).code, 'body_too_large');
      const fields = Array.from({ length: 101 }, (_, i) => `f${i}=1`).join('&');
      assert.equal((await form(`email=a%40example.com&${fields}`)).status, 413);
      // `email[x]=…` is a field named so, not an object: the email is missing.
      const nested = await json(await form('email[x]=a%40example.com'), 422);
      assert.deepEqual(nested.errors, [{ field: 'email', code: 'email_invalid', message: 'Invalid input: expected string, received undefined' }]);
      assert.equal((await form('email=a%40example.com')).status, 201);
    });

    it("the partner server's agent reaches the audit through a route (revokeSession)", SLOW, async () => {
      const user = await person();
      const { sid } = await session(conf, user.email);
      const res = await fetch(`${app.url}/user_management/sessions/revoke`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'user-agent': 'Partner-Server/7', 'x-forwarded-for': '198.51.100.77', ...key() },
        body: JSON.stringify({ session_id: sid }),
      });
      assert.deepEqual(await json(res, 200), {});
      const entries = await app.store.audit.list({ kind: 'workos_session_ended', limit: 50 });
      const entry = entries.find((e) => (e.data as { session?: string }).session === sid);
      assert.deepEqual([entry?.ip, entry?.userAgent], ['198.51.100.77', 'Partner-Server/7']);
    });

    it("guessing a session's API key from one address: 429 with Retry-After on the WorkOS answer", SLOW, async () => {
      const user = await person();
      const { sid } = await session(conf, user.email);
      const guess = () => logout(sid, { 'x-forwarded-for': '203.0.113.99', authorization: 'Bearer wrong' });
      for (let i = 0; i < CLIENT_FAILURES_PER_SOURCE; i++) assert.equal((await guess()).status, 401);
      const limited = await guess();
      assert.equal((await json(limited, 429)).error, 'rate_limit_exceeded');
      assert.match(limited.headers.get('retry-after') ?? '', /^[1-9][0-9]*$/);
      assert.equal(limited.headers.get('cache-control'), 'no-store');
    });
  });
}
