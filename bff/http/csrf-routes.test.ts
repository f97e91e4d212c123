/**
 * Every state-changing route under /bff refuses a cross-site request with 403
 * `csrf_rejected`, for anonymous callers and for a signed-in admin alike. The
 * routes are read from the real app's Express router stack, so a route added
 * later (or mounted before the check) is covered without anyone listing it.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestApp, type TestApp } from '../testing/test-app.ts';
import { signedInAgent } from '../testing/agent.ts';
import { createAccount } from '../accounts/accounts.ts';
import { CSRF_HEADER } from './security.ts';

const PASSWORD = 'correct horse battery staple';

interface Layer {
  rawPath?: unknown;
  slash?: boolean;
  route?: { path: unknown; methods: Record<string, boolean> };
  handle?: { stack?: Layer[] };
}

/** `METHOD /path` for every route the router stack holds, nested routers included. */
function routesOf(stack: Layer[], prefix = ''): Array<{ method: string; path: string }> {
  return stack.flatMap((layer) => {
    if (layer.route) {
      const path = typeof layer.route.path === 'string' ? prefix + layer.route.path : `${prefix}${String(layer.route.path)}`;
      return Object.keys(layer.route.methods).map((m) => ({ method: m === '_all' ? 'POST' : m.toUpperCase(), path }));
    }
    if (!layer.handle?.stack) return [];
    return routesOf(layer.handle.stack, layer.slash || typeof layer.rawPath !== 'string' ? prefix : prefix + layer.rawPath);
  });
}

/** Every non-GET route mounted under /bff, with its parameters filled in. */
function stateChangingBffRoutes(app: TestApp): Array<{ method: string; path: string }> {
  const stack = (app.app as unknown as { router: { stack: Layer[] } }).router.stack;
  const unique = new Map<string, { method: string; path: string }>();
  for (const r of routesOf(stack)) {
    if (!r.path.startsWith('/bff/') || ['GET', 'HEAD', 'OPTIONS'].includes(r.method)) continue;
    const path = r.path.replace(/:(\w+)/g, 'x-$1');
    unique.set(`${r.method} ${path}`, { method: r.method, path });
  }
  return [...unique.values()];
}

/** Three ways a request fails to prove it came from the portal's own pages. */
function crossSiteVariants(origin: string): Array<[string, Record<string, string>]> {
  return [
    ['no CSRF header', { origin, 'sec-fetch-site': 'same-origin' }],
    ['Sec-Fetch-Site: cross-site', { [CSRF_HEADER]: '1', origin, 'sec-fetch-site': 'cross-site' }],
    ['a foreign Origin', { [CSRF_HEADER]: '1', origin: 'https://evil.example' }],
  ];
}

for (const db of ['sqlite', 'postgres'] as const) {
  describe(`CSRF on every state-changing /bff route (${db})`, () => {
    let app: TestApp;
    let routes: Array<{ method: string; path: string }>;
    before(async () => {
      app = await startTestApp({ db });
      await createAccount(app.store, { email: 'root@example.com', password: PASSWORD, role: 'admin' }, Date.now());
      routes = stateChangingBffRoutes(app);
    });
    after(() => app.close());

    it('finds the routes from the router stack, the sensitive ones among them', () => {
      const names = routes.map((r) => `${r.method} ${r.path}`);
      for (const known of [
        'POST /bff/account/password',
        'DELETE /bff/account/apps/x-clientId',
        'DELETE /bff/admin/clients/x-clientId',
        'POST /bff/logout',
        'POST /bff/impersonation/start',
      ]) {
        assert.ok(names.includes(known), `${known} in ${names.join(', ')}`);
      }
    });

    const refuseAll = async (cookie: string) => {
      let refused = 0;
      for (const { method, path } of routes) {
        for (const [variant, headers] of crossSiteVariants(app.url)) {
          const res = await fetch(`${app.url}${path}`, {
            method,
            redirect: 'manual',
            headers: { cookie, accept: 'application/json', 'content-type': 'application/json', ...headers },
            body: '{}',
          });
          const body = (await res.json().catch(() => ({}))) as { error?: string };
          assert.deepEqual([res.status, body.error], [403, 'csrf_rejected'], `${method} ${path} with ${variant}`);
          refused++;
        }
      }
      assert.equal(refused, routes.length * 3);
    };

    it('anonymous: each route refuses each cross-site variant with 403 csrf_rejected', async () => {
      await refuseAll('');
    });

    it('signed-in admin: each route refuses each variant, and nothing happened', async () => {
      const agent = await signedInAgent(app.url, 'root@example.com', PASSWORD);
      await refuseAll(agent.cookieHeader());
      const session = await (await agent.api('GET', '/bff/session')).json();
      assert.equal(session.user.email, 'root@example.com', 'still signed in: the logout was refused too');
    });

    it('the same requests from the portal itself pass the check (anonymous)', async () => {
      for (const { method, path } of routes) {
        const res = await fetch(`${app.url}${path}`, {
          method,
          redirect: 'manual',
          headers: { accept: 'application/json', 'content-type': 'application/json', [CSRF_HEADER]: '1', origin: app.url, 'sec-fetch-site': 'same-origin' },
          body: '{}',
        });
        const body = (await res.json().catch(() => ({}))) as { error?: string };
        assert.notEqual(body.error, 'csrf_rejected', `${method} ${path}`);
        assert.ok(res.status < 500, `${method} ${path}: ${res.status}`);
      }
    });
  });
}
