/**
 * The admin API for machine clients: API resources and machine-client
 * registration, as the admin screen calls it, with the client it registers
 * then getting a token through openid-client; on SQLite and PostgreSQL.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as oidc from 'openid-client';
import { startTestApp, type TestApp } from '../testing/test-app.ts';
import { signedInAgent, type Agent } from '../testing/agent.ts';
import { createAccount } from '../accounts/accounts.ts';

const PASSWORD = 'correct horse battery staple';

for (const db of ['sqlite', 'postgres'] as const) {
  describe(`admin: resources and machine clients (${db})`, () => {
    let app: TestApp;
    let admin: Agent;
    before(async () => {
      app = await startTestApp({ db });
      await createAccount(app.store, { email: 'root@example.com', password: PASSWORD, role: 'admin' }, Date.now());
      await createAccount(app.store, { email: 'pat@example.com', password: PASSWORD }, Date.now());
      admin = await signedInAgent(app.url, 'root@example.com', PASSWORD);
    });
    after(() => app.close());

    it('defines a resource, registers a machine client for it (its secret shown once), which then gets a token', async () => {
      const created = await admin.api('POST', '/bff/admin/resources', {
        identifier: 'https://orders.example',
        name: 'Orders',
        scopes: ['orders:read', 'orders:write'],
      });
      assert.equal(created.status, 201);
      const listed = (await (await admin.api('GET', '/bff/admin/resources')).json()) as { resources: Array<{ identifier: string; scopes: string[] }> };
      assert.deepEqual(
        listed.resources.map((r) => [r.identifier, r.scopes]),
        [['https://orders.example', ['orders:read', 'orders:write']]],
      );

      const reg = await admin.api('POST', '/bff/admin/machine-clients', { name: 'Nightly export', scopes: ['orders:read'] });
      assert.equal(reg.status, 201);
      const { client, clientSecret } = (await reg.json()) as { client: { clientId: string; machine: boolean; public: boolean }; clientSecret: string };
      assert.equal(client.machine, true);
      assert.equal(client.public, false);
      const config = await oidc.discovery(new URL(app.config.issuer), client.clientId, {}, oidc.ClientSecretBasic(clientSecret), {
        execute: [oidc.allowInsecureRequests],
      });
      assert.equal((await oidc.clientCredentialsGrant(config, { resource: 'https://orders.example', scope: 'orders:read' })).scope, 'orders:read');
      const clients = (await (await admin.api('GET', '/bff/admin/clients')).json()) as { clients: Array<{ clientId: string; machine: boolean }> };
      assert.equal(clients.clients.find((c) => c.clientId === client.clientId)?.machine, true);

      const kinds = (await app.store.audit.list({ limit: 10 })).map((e) => e.kind);
      assert.deepEqual(kinds.filter((k) => k === 'resource_created' || k === 'client_registered').sort(), ['client_registered', 'resource_created']);
    });

    it('bad input is a 400 naming the field; a duplicate is a 409; deleting an unknown resource a 404', async () => {
      const bad = await admin.api('POST', '/bff/admin/resources', { identifier: 'http://orders.example', scopes: ['openid'] });
      assert.equal(bad.status, 400);
      const body = (await bad.json()) as { fields: Record<string, string> };
      assert.deepEqual(Object.keys(body.fields).sort(), ['identifier', 'scopes']);
      assert.equal((await admin.api('POST', '/bff/admin/resources', { identifier: 'https://orders.example' })).status, 409);
      const machine = await admin.api('POST', '/bff/admin/machine-clients', { name: 'R', scopes: ['nothing:here'] });
      assert.equal(machine.status, 400);
      assert.match(((await machine.json()) as { fields: { scopes: string } }).fields.scopes, /No resource has the scope nothing:here/);
      assert.equal((await admin.api('DELETE', '/bff/admin/resources', { identifier: 'https://nowhere.example' })).status, 404);
    });

    it('only an administrator may use it', async () => {
      const pat = await signedInAgent(app.url, 'pat@example.com', PASSWORD);
      assert.equal((await pat.api('GET', '/bff/admin/resources')).status, 403);
      assert.equal((await pat.api('POST', '/bff/admin/resources', { identifier: 'https://x.example' })).status, 403);
      assert.equal((await pat.api('POST', '/bff/admin/machine-clients', { name: 'R', scopes: ['orders:read'] })).status, 403);
      assert.equal((await app.store.resources.list()).length, 1);
    });

    it('deletes a resource (audited)', async () => {
      assert.equal((await admin.api('DELETE', '/bff/admin/resources', { identifier: 'https://orders.example' })).status, 200);
      assert.deepEqual(await app.store.resources.list(), []);
      assert.equal((await app.store.audit.list({ kind: 'resource_deleted', limit: 5 })).length, 1);
    });
  });
}
