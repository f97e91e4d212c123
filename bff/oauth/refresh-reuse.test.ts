/**
 * The refresh reuse window is a short grace for racing refreshes, not an
 * amnesty: a rotated refresh token presented after REFRESH_REUSE_WINDOW has
 * passed is theft, and revokes the whole grant (the newest refresh token and
 * the access token stop working too). The adapter reads the injected clock,
 * so the test moves it past the window instead of waiting.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as oidc from 'openid-client';
import { startTestApp, type TestApp } from '../testing/test-app.ts';
import { partnerTokens, refreshWith, testPartner, type TestPartner } from '../testing/partner.ts';
import { createAccount } from '../accounts/accounts.ts';

const PASSWORD = 'correct horse battery staple';
const WINDOW_SECONDS = 5;

for (const db of ['sqlite', 'postgres'] as const) {
  describe(`refresh token reuse after the window (${db})`, () => {
    let app: TestApp;
    let p: TestPartner;
    before(async () => {
      app = await startTestApp({ db, env: { REFRESH_REUSE_WINDOW: String(WINDOW_SECONDS) } });
      await createAccount(app.store, { email: 'pat@example.com', password: PASSWORD }, Date.now());
      p = await testPartner(app);
    });
    after(() => app.close());

    it('inside the window a replay is refused but the grant survives', async () => {
      const t = await partnerTokens(app, p, { email: 'pat@example.com', password: PASSWORD });
      const r1 = await refreshWith(app, p, t.refresh_token!);
      assert.equal(r1.status, 200);
      const replay = await refreshWith(app, p, t.refresh_token!);
      assert.deepEqual([replay.status, replay.body.error], [400, 'invalid_grant']);
      assert.equal((await oidc.tokenIntrospection(p.config, r1.body.access_token!)).active, true);
      assert.equal((await refreshWith(app, p, r1.body.refresh_token!)).status, 200);
    });

    it('after the window a replay revokes the grant: the newest refresh token and the access token die', async () => {
      const t = await partnerTokens(app, p, { email: 'pat@example.com', password: PASSWORD });
      const r1 = await refreshWith(app, p, t.refresh_token!);
      assert.equal(r1.status, 200);
      try {
        app.clock.offset = (WINDOW_SECONDS + 1) * 1000;
        const replay = await refreshWith(app, p, t.refresh_token!);
        assert.deepEqual([replay.status, replay.body.error], [400, 'invalid_grant']);
        const newest = await refreshWith(app, p, r1.body.refresh_token!);
        assert.deepEqual([newest.status, newest.body.error], [400, 'invalid_grant'], 'the whole grant is gone');
        assert.equal((await oidc.tokenIntrospection(p.config, r1.body.access_token!)).active, false);
        const ui = await fetch(`${app.config.issuer}/userinfo`, { headers: { authorization: `Bearer ${r1.body.access_token}` } });
        assert.equal(ui.status, 401);
      } finally {
        app.clock.offset = 0;
      }
    });
  });
}
