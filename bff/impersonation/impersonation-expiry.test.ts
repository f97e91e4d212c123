/**
 * An impersonation's time limit binds the partner apps opened during it, on
 * its own: once it has expired, their refresh tokens are refused even though
 * no sweep has ended it yet (the record still says "running"). The injected
 * clock moves past the limit instead of waiting.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { decodeJwt } from 'jose';
import { startTestApp, type TestApp } from '../testing/test-app.ts';
import { signedInAgent } from '../testing/agent.ts';
import { partnerTokens, refreshWith, testPartner, type TestPartner } from '../testing/partner.ts';
import { createAccount } from '../accounts/accounts.ts';
import type { User } from '../store/store.ts';
import { impersonate, sessionRow } from './test-helpers.ts';

const PASSWORD = 'correct horse battery staple';
const REASON = 'Customer asked for help with billing settings';

for (const db of ['sqlite', 'postgres'] as const) {
  describe(`impersonation expiry binds partner tokens (${db})`, () => {
    let app: TestApp;
    let admin: User;
    let user: User;
    let p: TestPartner;
    before(async () => {
      app = await startTestApp({ db });
      admin = await createAccount(app.store, { email: 'root@example.com', password: PASSWORD, role: 'admin' }, Date.now());
      user = await createAccount(app.store, { email: 'uma@example.com', password: PASSWORD }, Date.now());
      p = await testPartner(app);
      // The user connected the partner on their own, so no consent is asked while impersonating.
      await partnerTokens(app, p, { email: user.email, password: PASSWORD });
    });
    after(() => app.close());

    it('after the time limit, before any sweep, the partner refresh fails', async () => {
      const agent = await signedInAgent(app.url, admin.email, PASSWORD);
      assert.equal((await impersonate(agent, { userId: user.id, reason: REASON, durationMinutes: 1 })).status, 200);
      const impId = ((await sessionRow(app, agent)).data.impersonation as { id: string }).id;
      const t = await partnerTokens(app, p, { email: user.email, password: 'not asked: the browser is signed in', agent });
      assert.deepEqual(decodeJwt(t.access_token).act, { sub: admin.id });

      // Within the limit the partner refreshes as usual, still marked as impersonated.
      const inTime = await refreshWith(app, p, t.refresh_token!);
      assert.equal(inTime.status, 200);
      assert.deepEqual(decodeJwt(inTime.body.access_token!).act, { sub: admin.id });
      try {
        app.clock.offset = 61_000;
        const late = await refreshWith(app, p, inTime.body.refresh_token!);
        assert.deepEqual([late.status, late.body.error], [400, 'invalid_grant']);
        const imp = await app.store.impersonations.find(impId);
        assert.equal(imp!.endedAt, null, 'no sweep ran: the limit alone refused it');
      } finally {
        app.clock.offset = 0;
      }
    });
  });
}
