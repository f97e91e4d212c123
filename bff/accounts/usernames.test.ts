/**
 * Usernames (seed 002): set through the CLI (`user create --username`,
 * `user set-username`) and the admin API, unique whatever their case, with a
 * clear error for a taken or malformed one; removing one frees it.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { startTestApp, TEST_SECRETS_ENV, type TestApp } from '../testing/test-app.ts';
import { signedInAgent, type Agent } from '../testing/agent.ts';
import { createAccount } from './accounts.ts';

const PASSWORD = 'correct horse battery staple';

function cli(app: TestApp, args: string[]) {
  return spawnSync(process.execPath, ['bin/portal.js', 'user', ...args], {
    env: { ...process.env, DATABASE_URL: app.config.databaseUrl, NODE_ENV: 'test', ...TEST_SECRETS_ENV },
    encoding: 'utf8',
  });
}

for (const db of ['sqlite', 'postgres'] as const) {
  describe(`usernames (${db})`, () => {
    let app: TestApp;
    let admin: Agent;
    let annId: string;
    before(async () => {
      app = await startTestApp({ db });
      await createAccount(app.store, { email: 'root@example.com', password: PASSWORD, role: 'admin' }, Date.now());
      annId = (await createAccount(app.store, { email: 'ann@example.com', password: PASSWORD }, Date.now())).id;
      admin = await signedInAgent(app.url, 'root@example.com', PASSWORD);
    });
    after(() => app.close());

    // The admin API first: each CLI run blocks this process (and its server) for seconds.
    it('the admin API sets one (lower-cased), refuses a taken or malformed one, and removes it', async () => {
      const set = await admin.api('PUT', `/bff/admin/users/${annId}/username`, { username: 'Ann.Ops' });
      assert.equal(set.status, 200);
      assert.equal(((await set.json()) as { user: { username: string } }).user.username, 'ann.ops');
      const rootId = (await app.store.users.findByEmail('root@example.com'))!.id;
      const taken = await admin.api('PUT', `/bff/admin/users/${rootId}/username`, { username: 'ANN.OPS' });
      assert.equal(taken.status, 409);
      assert.deepEqual(((await taken.json()) as { error: string; fields: unknown }).error, 'username_taken');
      const bad = await admin.api('PUT', `/bff/admin/users/${rootId}/username`, { username: 'has@sign' });
      assert.equal(bad.status, 400);
      assert.equal(((await bad.json()) as { error: string }).error, 'invalid_username');
      assert.equal((await admin.api('PUT', `/bff/admin/users/${annId}/username`, { username: null })).status, 200);
      assert.equal((await app.store.users.findById(annId))!.username, null);
      const audit = (await app.store.audit.iterate(1, 10_000)).filter((e) => e.kind === 'username_set' && e.subjectId === annId);
      assert.deepEqual(
        audit.map((e) => e.data.username),
        ['ann.ops', null],
      );
    });

    it('portal user create --username, and user set-username', async () => {
      const created = cli(app, ['create', '--email', 'op@example.com', '--password', PASSWORD, '--username', 'Operator']);
      assert.equal(created.status, 0, created.stderr);
      assert.equal(JSON.parse(created.stdout).username, 'operator');
      const clash = cli(app, ['set-username', '--email', 'ann@example.com', '--username', 'OPERATOR']);
      assert.notEqual(clash.status, 0);
      assert.match(clash.stderr, /already taken/);
      const renamed = cli(app, ['set-username', '--email', 'ann@example.com', '--username', 'ann']);
      assert.equal(renamed.status, 0, renamed.stderr);
      assert.equal((await app.store.users.findByUsername('ann'))!.email, 'ann@example.com');
      const bad = cli(app, ['create', '--email', 'x@example.com', '--password', PASSWORD, '--username', 'no spaces']);
      assert.notEqual(bad.status, 0);
      assert.equal(await app.store.users.findByEmail('x@example.com'), null, 'a bad username creates nothing');
    });
  });
}
