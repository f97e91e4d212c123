import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { startTestApp, TEST_SECRETS_ENV, type TestApp } from '../testing/test-app.ts';
import { Agent } from '../testing/agent.ts';
import { createAccount } from './accounts.ts';
import { createSetupLink } from './setup.ts';

const PASSWORD = 'correct horse battery staple';
/** Addresses as the trusted proxy reports them (TRUST_PROXY=1, X-Forwarded-For). */
const STRANGER = '203.0.113.66';
const OWNER = '198.51.100.7';

async function loginInteraction(app: TestApp): Promise<{ agent: Agent; uid: string }> {
  const agent = new Agent(app.url);
  const { url } = await agent.follow('/bff/login', (u) => u.pathname.startsWith('/interaction/'));
  return { agent, uid: url.pathname.split('/')[2]! };
}

for (const db of ['sqlite', 'postgres'] as const) {
  describe(`sign-in, setup and health (${db})`, () => {
    let app: TestApp;
    before(async () => {
      app = await startTestApp({ db, env: { RATE_LIMIT_LOGIN_PER_ACCOUNT: '3', TRUST_PROXY: '1' } });
      await createAccount(app.store, { email: 'kim@example.com', password: PASSWORD }, Date.now());
      const off = await createAccount(app.store, { email: 'off@example.com', password: PASSWORD }, Date.now());
      await app.store.users.setDisabled(off.id, true, Date.now());
    });
    after(() => app.close());

    it('wrong password, unknown email and disabled account answer identically', async () => {
      const answers = [];
      const failedBefore = (await app.store.audit.list({ kind: 'sign_in_failed' })).length;
      for (const [email, password] of [
        ['kim@example.com', 'wrong password!!'],
        ['nobody@example.com', PASSWORD],
        ['off@example.com', PASSWORD],
      ]) {
        const { agent, uid } = await loginInteraction(app);
        const res = await agent.api('POST', `/bff/interaction/${uid}/login`, { email, password });
        answers.push({ status: res.status, body: await res.json() });
      }
      assert.equal(answers[0]!.status, 401);
      assert.deepEqual(answers[1], answers[0]);
      assert.deepEqual(answers[2], answers[0]);
      const failed = await app.store.audit.list({ kind: 'sign_in_failed' });
      assert.equal(failed.length - failedBefore, 3, 'each failure is audited once');
      assert.doesNotMatch(JSON.stringify(failed), /wrong password|correct horse/, 'no password in the audit log');
    });

    it('repeated failures for one account from one address slow that address only (429 + Retry-After)', async () => {
      const email = `t-${Date.now()}@example.com`;
      await createAccount(app.store, { email, password: PASSWORD }, Date.now());
      const { agent, uid } = await loginInteraction(app);
      const login = (password: string, from: string) => agent.api('POST', `/bff/interaction/${uid}/login`, { email, password }, { 'x-forwarded-for': from });
      const statuses: number[] = [];
      let last: Response | undefined;
      for (let i = 0; i < 5; i++) {
        last = await login('not the password', STRANGER);
        statuses.push(last.status);
      }
      assert.deepEqual(statuses, [401, 401, 401, 429, 429]);
      assert.ok(Number(last!.headers.get('retry-after')) > 0);
      assert.equal((await last!.json()).error, 'too_many_attempts');
      // The stranger's address waits, whatever it sends: a 429 says nothing about the password.
      assert.equal((await login(PASSWORD, STRANGER)).status, 429);
      // The owner, from their own address, signs in.
      assert.equal((await login(PASSWORD, OWNER)).status, 200);
    });

    it('strangers failing from many addresses cannot lock the owner out; each of them is slowed sooner', async () => {
      const email = `many-${Date.now()}@example.com`;
      await createAccount(app.store, { email, password: PASSWORD }, Date.now());
      const { agent, uid } = await loginInteraction(app);
      const login = (password: string, from: string) => agent.api('POST', `/bff/interaction/${uid}/login`, { email, password }, { 'x-forwarded-for': from });
      // Ten addresses, three failures each: thirty, ten times the per-address limit, puts the account under attack.
      const statuses: number[] = [];
      for (let a = 0; a < 10; a++) for (let i = 0; i < 3; i++) statuses.push((await login('not the password', `203.0.113.${100 + a}`)).status);
      assert.deepEqual(statuses, Array(30).fill(401));
      // Under attack, an address gets one failure (a third of three) instead of three.
      assert.equal((await login('not the password', '203.0.113.200')).status, 401);
      const slowed = await login(PASSWORD, '203.0.113.200');
      assert.equal(slowed.status, 429);
      assert.ok(Number(slowed.headers.get('retry-after')) > 0);
      // An address that has not failed for the account still gets through with the right password.
      assert.equal((await login(PASSWORD, OWNER)).status, 200);
    });

    it('one address failing across many accounts is slowed as an address; other addresses are not', async () => {
      const { agent, uid } = await loginInteraction(app);
      const login = (email: string, from: string) =>
        agent.api('POST', `/bff/interaction/${uid}/login`, { email, password: 'not the password' }, { 'x-forwarded-for': from });
      const statuses: number[] = [];
      // Five times the per-account limit (3), one failure per account.
      for (let i = 0; i < 15; i++) statuses.push((await login(`spray-${i}@example.com`, '203.0.113.50')).status);
      assert.deepEqual(statuses, Array(15).fill(401));
      const limited = await login('spray-fresh@example.com', '203.0.113.50');
      assert.equal(limited.status, 429);
      assert.match((await limited.json()).message, /your network/);
      assert.equal((await login('spray-fresh@example.com', '198.51.100.50')).status, 401);
    });

    it('malformed and oversized bodies get a JSON 400/413, never a stack trace', async () => {
      const { agent, uid } = await loginInteraction(app);
      const bad = await fetch(`${app.url}/bff/interaction/${uid}/login`, {
        method: 'POST',
        headers: { cookie: agent.cookieHeader(), 'content-type': 'application/json', 'x-portal-csrf': '1', origin: app.url, 'sec-fetch-site': 'same-origin' },
        body: '{"email": "kim@example.com", "password": ',
      });
      assert.equal(bad.status, 400);
      const body = await bad.json();
      assert.equal(body.error, 'invalid_json');
      assert.doesNotMatch(JSON.stringify(body), /at .*\.ts|SyntaxError/);
      const wrongType = await agent.api('POST', `/bff/interaction/${uid}/login`, { email: { $ne: null }, password: ['x'] });
      assert.equal(wrongType.status, 400);
      assert.equal((await wrongType.json()).error, 'invalid_request');
      const huge = await agent.api('POST', `/bff/interaction/${uid}/login`, { email: 'a@b.c', password: 'x'.repeat(100_000) });
      assert.equal(huge.status, 413);
      const unknown = await agent.api('GET', '/bff/nope');
      assert.equal(unknown.status, 404);
      assert.equal((await unknown.json()).error, 'not_found');
    });

    it('the setup link creates the first admin once', async () => {
      const fresh = await startTestApp({ db });
      try {
        const link = await createSetupLink(fresh.store, fresh.url, Date.now());
        assert.ok(link);
        const token = new URL(link).hash.replace('#token=', '');
        // A second instance starting at the same time prints its own link; both work until one is used.
        const other = new URL((await createSetupLink(fresh.store, fresh.url, Date.now()))!).hash.replace('#token=', '');
        const agent = new Agent(fresh.url);
        assert.equal((await agent.api('GET', `/bff/setup?token=${token}`)).status, 200);
        assert.equal((await agent.api('GET', `/bff/setup?token=${other}`)).status, 200);
        const weak = await agent.api('POST', '/bff/setup', { token, email: 'boss@example.com', name: 'Boss', password: 'short' });
        assert.equal(weak.status, 400);
        assert.equal((await weak.json()).error, 'weak_password');
        const ok = await agent.api('POST', '/bff/setup', { token, email: 'boss@example.com', name: 'Boss', password: PASSWORD });
        assert.equal(ok.status, 200);
        const again = await agent.api('POST', '/bff/setup', { token, email: 'boss2@example.com', password: PASSWORD });
        assert.equal(again.status, 410);
        assert.equal((await agent.api('GET', `/bff/setup?token=${other}`)).status, 410, 'the other link is spent too');
        assert.equal((await again.json()).error, 'setup_token_invalid');
        assert.equal((await fresh.store.users.findByEmail('boss@example.com'))?.role, 'admin');
        assert.equal(await createSetupLink(fresh.store, fresh.url, Date.now()), null, 'no link once an admin exists');
      } finally {
        await fresh.close();
      }
    });

    it('healthz answers 200 with the store up and 503 with a JSON reason when it is down', async () => {
      const other = await startTestApp({ db });
      const up = await fetch(`${other.url}/healthz`);
      assert.equal(up.status, 200);
      await other.store.close();
      const down = await fetch(`${other.url}/healthz`);
      assert.equal(down.status, 503);
      assert.equal((await down.json()).reason, 'store_unreachable');
      other.server.closeAllConnections();
      await new Promise((r) => other.server.close(r));
    });
  });
}

describe('the portal command', () => {
  const run = (args: string[], databaseUrl: string) =>
    spawnSync(process.execPath, ['bin/portal.js', ...args], {
      env: { ...process.env, DATABASE_URL: databaseUrl, NODE_ENV: 'test', ...TEST_SECRETS_ENV },
      encoding: 'utf8',
    });

  it('creates, lists and disables users, with clear errors and exit codes', async () => {
    const app = await startTestApp({});
    try {
      const url = app.config.databaseUrl;
      const created = run(['user', 'create', '--email', 'Cli@Example.com', '--password', PASSWORD, '--name', 'Cli', '--admin'], url);
      assert.equal(created.status, 0, created.stderr);
      assert.equal(JSON.parse(created.stdout).email, 'cli@example.com');
      assert.equal(JSON.parse(created.stdout).role, 'admin');
      const dup = run(['user', 'create', '--email', 'cli@example.com', '--password', PASSWORD], url);
      assert.notEqual(dup.status, 0);
      assert.match(dup.stderr, /already exists/);
      const weak = run(['user', 'create', '--email', 'w@example.com', '--password', 'short'], url);
      assert.notEqual(weak.status, 0);
      assert.match(weak.stderr, /at least 12/);
      const badEmail = run(['user', 'create', '--email', 'not-an-email', '--password', PASSWORD], url);
      assert.notEqual(badEmail.status, 0);
      assert.match(badEmail.stderr, /valid email/);
      const list = run(['user', 'list'], url);
      assert.ok(JSON.parse(list.stdout).some((u: { email: string }) => u.email === 'cli@example.com'));
      const dis = run(['user', 'disable', '--email', 'cli@example.com'], url);
      assert.equal(JSON.parse(dis.stdout).disabled, true);
      const unknown = run(['frobnicate'], url);
      assert.equal(unknown.status, 2);
      assert.match(unknown.stderr, /unknown command/);
      const client = run(['client', 'create', '--name', 'CLI App', '--redirect-uri', 'javascript:alert(1)'], url);
      assert.notEqual(client.status, 0);
      assert.match(client.stderr, /redirect URI/);
      const ok = run(['client', 'create', '--name', 'CLI App', '--redirect-uri', 'https://app.example/cb'], url);
      const parsed = JSON.parse(ok.stdout);
      assert.ok(parsed.client_id && parsed.client_secret);
      const pub = JSON.parse(run(['client', 'create', '--name', 'SPA', '--redirect-uri', 'http://127.0.0.1:5000/cb', '--public'], url).stdout);
      assert.equal(pub.client_secret, undefined);
      const rotated = JSON.parse(run(['client', 'rotate-secret', '--client-id', parsed.client_id], url).stdout);
      assert.notEqual(rotated.client_secret, parsed.client_secret);
      assert.equal(run(['client', 'delete', '--client-id', parsed.client_id], url).status, 0);
      assert.ok(!JSON.parse(run(['client', 'list'], url).stdout).some((c: { clientId: string }) => c.clientId === parsed.client_id));
    } finally {
      await app.close();
    }
  });
});
