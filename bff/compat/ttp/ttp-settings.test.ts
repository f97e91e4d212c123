/**
 * The per-client settings seed 004 needs (default scope, access-token lifetime,
 * legacy refresh) are set at registration, through the CLI
 * (`portal client create --default-scope basic …`) and the admin API the admin
 * screen uses; out-of-range values get a clear error and register nothing.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { startTestApp, TEST_SECRETS_ENV, type TestApp } from '../../testing/test-app.ts';
import { signedInAgent, type Agent } from '../../testing/agent.ts';
import { createAccount } from '../../accounts/accounts.ts';

const PASSWORD = 'correct horse battery staple';
const REDIRECT = 'https://tradingparrot.example/callback';

function cli(app: TestApp, args: string[]) {
  return spawnSync(process.execPath, ['bin/portal.js', 'client', 'create', '--name', 'The Trading Parrot', '--redirect-uri', REDIRECT, ...args], {
    env: { ...process.env, DATABASE_URL: app.config.databaseUrl, NODE_ENV: 'test', ...TEST_SECRETS_ENV },
    encoding: 'utf8',
  });
}

for (const db of ['sqlite', 'postgres'] as const) {
  describe(`per-client settings for seed 004 (${db})`, () => {
    let app: TestApp;
    let admin: Agent;
    const partnerCount = async () => (await app.store.clients.list()).filter((c) => !c.firstParty).length;
    before(async () => {
      app = await startTestApp({ db });
      await createAccount(app.store, { email: 'root@example.com', password: PASSWORD, role: 'admin' }, Date.now());
      admin = await signedInAgent(app.url, 'root@example.com', PASSWORD);
    });
    after(() => app.close());

    // The admin API first: each CLI run blocks this process (and its server) for seconds.
    it('the admin API takes the same fields, and lists them back', async () => {
      const res = await admin.api('POST', '/bff/admin/clients', {
        name: 'The Trading Parrot',
        redirectUris: [REDIRECT],
        public: false,
        scopes: ['basic'],
        defaultScope: ['basic'],
        accessTokenTtl: 86400,
        legacyRefresh: true,
      });
      assert.equal(res.status, 201);
      const { clientId } = (await res.json()) as { clientId: string };
      const list = (await (await admin.api('GET', '/bff/admin/clients')).json()) as { clients: Array<Record<string, unknown>> };
      const listed = list.clients.find((c) => c.clientId === clientId)!;
      assert.deepEqual([listed.defaultScope, listed.accessTokenTtl, listed.legacyRefresh], ['basic', 86400, true]);
      const audit = (await app.store.audit.iterate(1, 10_000)).filter((e) => e.kind === 'client_registered' && e.data.clientId === clientId);
      assert.equal(audit.length, 1);
      assert.equal(audit[0]!.data.legacyRefresh, true);
    });

    it('the admin API refuses a default scope the client lacks, with the field named', async () => {
      const before = await partnerCount();
      const res = await admin.api('POST', '/bff/admin/clients', {
        name: 'X',
        redirectUris: [REDIRECT],
        public: false,
        scopes: ['openid'],
        defaultScope: ['basic'],
      });
      assert.equal(res.status, 400);
      const body = (await res.json()) as { error: string; fields: Record<string, string> };
      assert.equal(body.error, 'invalid_client_metadata');
      assert.match(body.fields.defaultScope!, /must be among the app's scopes/);
      assert.equal(await partnerCount(), before);
    });
    it('portal client create --default-scope basic --access-token-ttl 86400 --legacy-refresh', async () => {
      const out = cli(app, ['--default-scope', 'basic', '--access-token-ttl', '86400', '--legacy-refresh']);
      assert.equal(out.status, 0, out.stderr);
      const printed = JSON.parse(out.stdout) as Record<string, unknown>;
      assert.deepEqual([printed.default_scope, printed.access_token_ttl, printed.legacy_refresh], ['basic', 86400, true]);
      assert.ok((printed.scopes as string[]).includes('basic'), "the default scope is one of the client's scopes");
      const stored = (await app.store.clients.find(String(printed.client_id)))!;
      assert.deepEqual([stored.defaultScope, stored.accessTokenTtl, stored.legacyRefresh], ['basic', 86400, true]);
    });

    it('without the flags: no default scope, the default lifetime, legacy refresh off', async () => {
      const out = cli(app, []);
      assert.equal(out.status, 0, out.stderr);
      const stored = (await app.store.clients.find(String(JSON.parse(out.stdout).client_id)))!;
      assert.deepEqual([stored.defaultScope, stored.accessTokenTtl, stored.legacyRefresh], [null, null, false]);
    });

    it('the CLI refuses a lifetime out of range and registers nothing', async () => {
      const before = await partnerCount();
      const out = cli(app, ['--access-token-ttl', '86401']);
      assert.notEqual(out.status, 0);
      assert.match(out.stderr, /access-token lifetime must be a whole number of seconds from 60 to 86400/);
      assert.equal(await partnerCount(), before);
    });
  });
}
