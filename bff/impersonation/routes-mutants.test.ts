/**
 * The impersonation API's routes (impersonation/routes.ts), pinned where
 * mutation testing (docs/mutation.md) needs it: both need a session (401
 * with the exact body), the start body's schema (each field required or
 * optional as declared, a fractional duration refused before any policy
 * runs), the duration reaching the record, and stop answering where the
 * browser goes. What starting and stopping do beyond that is
 * impersonation-mutants.test.ts's. Real app, provider and database; SQLite
 * and PostgreSQL.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestApp, type TestApp } from '../testing/test-app.ts';
import { Agent, signedInAgent } from '../testing/agent.ts';
import { createAccount } from '../accounts/accounts.ts';
import type { User } from '../store/store.ts';
import { impersonate } from './test-helpers.ts';

const PASSWORD = 'correct horse battery staple';
const REASON = 'Customer asked for help with billing settings';

for (const db of ['sqlite', 'postgres'] as const) {
  describe(`impersonation routes (${db})`, () => {
    let app: TestApp;
    let admin: User;
    let user: User;
    let agent: Agent;
    before(async () => {
      app = await startTestApp({ db });
      admin = await createAccount(app.store, { email: 'root@example.com', password: PASSWORD, role: 'admin' }, Date.now());
      user = await createAccount(app.store, { email: 'uma@example.com', password: PASSWORD }, Date.now());
      agent = await signedInAgent(app.url, admin.email, PASSWORD);
    });
    after(() => app.close());

    const requested = () => app.store.audit.list({ kind: 'impersonation_requested', actorId: admin.id });

    it('refuses both without a session', { timeout: 20000 }, async () => {
      for (const path of ['/bff/impersonation/start', '/bff/impersonation/stop']) {
        const res = await new Agent(app.url).api('POST', path, { userId: user.id, reason: REASON });
        assert.equal(res.status, 401, path);
        assert.deepEqual(await res.json(), { error: 'not_signed_in', message: 'You are not signed in.' }, path);
      }
    });

    it('refuses a start body that does not match the schema, before anything is recorded', { timeout: 20000 }, async () => {
      for (const body of [{ reason: REASON }, { userId: user.id }, { userId: user.id, reason: REASON, durationMinutes: 1.5 }, { userId: 7, reason: REASON }]) {
        const res = await agent.api('POST', '/bff/impersonation/start', body);
        assert.equal(res.status, 400, JSON.stringify(body));
        assert.equal(((await res.json()) as { error: string }).error, 'invalid_request', JSON.stringify(body));
      }
      assert.deepEqual(await requested(), []);
    });

    it('starts with the duration asked for, and stop answers where the browser goes', { timeout: 60000 }, async () => {
      const start = await agent.api('POST', '/bff/impersonation/start', { userId: user.id, reason: REASON, durationMinutes: 7 });
      assert.equal(start.status, 200);
      const { redirectTo } = (await start.json()) as { redirectTo: string };
      const to = new URL(redirectTo, app.url);
      assert.deepEqual(
        [to.origin + to.pathname, to.searchParams.get('impersonation'), to.searchParams.get('prompt')],
        [`${app.config.issuer}/authorize`, (await requested())[0]!.data.impersonationId, 'login'],
      );
      const [entry] = await requested();
      const imp = (await app.store.impersonations.find(entry!.data.impersonationId as string))!;
      assert.deepEqual([imp.adminId, imp.targetId, imp.reason, imp.expiresAt - imp.startedAt], [admin.id, user.id, REASON, 7 * 60_000]);
      assert.equal((await impersonate(agent, { userId: user.id, reason: REASON })).status, 200);
      const stop = await agent.api('POST', '/bff/impersonation/stop');
      assert.equal(stop.status, 200);
      assert.deepEqual(await stop.json(), { redirectTo: '/admin/impersonate' });
      const again = await agent.api('POST', '/bff/impersonation/stop');
      assert.equal(again.status, 400);
      assert.deepEqual(await again.json(), { error: 'not_impersonating', message: 'You are not impersonating anyone.' });
    });
  });
}
