/**
 * Registration refuses plain-http redirect URIs except on loopback: only
 * localhost, 127.0.0.1 and [::1] may use `http:` (RFC 8252 §7.3, RFC 9700
 * §2.1); anything that merely looks like loopback is refused. Through both
 * ways a partner app is registered: the admin API and the `portal` CLI.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { startTestApp, type TestApp } from '../testing/test-app.ts';
import { signedInAgent, type Agent } from '../testing/agent.ts';
import { createAccount } from '../accounts/accounts.ts';

const PASSWORD = 'correct horse battery staple';

const REFUSED = [
  'http://partner.example/cb',
  'http://localhost.evil.example/cb',
  'http://127.0.0.1.nip.io/cb',
  'http://evil.example/127.0.0.1/cb',
  'http://10.0.0.1/cb',
  'http://0.0.0.0:8080/cb',
  'http://[::2]/cb',
  'http://localhost./cb',
];
const ACCEPTED = ['http://localhost:3000/cb', 'http://127.0.0.1:5000/cb', 'http://[::1]:8080/cb', 'https://partner.example/cb'];

function cli(app: TestApp, args: string[]) {
  return spawnSync(process.execPath, ['bin/portal.js', 'client', 'create', '--name', 'Loopback test', ...args], {
    env: { ...process.env, DATABASE_URL: app.config.databaseUrl, NODE_ENV: 'test', COOKIE_SECRETS: '1:cli-test-secret-cli-test-secret-0001' },
    encoding: 'utf8',
  });
}

for (const db of ['sqlite', 'postgres'] as const) {
  describe(`http redirect URIs only on loopback (${db})`, () => {
    let app: TestApp;
    let admin: Agent;
    before(async () => {
      app = await startTestApp({ db });
      await createAccount(app.store, { email: 'root@example.com', password: PASSWORD, role: 'admin' }, Date.now());
      admin = await signedInAgent(app.url, 'root@example.com', PASSWORD);
    });
    after(() => app.close());

    const partnerCount = async () => (await app.store.clients.list()).filter((c) => !c.firstParty).length;

    it('the admin API refuses each non-loopback http URI with 400 invalid_redirect_uri, and registers nothing', async () => {
      const before = await partnerCount();
      for (const uri of REFUSED) {
        const res = await admin.api('POST', '/bff/admin/clients', { name: 'Loopback test', redirectUris: [uri], public: false, scopes: ['openid'] });
        const body = await res.json();
        assert.deepEqual([res.status, body.error], [400, 'invalid_redirect_uri'], uri);
        assert.match(body.fields.redirectUris, /must use https/, uri);
      }
      assert.equal(await partnerCount(), before);
    });

    it('the admin API accepts loopback http and https', async () => {
      const res = await admin.api('POST', '/bff/admin/clients', { name: 'Loopback test', redirectUris: ACCEPTED, public: true, scopes: ['openid'] });
      assert.equal(res.status, 201, await res.clone().text());
      const { clientId } = await res.json();
      assert.deepEqual((await app.store.clients.find(clientId))!.redirectUris, ACCEPTED);
    });

    it('the CLI refuses each non-loopback http URI with a non-zero exit, and registers nothing', async () => {
      const before = await partnerCount();
      // Each run boots the CLI: three that look most like loopback stand for the list.
      for (const uri of REFUSED.slice(0, 3)) {
        const out = cli(app, ['--redirect-uri', uri]);
        assert.notEqual(out.status, 0, uri);
        assert.match(out.stderr, /must use https \(http is allowed only on localhost, 127\.0\.0\.1 or \[::1\]\)/, uri);
        assert.equal(out.stdout, '', uri);
      }
      assert.equal(await partnerCount(), before);
    });

    it('the CLI accepts loopback http and https', async () => {
      const out = cli(app, [...ACCEPTED.flatMap((u) => ['--redirect-uri', u]), '--public']);
      assert.equal(out.status, 0, out.stderr);
      assert.deepEqual(JSON.parse(out.stdout).redirect_uris, ACCEPTED);
    });
  });
}
