/**
 * A password change ends access everywhere but in the session that made it:
 * the user's other BFF sessions, their provider sessions and every partner
 * grant (refresh and access tokens). Revoking a connected app ends it on every
 * device. REVOKE_ON_PASSWORD_CHANGE=false keeps the old behaviour.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as oidc from 'openid-client';
import { unsealData } from 'iron-session';
import { startTestApp, type TestApp } from '../testing/test-app.ts';
import { signedInAgent, type Agent } from '../testing/agent.ts';
import { createAccount } from './accounts.ts';
import { partnerTokens, refreshWith, testPartner, type TestPartner } from '../testing/partner.ts';

const PASSWORD = 'correct horse battery staple';
const NEW_PASSWORD = 'another long and different passphrase';

const signedIn = async (agent: Agent): Promise<boolean> => (await (await agent.api('GET', '/bff/session')).json()).authenticated;

async function changePassword(agent: Agent, from: string, to: string): Promise<void> {
  const res = await agent.api('POST', '/bff/account/password', { currentPassword: from, newPassword: to });
  assert.equal(res.status, 200, await res.clone().text());
}

for (const db of ['sqlite', 'postgres'] as const) {
  describe(`password change ends other access (${db})`, () => {
    let app: TestApp;
    let p: TestPartner;
    before(async () => {
      app = await startTestApp({ db, env: { SESSION_CACHE_MS: '0' } });
      p = await testPartner(app);
    });
    after(() => app.close());

    it('ends the other BFF session, provider session and partner grants; the changing session stays', async () => {
      const email = `pw-${db}@example.com`;
      const user = await createAccount(app.store, { email, password: PASSWORD, emailVerified: true }, Date.now());
      const here = await signedInAgent(app.url, email, PASSWORD);
      const there = await signedInAgent(app.url, email, PASSWORD);
      // The partner was signed in from the other browser (its own provider session), and from this one.
      const partnerThere = await partnerTokens(app, p, { email, password: PASSWORD, agent: there });
      const partnerHere = await partnerTokens(app, p, { email, password: PASSWORD, agent: here });

      await changePassword(here, PASSWORD, NEW_PASSWORD);

      assert.equal(await signedIn(there), false, 'the other BFF session ended');
      assert.equal(await signedIn(here), true, 'the session that changed it stays');
      for (const t of [partnerThere, partnerHere]) {
        assert.equal((await refreshWith(app, p, t.refresh_token!)).body.error, 'invalid_grant');
        assert.equal((await oidc.tokenIntrospection(p.config, t.access_token)).active, false);
      }
      // The other browser's provider session is gone too: the partner asks it for the (new) password.
      const { url } = await there.follow(
        oidc.buildAuthorizationUrl(p.config, { redirect_uri: 'https://partner.example/cb', scope: 'openid', state: 's' }).href,
        (u) => u.pathname.startsWith('/interaction/'),
      );
      assert.equal((await (await there.api('GET', `/bff/interaction/${url.pathname.split('/')[2]}`)).json()).prompt, 'login');

      const rows = await app.store.audit.list({ kind: 'sessions_revoked', subjectId: user.id });
      assert.equal(rows.length, 1);
      assert.deepEqual(rows[0]!.data, { reason: 'password_changed', bffSessions: 1, grants: 3, providerSessions: 1 });
      // The remaining session still refreshes: its own grant was kept.
      const mine = (await app.store.bffSessions.find(await sessionIdOf(app, here)))!;
      app.clock.offset = mine.accessExpiresAt - Date.now() - 1000;
      try {
        assert.equal(await signedIn(here), true);
        assert.equal((await app.store.bffSessions.find(mine.id))!.version, mine.version + 1, 'refreshed');
      } finally {
        app.clock.offset = 0;
      }
      // Signing in again (new password) asks for no consent already given.
      const again = await partnerTokens(app, p, { email, password: NEW_PASSWORD, agent: there });
      assert.ok(again.refresh_token);
    });

    it('revoking a connected app ends it on every device', async () => {
      const email = `apps-${db}@example.com`;
      await createAccount(app.store, { email, password: PASSWORD, emailVerified: true }, Date.now());
      const one = await signedInAgent(app.url, email, PASSWORD);
      const two = await signedInAgent(app.url, email, PASSWORD);
      const t1 = await partnerTokens(app, p, { email, password: PASSWORD, agent: one });
      const t2 = await partnerTokens(app, p, { email, password: PASSWORD, agent: two });
      const res = await one.api('DELETE', `/bff/account/apps/${encodeURIComponent(p.clientId)}`);
      assert.equal(res.status, 200);
      for (const t of [t1, t2]) assert.equal((await refreshWith(app, p, t.refresh_token!)).body.error, 'invalid_grant');
      assert.equal(await signedIn(two), true, 'only the app was revoked');
    });
  });

  describe(`REVOKE_ON_PASSWORD_CHANGE=false (${db})`, () => {
    let app: TestApp;
    before(async () => {
      app = await startTestApp({ db, env: { SESSION_CACHE_MS: '0', REVOKE_ON_PASSWORD_CHANGE: 'false' } });
    });
    after(() => app.close());

    it('a password change ends nothing else', async () => {
      const email = `keep-${db}@example.com`;
      await createAccount(app.store, { email, password: PASSWORD, emailVerified: true }, Date.now());
      const p = await testPartner(app);
      const here = await signedInAgent(app.url, email, PASSWORD);
      const there = await signedInAgent(app.url, email, PASSWORD);
      const t = await partnerTokens(app, p, { email, password: PASSWORD, agent: there });
      await changePassword(here, PASSWORD, NEW_PASSWORD);
      assert.equal(await signedIn(there), true);
      assert.equal((await refreshWith(app, p, t.refresh_token!)).status, 200);
    });
  });
}

async function sessionIdOf(app: TestApp, agent: Agent): Promise<string> {
  const { sid } = await unsealData<{ sid: string }>(decodeURIComponent(agent.jar.get('portal')!.value), {
    password: app.config.cookieSecrets as Record<string, string>,
  });
  return sid;
}
