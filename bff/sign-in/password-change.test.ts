/**
 * "Set an initial password" from the console (issue 11) through the real app, provider and
 * database: the admin creates the account, the person's first sign-in is held until they choose a
 * password of their own (not the one they were given, not a weak one), the interaction then
 * completes, the flag is gone and both steps are audited without the password. SQLite and PostgreSQL.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestApp, type TestApp } from '../testing/test-app.ts';
import { Agent, authorizeThrough, signedInAgent } from '../testing/agent.ts';
import { createAccount } from '../accounts/accounts.ts';

const PASSWORD = 'correct horse battery staple';
const INITIAL = 'given by the admin 42';
const OWN = 'my very own secret words';

for (const db of ['sqlite', 'postgres'] as const) {
  describe(`initial password that must be changed (${db})`, () => {
    let app: TestApp;
    let admin: Agent;
    before(async () => {
      app = await startTestApp({ db });
      await createAccount(app.store, { email: 'root@example.com', password: PASSWORD, role: 'admin' }, Date.now());
      await createAccount(app.store, { email: 'plain@example.com', password: PASSWORD }, Date.now());
      admin = await signedInAgent(app.url, 'root@example.com', PASSWORD);
    });
    after(() => app?.close());

    /** Starts a browser sign-in and stops at its interaction. */
    async function atInteraction(): Promise<{ agent: Agent; uid: string }> {
      const agent = new Agent(app.url);
      const { url } = await agent.follow('/bff/login?returnTo=/account', (u) => u.pathname.startsWith('/interaction/'));
      return { agent, uid: url.pathname.split('/')[2]! };
    }

    it('is for admins only, refuses a weak password and a taken email, and never echoes or audits the password', async () => {
      const plain = await signedInAgent(app.url, 'plain@example.com', PASSWORD);
      assert.equal((await plain.api('POST', '/bff/admin/users', { email: 'x@example.com', initialPassword: INITIAL })).status, 403);
      const weak = await admin.api('POST', '/bff/admin/users', { email: 'x@example.com', initialPassword: 'short' });
      assert.equal(weak.status, 400);
      assert.equal(((await weak.json()) as { error: string }).error, 'weak_password');
      const taken = await admin.api('POST', '/bff/admin/users', { email: 'Plain@example.com', initialPassword: INITIAL });
      assert.equal(taken.status, 409);
      assert.equal(((await taken.json()) as { error: string }).error, 'email_taken');
      assert.equal(await app.store.users.findByEmail('x@example.com'), null);

      const made = await admin.api('POST', '/bff/admin/users', { email: 'New.Hire@example.com', name: 'New Hire', initialPassword: INITIAL });
      assert.equal(made.status, 201);
      const text = await made.text();
      assert.ok(!text.includes(INITIAL));
      const { user } = JSON.parse(text) as { user: { email: string; hasPassword: boolean; mustChangePassword: boolean } };
      assert.deepEqual([user.email, user.hasPassword, user.mustChangePassword], ['new.hire@example.com', true, true]);
      const [entry] = await app.store.audit.list({ kind: 'user_created', limit: 1 });
      assert.deepEqual(entry?.data, { via: 'console', initialPassword: true });
      assert.ok(!JSON.stringify(entry).includes(INITIAL));
    });

    it('holds the first sign-in until the person chooses their own password, then completes it', async () => {
      const { agent, uid } = await atInteraction();
      const login = await agent.api('POST', `/bff/interaction/${uid}/login`, { email: 'new.hire@example.com', password: INITIAL });
      assert.equal(login.status, 200);
      assert.deepEqual(await login.json(), { next: 'new_password', email: 'new.hire@example.com' });
      // A reloaded screen shows the same step.
      const info = (await (await agent.api('GET', `/bff/interaction/${uid}`)).json()) as { newPassword?: { email: string } };
      assert.deepEqual(info.newPassword, { email: 'new.hire@example.com' });
      // Nothing signed in yet.
      assert.equal(((await (await agent.api('GET', '/bff/session')).json()) as { authenticated: boolean }).authenticated, false);

      const same = await agent.api('POST', `/bff/interaction/${uid}/new-password`, { password: INITIAL });
      assert.deepEqual([same.status, ((await same.json()) as { error: string }).error], [400, 'same_password']);
      const weak = await agent.api('POST', `/bff/interaction/${uid}/new-password`, { password: 'aaaaaaaaaaaaaaaa' });
      assert.deepEqual([weak.status, ((await weak.json()) as { error: string }).error], [400, 'weak_password']);
      const bad = await agent.api('POST', `/bff/interaction/${uid}/new-password`, { password: 42 });
      assert.deepEqual([bad.status, ((await bad.json()) as { error: string }).error], [400, 'invalid_request']);

      const done = await agent.api('POST', `/bff/interaction/${uid}/new-password`, { password: OWN });
      assert.equal(done.status, 200);
      const { redirectTo } = (await done.json()) as { redirectTo: string };
      const { url } = await agent.follow(redirectTo, (u) => u.pathname.startsWith('/interaction/'));
      assert.equal(url.pathname, '/account');
      const session = (await (await agent.api('GET', '/bff/session')).json()) as { authenticated: boolean; user: { email: string } };
      assert.deepEqual([session.authenticated, session.user.email], [true, 'new.hire@example.com']);

      const stored = await app.store.users.findByEmail('new.hire@example.com');
      assert.equal(stored?.mustChangePassword, undefined);
      const [changed] = await app.store.audit.list({ kind: 'password_changed', limit: 1 });
      assert.deepEqual([changed?.actorId, changed?.data], [stored!.id, { reason: 'initial_password' }]);
    });

    it('asks no more: the own password signs in straight through, the given one no longer does', async () => {
      const end = await authorizeThrough(new Agent(app.url), '/bff/login?returnTo=/account', { email: 'new.hire@example.com', password: OWN });
      assert.equal(end.pathname, '/account');
      const { agent, uid } = await atInteraction();
      const old = await agent.api('POST', `/bff/interaction/${uid}/login`, { email: 'new.hire@example.com', password: INITIAL });
      assert.equal(old.status, 401);
    });

    it('answers a step that is not waiting for a new password with wrong_prompt', async () => {
      const { agent, uid } = await atInteraction();
      const res = await agent.api('POST', `/bff/interaction/${uid}/new-password`, { password: OWN });
      assert.deepEqual([res.status, ((await res.json()) as { error: string }).error], [400, 'wrong_prompt']);
    });
  });
}
