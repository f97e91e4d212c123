/**
 * The WorkOS session record (session-meta.ts), exactly, where mutation
 * testing (docs/mutation.md) asks for it: the SDK's auth method for each way
 * of signing in (password, mail code, impersonation, SSO, passkey, a social
 * provider as `oauth`), nothing recorded without an account or for a grant
 * that is gone, the row's expiry the grant's, its payload field by field.
 * rememberSession is called as exchange.ts calls it, with the real app's
 * deps and grants saved by its provider. SQLite and PostgreSQL.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestApp, type TestApp } from '../../testing/test-app.ts';
import { MODEL, rememberSession } from './session-meta.ts';

for (const db of ['sqlite', 'postgres'] as const) {
  describe(`WorkOS session record (${db})`, { timeout: 60000 }, () => {
    let app: TestApp;
    before(async () => {
      app = await startTestApp({ db });
    });
    after(() => app.close());

    const saved = async () => new app.provider.Grant({ accountId: 'usr_meta', clientId: 'client_meta' }).save();

    it('the model name', () => {
      assert.equal(MODEL, 'WorkOSSession');
    });

    it('each way of signing in, as the SDK names it', { timeout: 20000 }, async () => {
      const cases: Array<[string[], string | undefined, string | null, string]> = [
        [['pwd'], undefined, null, 'password'],
        [['pwd', 'otp'], undefined, null, 'password'],
        [['email'], undefined, null, 'magic_code'],
        [['imp'], undefined, null, 'impersonation'],
        [['fed'], 'urn:portal:connection:corp', null, 'sso'],
        [['hwk'], undefined, null, 'passkey'],
        [['fed'], 'social:google', 'https://accounts.google.com', 'oauth'],
      ];
      for (const [amr, acr, issuer, expected] of cases) {
        const id = await saved();
        await rememberSession(app.deps, id, { accountId: 'usr_meta', amr, acr }, 'client_meta', { ip: '192.0.2.3', userAgent: 'Agent' }, issuer);
        const row = (await app.store.oidc.find(MODEL, id))!;
        assert.equal(row.payload.authMethod, expected, JSON.stringify([amr, acr, issuer]));
      }
    });

    it('the payload and expiry; nothing without an account or a grant', { timeout: 20000 }, async () => {
      const id = await saved();
      app.clock.offset = 5_000;
      try {
        await rememberSession(app.deps, id, { accountId: 'usr_meta', amr: ['pwd'] }, 'client_meta', { ip: null, userAgent: 'Agent/2' }, null);
      } finally {
        app.clock.offset = 0;
      }
      const row = (await app.store.oidc.find(MODEL, id))!;
      const grant = (await app.provider.Grant.find(id))!;
      const createdAt = Number(row.payload.createdAt);
      assert.ok(createdAt - Date.now() > 1_000 && createdAt - Date.now() <= 5_000, "the app's clock");
      assert.deepEqual(row.payload, { userId: 'usr_meta', clientId: 'client_meta', ipAddress: null, userAgent: 'Agent/2', authMethod: 'password', createdAt });
      assert.equal(typeof grant.exp, 'number');
      assert.equal(row.expiresAt, grant.exp! * 1000);
      // Bound to the grant: deleted with it.
      await app.store.oidc.revokeByGrantId(id);
      assert.equal(await app.store.oidc.find(MODEL, id), null);

      const noAccount = await saved();
      await rememberSession(app.deps, noAccount, { amr: ['pwd'] }, 'client_meta', { ip: null, userAgent: null }, null);
      assert.equal(await app.store.oidc.find(MODEL, noAccount), null);
      await rememberSession(app.deps, 'no-such-grant', { accountId: 'usr_meta', amr: ['pwd'] }, 'client_meta', { ip: null, userAgent: null }, null);
      assert.equal(await app.store.oidc.find(MODEL, 'no-such-grant'), null);
    });
  });
}
