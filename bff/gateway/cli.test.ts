/**
 * `portal api-route …` as an operator runs it (the real command against the app's database),
 * and the running app serving the route it adds, on SQLite and PostgreSQL.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { startTestApp, TEST_SECRETS_ENV, type TestApp } from '../testing/test-app.ts';

function portal(app: TestApp, args: string[]) {
  const r = spawnSync(process.execPath, ['bin/portal.js', ...args], {
    env: { ...process.env, ...TEST_SECRETS_ENV, DATABASE_URL: app.config.databaseUrl, NODE_ENV: 'test' },
    encoding: 'utf8',
  });
  return { status: r.status, json: r.status === 0 ? JSON.parse(r.stdout) : null, stderr: r.stderr };
}

for (const db of ['sqlite', 'postgres'] as const) {
  describe(`portal api-route (${db})`, () => {
    let app: TestApp;
    before(async () => {
      app = await startTestApp({ db });
      await app.store.resources.create({
        identifier: 'https://orders.example',
        name: 'Orders',
        scopes: ['orders:read', 'orders:write'],
        createdAt: Date.now(),
      });
    });
    after(() => app.close());

    it('creates, lists and deletes a route, audited; refuses bad input with a clear message', async () => {
      const created = portal(app, [
        'api-route',
        'create',
        '--path',
        '/api/orders',
        '--upstream',
        'https://orders.internal/v1/',
        '--resource',
        'https://orders.example',
        '--scope',
        'orders:read',
        '--require-role',
        'admin',
        '--allow-redirects',
        '--max-body',
        '2mb',
        '--timeout',
        '2m',
      ]);
      assert.equal(created.status, 0, created.stderr);
      assert.deepEqual(
        { ...created.json, createdAt: 0 },
        {
          path: '/api/orders',
          upstream: 'https://orders.internal/v1',
          resource: 'https://orders.example',
          scopes: ['orders:read'],
          requireRole: 'admin',
          anonymous: false,
          allowRedirects: true,
          maxBodyBytes: 2 * 1024 * 1024,
          timeoutMs: 120_000,
          createdAt: 0,
        },
      );
      assert.deepEqual(
        portal(app, ['api-route', 'list']).json.map((r: { path: string }) => r.path),
        ['/api/orders'],
      );
      // The running app serves it at once: signed out, it answers 401 itself (not 404).
      assert.equal((await fetch(`${app.url}/api/orders/x`)).status, 401);

      const again = portal(app, ['api-route', 'create', '--path', '/api/orders', '--upstream', 'https://x.internal', '--resource', 'https://orders.example']);
      assert.equal(again.status, 1);
      assert.match(again.stderr, /already exists/);
      const bad = portal(app, ['api-route', 'create', '--path', '/bff/x', '--upstream', 'ftp://x', '--resource', 'https://nope.example']);
      assert.equal(bad.status, 1);
      assert.match(bad.stderr, /path: The path must start with \/api\//);
      assert.match(bad.stderr, /upstream: The upstream must be an http or https URL/);
      assert.match(bad.stderr, /resource: No API resource https:\/\/nope.example/);

      assert.equal(portal(app, ['api-route', 'delete', '--path', '/api/orders']).status, 0);
      assert.equal(portal(app, ['api-route', 'delete', '--path', '/api/orders']).status, 1);
      const kinds = (await app.store.audit.list({ limit: 10 })).map((e) => e.kind);
      assert.deepEqual(kinds.filter((k) => k.startsWith('api_route')).sort(), ['api_route_created', 'api_route_deleted']);
    });
  });
}
