/**
 * The admin API for the gateway's routes, as an admin screen calls it: list, add (checked), remove
 * (audited with the admin as actor); refused to people who are not admins. SQLite and PostgreSQL.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestApp, type TestApp } from '../testing/test-app.ts';
import { signedInAgent, type Agent } from '../testing/agent.ts';
import { createAccount } from '../accounts/accounts.ts';

const PASSWORD = 'correct horse battery staple';

for (const db of ['sqlite', 'postgres'] as const) {
  describe(`admin: gateway api routes (${db})`, () => {
    let app: TestApp;
    let admin: Agent;
    let pat: Agent;
    before(async () => {
      app = await startTestApp({ db });
      await createAccount(app.store, { email: 'root@example.com', password: PASSWORD, role: 'admin' }, Date.now());
      await createAccount(app.store, { email: 'pat@example.com', password: PASSWORD }, Date.now());
      admin = await signedInAgent(app.url, 'root@example.com', PASSWORD);
      pat = await signedInAgent(app.url, 'pat@example.com', PASSWORD);
      await app.store.resources.create({ identifier: 'https://orders.example', name: 'Orders', scopes: ['orders:read'], createdAt: Date.now() });
    });
    after(() => app.close());

    it('adds, lists and removes a route, audited; bad input names the field; people who are not admins are refused', async () => {
      const body = {
        path: '/api/orders',
        upstream: 'https://orders.internal',
        resource: 'https://orders.example',
        scopes: ['orders:read'],
        requireRole: 'user',
      };
      assert.equal((await pat.api('POST', '/bff/admin/api-routes', body)).status, 403);
      const created = await admin.api('POST', '/bff/admin/api-routes', body);
      assert.equal(created.status, 201);
      assert.equal((await created.json()).route.timeoutMs, 30_000);
      const bad = await admin.api('POST', '/bff/admin/api-routes', { ...body, path: '/api/orders', scopes: ['orders:write'] });
      assert.equal(bad.status, 400);
      assert.match((await bad.json()).fields.scopes, /no scope orders:write/);
      assert.equal((await admin.api('POST', '/bff/admin/api-routes', body)).status, 409);
      const listed = await (await admin.api('GET', '/bff/admin/api-routes')).json();
      assert.deepEqual(
        listed.routes.map((r: { path: string }) => r.path),
        ['/api/orders'],
      );
      assert.equal((await admin.api('DELETE', '/bff/admin/api-routes', { path: '/api/orders' })).status, 200);
      assert.equal((await admin.api('DELETE', '/bff/admin/api-routes', { path: '/api/orders' })).status, 404);
      const audit = (await app.store.audit.list({ limit: 20 })).filter((e) => e.kind.startsWith('api_route'));
      assert.deepEqual(audit.map((e) => e.kind).sort(), ['api_route_created', 'api_route_deleted']);
      assert.ok(audit.every((e) => e.actorId !== null));
    });
  });
}
