/**
 * Passkeys end to end over HTTP, with a software authenticator whose answers
 * @simplewebauthn/server verifies like a browser's: register from the account
 * API, sign in with no password, amr in a partner's ID token, rename, remove.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startTestApp, type TestApp } from '../testing/test-app.ts';
import { signedInAgent } from '../testing/agent.ts';
import { SoftAuthenticator } from '../testing/soft-authenticator.ts';
import { createAccount } from '../accounts/accounts.ts';
import { answerWith, atSignIn, registerWith, signedIn } from './passkey-test-helpers.ts';

const PASSWORD = 'correct horse battery staple';

for (const db of ['sqlite', 'postgres'] as const) {
  describe(`passkeys (${db})`, () => {
    let app: TestApp;
    before(async () => {
      app = await startTestApp({ db });
    });
    after(() => app.close());

    async function account(email: string) {
      const user = await createAccount(app.store, { email, password: PASSWORD }, Date.now());
      return { user, agent: await signedInAgent(app.url, email, PASSWORD) };
    }

    it('registers a passkey, lists it without secrets, and signs in with it without a password', async () => {
      const { user, agent } = await account('pia@example.com');
      const auth = new SoftAuthenticator({ origin: app.url });
      const reg = await registerWith(agent, auth, '  Work laptop ');
      assert.equal(reg.status, 201);
      const list = (await (await agent.api('GET', '/bff/account/passkeys')).json()) as { passkeys: Array<Record<string, unknown>> };
      assert.equal(list.passkeys.length, 1);
      assert.deepEqual(Object.keys(list.passkeys[0]!).sort(), ['createdAt', 'id', 'lastUsedAt', 'name', 'synced']);
      assert.equal(list.passkeys[0]!.name, 'Work laptop');
      assert.equal(list.passkeys[0]!.lastUsedAt, null);
      assert.equal((await app.store.audit.list({ kind: 'passkey_registered', subjectId: user.id })).length, 1);

      const { agent: fresh, uid } = await atSignIn(app);
      const res = await answerWith(fresh, uid, auth);
      assert.equal(res.status, 200);
      const { redirectTo } = (await res.json()) as { redirectTo: string };
      const { url } = await fresh.follow(redirectTo);
      assert.equal(url.pathname, '/account');
      assert.equal(await signedIn(fresh), true);
      const [stored] = await app.store.passkeys.listForUser(user.id);
      assert.equal(stored!.signCount, 1);
      assert.ok(stored!.lastUsedAt !== null);
      const [entry] = await app.store.audit.list({ kind: 'sign_in', subjectId: user.id, limit: 1 });
      assert.deepEqual({ method: entry!.data.method, amr: entry!.data.amr }, { method: 'passkey', amr: ['hwk', 'user'] });
    });

    it('records amr on the provider session: hwk + user for a device-bound, verified passkey; swk alone for a synced one without verification', async () => {
      for (const [email, auth, amr] of [
        ['bound@example.com', new SoftAuthenticator({ origin: app.url }), ['hwk', 'user']],
        ['synced@example.com', new SoftAuthenticator({ origin: app.url, synced: true, userVerified: false }), ['swk']],
      ] as const) {
        const { user, agent } = await account(email);
        assert.equal((await registerWith(agent, auth)).status, 201);
        const before = new Set((await app.store.oidcOwners.sessions(user.id)).map((s) => s.id));
        const { agent: browser, uid } = await atSignIn(app);
        const res = await answerWith(browser, uid, auth);
        assert.equal(res.status, 200);
        await browser.follow(((await res.json()) as { redirectTo: string }).redirectTo);
        const fresh = (await app.store.oidcOwners.sessions(user.id)).filter((s) => !before.has(s.id));
        assert.equal(fresh.length, 1);
        const session = await app.store.oidc.find('Session', fresh[0]!.id);
        assert.deepEqual(session?.payload.amr, amr);
      }
    });

    it('renames and removes a passkey (audited); a removed passkey no longer signs in', async () => {
      const { user, agent } = await account('rae@example.com');
      const auth = new SoftAuthenticator({ origin: app.url });
      const { passkey } = (await (await registerWith(agent, auth)).json()) as { passkey: { id: string } };
      assert.equal((await agent.api('PATCH', `/bff/account/passkeys/${passkey.id}`, { name: 'Phone' })).status, 200);
      const blank = await agent.api('PATCH', `/bff/account/passkeys/${passkey.id}`, { name: '   ' });
      assert.equal(blank.status, 400);
      assert.match(((await blank.json()) as { fields: Record<string, string> }).fields.name!, /Give the passkey a name/);
      const other = await account('other@example.com');
      assert.equal((await other.agent.api('DELETE', `/bff/account/passkeys/${passkey.id}`)).status, 404, 'not someone else’s');
      assert.equal((await agent.api('DELETE', `/bff/account/passkeys/${passkey.id}`)).status, 200);
      assert.equal((await agent.api('DELETE', `/bff/account/passkeys/${passkey.id}`)).status, 404);
      assert.deepEqual(
        (await app.store.audit.list({ kind: 'passkey_renamed', subjectId: user.id })).map((e) => e.data.name),
        ['Phone'],
      );
      assert.deepEqual(
        (await app.store.audit.list({ kind: 'passkey_removed', subjectId: user.id })).map((e) => e.data.name),
        ['Phone'],
      );

      const { agent: fresh, uid } = await atSignIn(app);
      const res = await answerWith(fresh, uid, auth);
      assert.equal(res.status, 401);
      assert.equal(((await res.json()) as { error: string }).error, 'passkey_not_registered');
      assert.equal(await signedIn(fresh), false);
    });

    it('refuses to remove the only second factor of an admin (MFA_ADMINS=required), and removes one of two', async () => {
      const user = await createAccount(app.store, { email: 'lone-admin@example.com', password: PASSWORD, role: 'admin' }, Date.now());
      // Policy makes the admin set up an authenticator app at sign-in; a passkey then takes its place.
      const agent = await signedInAgent(app.url, user.email, PASSWORD);
      const first = (await (await registerWith(agent, new SoftAuthenticator({ origin: app.url }), 'Key one')).json()) as { passkey: { id: string } };
      assert.equal(await app.store.mfa.totp.remove(user.id), true);
      const refused = await agent.api('DELETE', `/bff/account/passkeys/${first.passkey.id}`);
      assert.equal(refused.status, 409);
      assert.match(((await refused.json()) as { message: string }).message, /only second factor, and administrators must have one/);
      assert.equal((await app.store.passkeys.listForUser(user.id)).length, 1);
      assert.equal((await registerWith(agent, new SoftAuthenticator({ origin: app.url }), 'Key two')).status, 201);
      assert.equal((await agent.api('DELETE', `/bff/account/passkeys/${first.passkey.id}`)).status, 200);
      assert.deepEqual(
        (await app.store.passkeys.listForUser(user.id)).map((p) => p.name),
        ['Key two'],
      );
    });

    it('tells the browser which credentials exist, and refuses every call without a session or cross-site', async () => {
      const { agent } = await account('twice@example.com');
      const auth = new SoftAuthenticator({ origin: app.url });
      assert.equal((await registerWith(agent, auth)).status, 201);
      const again = await agent.api('POST', '/bff/account/passkeys/options', {});
      const { options } = (await again.json()) as {
        options: { challenge: string; rp: { id: string }; user: { id: string }; excludeCredentials: Array<{ id: string }> };
      };
      assert.deepEqual(
        options.excludeCredentials.map((c) => c.id),
        [auth.held[0]!.id.toString('base64url')],
        'the browser is told which credentials exist',
      );
      const anon = (await atSignIn(app)).agent;
      assert.equal((await anon.api('POST', '/bff/account/passkeys/options', {})).status, 401);
      assert.equal((await anon.api('GET', '/bff/account/passkeys')).status, 401);
      const crossSite = await agent.api('POST', '/bff/account/passkeys/options', {}, { origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' });
      assert.equal(crossSite.status, 403);
    });
  });
}
