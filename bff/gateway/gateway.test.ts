/**
 * The gateway end to end: the real app (real provider, real store) forwards a
 * signed-in browser's calls to a real API that validates the JWT against the
 * portal's JWKS and checks audience and scope. On SQLite and PostgreSQL, with
 * a second instance sharing the database and the session.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer as createTcpServer, type AddressInfo } from 'node:net';
import { request } from 'node:http';
import { unsealData } from 'iron-session';
import { WebSocket } from 'ws';
import { startTestApp, type TestApp } from '../testing/test-app.ts';
import { Agent, signedInAgent } from '../testing/agent.ts';
import { startUpstreamApi, type UpstreamApi } from '../testing/upstream-api.ts';
import { createAccount } from '../accounts/accounts.ts';
import { createApiRoute, deleteApiRoute } from './route-table.ts';

const PASSWORD = 'correct horse battery staple';
const RESOURCE = 'https://orders.example';

async function freePort(): Promise<number> {
  const s = createTcpServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

for (const db of ['sqlite', 'postgres'] as const) {
  describe(`gateway on ${db}`, () => {
    let a: TestApp;
    let b: TestApp;
    let api: UpstreamApi;
    let garbage: ReturnType<typeof createTcpServer>;
    let user: Agent;
    before(async () => {
      a = await startTestApp({ db, env: { SESSION_CACHE_MS: '0' } });
      // b sits behind one trusted proxy hop (TRUST_PROXY=1); a trusts none.
      b = await startTestApp({ databaseUrl: a.config.databaseUrl, env: { PUBLIC_URL: a.url, SESSION_CACHE_MS: '0', TRUST_PROXY: '1' } });
      api = await startUpstreamApi({ issuer: a.config.issuer, audience: RESOURCE, scope: 'orders:read' });
      garbage = createTcpServer((s) => s.end('this is not http\r\n\r\n'));
      await new Promise<void>((r) => garbage.listen(0, '127.0.0.1', r));
      const now = Date.now();
      await a.store.resources.create({ identifier: RESOURCE, name: 'Orders', scopes: ['orders:read', 'orders:write'], createdAt: now });
      const route = { upstream: api.url, resource: RESOURCE, scopes: ['orders:read'] };
      await createApiRoute(a.store, { path: '/api/orders', ...route, maxBodyBytes: 4 * 1024 * 1024, timeoutMs: 1_000 }, now);
      await createApiRoute(a.store, { path: '/api/orders-admin', ...route, requireRole: 'admin' }, now);
      await createApiRoute(a.store, { path: '/api/public', upstream: api.url, anonymous: true }, now);
      await createApiRoute(a.store, { path: '/api/away', ...route, allowRedirects: true }, now);
      await createApiRoute(a.store, { path: '/api/down', ...route, upstream: `http://127.0.0.1:${await freePort()}` }, now);
      await createApiRoute(a.store, { path: '/api/garbage', ...route, upstream: `http://127.0.0.1:${(garbage.address() as AddressInfo).port}` }, now);
      await createAccount(a.store, { email: 'gw@example.com', password: PASSWORD }, now);
      user = await signedInAgent(a.url, 'gw@example.com', PASSWORD);
    });
    after(async () => {
      await api.close();
      garbage.close();
      await b.close();
      await a.close();
    });

    const sessionId = async () =>
      (await unsealData<{ sid: string }>(decodeURIComponent(user.jar.get('portal')!.value), { password: a.config.cookieSecrets as Record<string, string> }))
        .sid;

    it('forwards with a token for the resource and its scope, strips the portal cookie and CSRF header, sets X-Forwarded-*', async () => {
      const res = await user.api('POST', '/api/orders/items/7?x=1', { n: 1 }, { cookie: `${user.cookieHeader()}; app_pref=dark` });
      assert.equal(res.status, 200);
      const body = await res.json();
      assert.equal(body.aud, RESOURCE);
      assert.equal(body.scope, 'orders:read');
      assert.equal(body.path, '/items/7');
      assert.equal(body.query, '?x=1');
      assert.equal(body.method, 'POST');
      assert.equal(body.cookie, 'app_pref=dark', 'the portal cookie never reaches the API');
      assert.equal(body.csrf, null);
      assert.deepEqual(body.forwarded, { for: '127.0.0.1', host: new URL(a.url).host, proto: 'http' });
      assert.equal(body.requestId, res.headers.get('x-request-id'));
      // The token stays in the server-side session, sealed, and nowhere in what the browser got.
      const tokens = await a.sessions.tokens((await a.store.bffSessions.find(await sessionId()))!);
      const cached = Object.values(tokens.resources ?? {})[0]!.access_token;
      assert.ok(cached.length > 20);
      assert.ok(!JSON.stringify(body).includes(cached));
      assert.ok(![...res.headers.values()].some((v) => v.includes(cached)));
    });

    it('answers 401, 403 and CSRF refusals itself, before any upstream call', async () => {
      const hits = api.hits;
      const anonymous = new Agent(a.url);
      const r1 = await anonymous.get('/api/orders/items');
      assert.equal(r1.status, 401);
      assert.equal((await r1.json()).error, 'not_signed_in');
      const r2 = await user.get('/api/orders-admin/items');
      assert.equal(r2.status, 403);
      assert.equal((await r2.json()).error, 'role_required');
      const r3 = await user.api('POST', '/api/orders/items', {}, { 'x-portal-csrf': '' });
      assert.equal(r3.status, 403);
      assert.equal((await r3.json()).error, 'csrf_rejected');
      const r4 = await user.api('DELETE', '/api/orders/items', undefined, { origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' });
      assert.equal(r4.status, 403);
      // Raw, as a client that does not normalise dot segments sends it.
      const r5 = await new Promise<number>((resolve, reject) =>
        request(
          { host: '127.0.0.1', port: new URL(a.url).port, path: '/api/orders/%2e%2e/%2e%2e/oauth/jwks', headers: { cookie: user.cookieHeader() } },
          (res) => resolve(res.resume().statusCode!),
        )
          .on('error', reject)
          .end(),
      );
      assert.equal(r5, 400);
      assert.equal(api.hits, hits, 'the upstream saw none of these');
      // An anonymous route goes through signed out, with no token.
      const r6 = await anonymous.get('/api/public/public');
      assert.deepEqual(await r6.json(), { public: true, authorization: null });
      assert.equal((await user.get('/api/nowhere/x')).status, 404);
    });

    it('streams bodies both ways and refuses a body over the route limit', async () => {
      const big = Buffer.alloc(3 * 1024 * 1024, 7);
      const up = await fetch(`${a.url}/api/orders/upload`, {
        method: 'PUT',
        body: big,
        headers: { cookie: user.cookieHeader(), 'x-portal-csrf': '1', origin: a.url, 'content-type': 'application/octet-stream' },
      });
      assert.deepEqual(await up.json(), { bytes: big.length });
      const down = await user.get('/api/orders/download?bytes=5000000');
      assert.equal(down.status, 200);
      assert.equal((await down.arrayBuffer()).byteLength, 5_000_000);
      const tooBig = await fetch(`${a.url}/api/orders/upload`, {
        method: 'PUT',
        body: Buffer.alloc(5 * 1024 * 1024),
        headers: { cookie: user.cookieHeader(), 'x-portal-csrf': '1', origin: a.url },
      });
      assert.equal(tooBig.status, 413);
      assert.equal((await tooBig.json()).error, 'body_too_large');
    });

    it('upstream down, slow or garbled: 502/504 JSON with a request id, never a hang or a 500', async () => {
      for (const [path, status, error] of [
        ['/api/down/x', 502, 'upstream_unreachable'],
        ['/api/orders/slow', 504, 'upstream_timeout'],
        ['/api/garbage/x', 502, 'upstream_invalid_response'],
      ] as const) {
        const res = await user.get(path);
        const body = await res.json();
        assert.equal(res.status, status, path);
        assert.equal(body.error, error);
        assert.match(body.requestId, /^[0-9a-f-]{36}$/);
        assert.equal(body.requestId, res.headers.get('x-request-id'));
      }
    });

    it('opens the circuit after repeated failures: 503 with Retry-After without calling the upstream', async () => {
      let last: Response | undefined;
      for (let i = 0; i < 6; i++) last = await user.get('/api/down/x');
      assert.equal(last!.status, 503);
      assert.equal((await last!.json()).error, 'upstream_unavailable');
      assert.ok(Number(last!.headers.get('retry-after')) > 0);
    });

    it('passes redirects that stay on the portal or the route (rewritten), refuses others unless the route allows', async () => {
      const inside = await user.get(`/api/orders/redirect?to=${encodeURIComponent(`${api.url}/items/1`)}`);
      assert.equal(inside.status, 302);
      assert.equal(inside.headers.get('location'), `${a.url}/api/orders/items/1`);
      const off = await user.get('/api/orders/redirect?to=https://evil.example/x');
      assert.equal(off.status, 502);
      assert.equal((await off.json()).error, 'upstream_redirect_refused');
      const allowed = await user.get('/api/away/redirect?to=https://partner.example/x');
      assert.equal(allowed.headers.get('location'), 'https://partner.example/x');
    });

    it('never lets the upstream set the portal cookies', async () => {
      const res = await user.get('/api/orders/cookies');
      assert.deepEqual(res.headers.getSetCookie(), ['app_pref=dark; Path=/']);
    });

    it('a token the upstream refuses is renewed once and retried once, never in a loop', async () => {
      const first = await (await user.get('/api/orders/me')).json();
      assert.equal(first.aud, RESOURCE);
      api.refuse.add(api.accepted.at(-1)!);
      const before = api.accepted.length;
      const res = await user.get('/api/orders/me');
      assert.equal(res.status, 200);
      assert.equal(api.accepted.length, before + 1);
      assert.ok(!api.refuse.has(api.accepted.at(-1)!), 'a new token was used');
      const hits = api.hits;
      const always = await user.get('/api/orders/always-401');
      assert.equal(always.status, 401);
      assert.equal(api.hits, hits + 2, 'one call and one retry');
    });

    it('two instances share the session: across a token expiry, one exchange serves both', async () => {
      const id = await sessionId();
      const cookie = user.cookieHeader();
      await user.get('/api/orders/me');
      const row = (await a.store.bffSessions.find(id))!;
      const tokens = await a.sessions.tokens(row);
      const expiresAt = Object.values(tokens.resources!)[0]!.expires_at;
      // Past the API token's expiry (and the session's own) on both instances' clocks.
      const skew = Math.max(expiresAt, row.accessExpiresAt) - Date.now() + 1000;
      a.clock.offset = skew;
      b.clock.offset = skew;
      try {
        const seen = api.accepted.length;
        const [ra, rb] = await Promise.all([
          fetch(`${a.url}/api/orders/me`, { headers: { cookie } }),
          fetch(`${b.url}/api/orders/me`, { headers: { cookie } }),
        ]);
        assert.equal(ra.status, 200);
        assert.equal(rb.status, 200);
        const fresh = api.accepted.slice(seen);
        assert.equal(fresh.length, 2);
        assert.equal(fresh[0], fresh[1], 'both instances sent the one renewed token');
        assert.ok(!api.accepted.slice(0, seen).includes(fresh[0]!));
        const after1 = (await a.store.bffSessions.find(id))!;
        assert.equal(after1.revokedAt, null);
      } finally {
        a.clock.offset = 0;
        b.clock.offset = 0;
      }
    });

    it('WebSocket upgrades go through with the token on the handshake; signed out or cross-site they are refused before the upstream', async () => {
      const open = (headers: Record<string, string>, base = a.url) =>
        new Promise<{ first?: Record<string, unknown>; echo?: string; status?: number }>((resolve, reject) => {
          const ws = new WebSocket(`${base.replace('http', 'ws')}/api/orders/live`, { headers });
          ws.once('unexpected-response', (_req, res) => resolve({ status: res.statusCode }));
          ws.once('error', reject);
          ws.once('message', (m) => {
            const first = JSON.parse(String(m));
            ws.send('ping');
            ws.once('message', (e) => {
              ws.close();
              resolve({ first, echo: String(e) });
            });
          });
        });
      const ok = await open({ cookie: user.cookieHeader(), origin: a.url });
      assert.equal(ok.first!.aud, RESOURCE);
      assert.doesNotMatch(String(ok.first!.cookie), /portal/, 'the portal cookie never reaches the API');
      assert.equal(ok.echo, 'ping');
      assert.equal(ok.first!.for, '127.0.0.1');
      // The client address follows TRUST_PROXY exactly as for an HTTP call: believed behind a trusted hop, not otherwise.
      const spoof = { 'x-forwarded-for': '203.0.113.7' };
      assert.equal((await open({ cookie: user.cookieHeader(), origin: a.url, ...spoof })).first!.for, '127.0.0.1');
      assert.equal((await open({ cookie: user.cookieHeader(), origin: a.url, ...spoof }, b.url)).first!.for, '203.0.113.7');
      const viaB = await fetch(`${b.url}/api/orders/me`, { headers: { cookie: user.cookieHeader(), ...spoof } });
      assert.equal(viaB.status, 200);
      assert.equal(((await viaB.json()) as { forwarded: { for: string } }).forwarded.for, '203.0.113.7');
      const hits = api.hits;
      assert.equal((await open({ origin: a.url })).status, 401);
      assert.equal((await open({ cookie: user.cookieHeader(), origin: 'https://evil.example' })).status, 403);
      assert.equal((await open({ cookie: user.cookieHeader(), origin: '*' })).status, 403, "Zenith's '*' is foreign here");
      assert.equal(api.hits, hits);
    });

    it('logging out ends the API tokens too (same grant)', async () => {
      assert.equal((await user.get('/api/orders/me')).status, 200);
      const tokens = await a.sessions.tokens((await a.store.bffSessions.find(await sessionId()))!);
      const token = Object.values(tokens.resources!).at(-1)!.access_token;
      const jti = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()).jti as string;
      assert.ok(await a.store.oidc.find('AccessToken', jti), 'stored like every access token');
      assert.equal((await user.api('POST', '/bff/logout')).status < 400, true);
      assert.equal(await a.store.oidc.find('AccessToken', jti), null, 'revoked with the grant');
      assert.equal((await user.get('/api/orders/me')).status, 401);
    });

    it('a deleted route stops answering at once', async () => {
      await deleteApiRoute(a.store, '/api/away');
      assert.equal((await fetch(`${a.url}/api/away/x`)).status, 404);
    });
  });
}
