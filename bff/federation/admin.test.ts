import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { startTestApp, TEST_SECRETS_ENV, type TestApp } from '../testing/test-app.ts';
import { startUpstreamOp, UPSTREAM_USERS, type UpstreamOp } from '../testing/upstream-op.ts';
import { Agent, signedInAgent } from '../testing/agent.ts';
import { createAccount } from '../accounts/accounts.ts';
import { federate, rawRows } from './test-helpers.ts';

const run = promisify(execFile);
const PASSWORD = 'correct horse battery staple';

const signedIn = (app: TestApp, email: string): Promise<Agent> => signedInAgent(app.url, email, PASSWORD);

for (const db of ['sqlite', 'postgres'] as const) {
  describe(`connections admin API and CLI (${db})`, () => {
    let app: TestApp;
    let up: UpstreamOp;
    let admin: Agent;
    let user: Agent;

    before(async () => {
      app = await startTestApp({ db, env: { FEDERATION_ALLOW_PRIVATE: '1' } }); // the upstream OP listens on loopback
      up = await startUpstreamOp({ redirectUris: [`${app.url}/bff/federation/callback`] });
      await createAccount(app.store, { email: 'admin@example.com', password: PASSWORD, role: 'admin' }, Date.now());
      await createAccount(app.store, { email: 'user@example.com', password: PASSWORD }, Date.now());
      admin = await signedIn(app, 'admin@example.com');
      user = await signedIn(app, 'user@example.com');
    });
    after(async () => {
      await up?.close();
      await app?.close();
    });

    const valid = () => ({ name: 'Acme', issuer: up.issuer, clientId: up.clientId, clientSecret: up.clientSecret, domains: ['acme.test'] });

    it('is for admins only', async () => {
      assert.equal((await new Agent(app.url).api('GET', '/bff/admin/connections')).status, 401);
      const refused = await user.api('POST', '/bff/admin/connections', valid());
      assert.equal(refused.status, 403);
      assert.equal((await refused.json()).error, 'admin_required');
      assert.equal((await app.store.federation.listConnections()).length, 0);
    });

    it('validates the input and proves discovery before creating', async () => {
      const bad = await admin.api('POST', '/bff/admin/connections', { ...valid(), issuer: 'http://idp.example.com', name: '' });
      assert.equal(bad.status, 400);
      const body = await bad.json();
      assert.equal(body.error, 'invalid_request');
      assert.ok(body.fields.issuer && body.fields.name, JSON.stringify(body));

      const down = await admin.api('POST', '/bff/admin/connections', { ...valid(), issuer: 'http://127.0.0.1:9' });
      assert.equal(down.status, 400);
      const downBody = await down.json();
      assert.equal(downBody.error, 'discovery_failed');
      assert.match(downBody.message, /127\.0\.0\.1:9\/\.well-known\/openid-configuration/);

      const unknownOrg = await admin.api('POST', '/bff/admin/connections', { ...valid(), org: 'no-such-org' });
      assert.equal((await unknownOrg.json()).error, 'organization_not_found');
      assert.equal((await app.store.federation.listConnections()).length, 0, 'nothing was created');
    });

    it('creates, lists without the secret, refuses duplicates, and deletes', async () => {
      const created = await admin.api('POST', '/bff/admin/connections', valid());
      assert.equal(created.status, 201);
      const { connection } = await created.json();
      assert.equal(connection.kind, 'social');
      assert.deepEqual(connection.scopes, ['openid', 'profile', 'email']);
      assert.deepEqual(connection.domains, ['acme.test']);

      const listed = await admin.api('GET', '/bff/admin/connections');
      const text = await listed.text();
      assert.ok(!text.includes(up.clientSecret), 'the secret never leaves the server');
      assert.deepEqual(
        JSON.parse(text).connections.map((c: { id: string }) => c.id),
        [connection.id],
      );
      assert.ok(!JSON.stringify(await rawRows(app, 'SELECT client_secret FROM federation_connections')).includes(up.clientSecret), 'encrypted at rest');

      const again = await admin.api('POST', '/bff/admin/connections', { ...valid(), name: 'ACME', domains: [] });
      assert.equal(again.status, 409);
      assert.equal((await again.json()).error, 'connection_exists');
      const domain = await admin.api('POST', '/bff/admin/connections', { ...valid(), name: 'Other' });
      assert.equal((await domain.json()).error, 'domain_taken');

      // The stored (encrypted) secret works against the real provider.
      const { end } = await federate(app, new Agent(app.url), up.issuer, connection.id, UPSTREAM_USERS[0]!);
      assert.equal(end.pathname, '/account');

      assert.equal((await admin.api('DELETE', `/bff/admin/connections/${connection.id}`)).status, 200);
      assert.equal((await admin.api('DELETE', `/bff/admin/connections/${connection.id}`)).status, 404);
      assert.equal((await app.store.audit.list({ kind: 'connection_deleted', limit: 1 }))[0]?.data.connection, connection.id);
      assert.equal(await app.store.federation.findConnection(connection.id), null);
    });

    it('portal connection create | list | delete', async () => {
      const env = {
        ...process.env,
        ...TEST_SECRETS_ENV,
        DATABASE_URL: app.config.databaseUrl,
        NODE_ENV: 'test',
        LOG_LEVEL: 'silent',
        FEDERATION_ALLOW_PRIVATE: '1',
      };
      const cli = (...args: string[]) => run(process.execPath, ['bff/cli.ts', 'connection', ...args], { env, encoding: 'utf8' });
      const { stdout } = await cli(
        'create',
        '--name',
        'Cli IdP',
        '--issuer',
        up.issuer,
        '--client-id',
        up.clientId,
        '--client-secret',
        up.clientSecret,
        '--scope',
        'openid',
        '--scope',
        'email',
        '--domain',
        'cli.test',
      );
      const made = JSON.parse(stdout);
      assert.equal(made.name, 'Cli IdP');
      assert.deepEqual(made.scopes, ['openid', 'email']);
      assert.ok(!stdout.includes(up.clientSecret));
      const list = JSON.parse((await cli('list')).stdout);
      assert.ok(list.some((c: { id: string }) => c.id === made.id));
      up.users.push({ sub: `up-cli-${db}`, email: 'cli@cli.test', password: 'cli-upstream-pw', name: 'Cli', emailVerified: true });
      const { end } = await federate(app, new Agent(app.url), up.issuer, made.id, { email: 'cli@cli.test', password: 'cli-upstream-pw' });
      assert.equal(end.pathname, '/account', 'a CLI-made connection signs people in');
      // Alice's account came from the deleted connection: another connection may not claim it silently.
      const alice = await federate(app, new Agent(app.url), up.issuer, made.id, UPSTREAM_USERS[0]!);
      assert.equal(alice.end.searchParams.get('reason'), 'account_exists');
      await assert.rejects(
        cli('create', '--name', 'Down', '--issuer', 'http://127.0.0.1:9', '--client-id', 'x', '--client-secret', 'y'),
        (e: { code?: number; stderr?: string }) => {
          assert.equal(e.code, 1);
          assert.match(e.stderr ?? '', /OpenID discovery/);
          return true;
        },
      );
      assert.deepEqual(JSON.parse((await cli('delete', '--id', made.id)).stdout), { deleted: made.id });
      await assert.rejects(cli('delete', '--id', made.id));
    });
  });
}
