/**
 * `portal resource …` and `portal client create --machine` as an operator runs
 * them (the real command against the app's database), and the client they
 * register getting a token with openid-client, on SQLite and PostgreSQL.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import * as oidc from 'openid-client';
import { exportJWK, generateKeyPair } from 'jose';
import { startTestApp, TEST_SECRETS_ENV, type TestApp } from '../testing/test-app.ts';

function portal(app: TestApp, args: string[]) {
  const r = spawnSync(process.execPath, ['bin/portal.js', ...args], {
    env: { ...process.env, ...TEST_SECRETS_ENV, DATABASE_URL: app.config.databaseUrl, NODE_ENV: 'test' },
    encoding: 'utf8',
  });
  return { status: r.status, json: r.status === 0 ? (JSON.parse(r.stdout) as Record<string, unknown>) : null, stderr: r.stderr };
}

for (const db of ['sqlite', 'postgres'] as const) {
  describe(`portal resource and client create --machine (${db})`, () => {
    let app: TestApp;
    before(async () => {
      app = await startTestApp({ db });
    });
    after(() => app.close());

    it('defines a resource, registers a machine client for it, and that client gets a token for it', async () => {
      const created = portal(app, [
        'resource',
        'create',
        '--identifier',
        'https://orders.example',
        '--name',
        'Orders',
        '--scope',
        'orders:read',
        '--scope',
        'orders:write',
      ]);
      assert.equal(created.status, 0, created.stderr);
      assert.deepEqual(
        { ...created.json, createdAt: 0 },
        { identifier: 'https://orders.example', name: 'Orders', scopes: ['orders:read', 'orders:write'], createdAt: 0 },
      );
      const listed = portal(app, ['resource', 'list']);
      assert.deepEqual(
        (listed.json as unknown as Array<{ identifier: string }>).map((r) => r.identifier),
        ['https://orders.example'],
      );

      const robot = portal(app, ['client', 'create', '--machine', '--name', 'Nightly export', '--scope', 'orders:read']);
      assert.equal(robot.status, 0, robot.stderr);
      assert.equal(robot.json!.token_endpoint_auth_method, 'client_secret_basic');
      const config = await oidc.discovery(
        new URL(app.config.issuer),
        String(robot.json!.client_id),
        {},
        oidc.ClientSecretBasic(String(robot.json!.client_secret)),
        { execute: [oidc.allowInsecureRequests] },
      );
      const tokens = await oidc.clientCredentialsGrant(config, { resource: 'https://orders.example', scope: 'orders:read' });
      assert.equal(tokens.scope, 'orders:read');
      const audit = await app.store.audit.list({ limit: 10 });
      assert.deepEqual(
        audit
          .map((e) => e.kind)
          .filter((k) => k === 'resource_created' || k === 'client_registered')
          .sort(),
        ['client_registered', 'resource_created'],
      );
    });

    it('registers a machine client with a JWKS file (private_key_jwt, no secret printed)', async () => {
      const { publicKey } = await generateKeyPair('ES256');
      const file = join(tmpdir(), `jwks-${process.pid}-${db}.json`);
      writeFileSync(file, JSON.stringify({ keys: [{ ...(await exportJWK(publicKey)), kid: 'k1' }] }));
      const keyed = portal(app, ['client', 'create', '--machine', '--name', 'Keyed', '--scope', 'orders:write', '--jwks-file', file]);
      assert.equal(keyed.status, 0, keyed.stderr);
      assert.equal(keyed.json!.client_secret, undefined);
      assert.equal(keyed.json!.token_endpoint_auth_method, 'private_key_jwt');
      assert.deepEqual(
        (await app.store.clients.find(String(keyed.json!.client_id)))!.jwks!.keys.map((k) => k.kid),
        ['k1'],
      );
    });

    it('explains bad input without a stack trace and registers nothing', async () => {
      const before = (await app.store.clients.list()).length;
      const r = portal(app, ['client', 'create', '--machine', '--name', 'R', '--scope', 'orders:delete']);
      assert.equal(r.status, 1);
      assert.match(r.stderr, /No resource has the scope orders:delete/);
      assert.doesNotMatch(r.stderr, /\n\s+at /);
      assert.equal((await app.store.clients.list()).length, before);
      const gone = portal(app, ['resource', 'delete', '--identifier', 'https://orders.example']);
      assert.equal(gone.status, 0, gone.stderr);
      assert.deepEqual(await app.store.resources.list(), []);
    });
  });
}
