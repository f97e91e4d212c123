/**
 * One timing behaviour for the adapters' client authentication
 * (oauth/client-auth.ts): an unknown client id costs the same secret compares
 * as a known client with a wrong secret, on WorkOS, SaG and Zenith. Counted
 * (`clientSecretWork`), never timed. SQLite and PostgreSQL.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestApp, type TestApp } from '../testing/test-app.ts';
import { registerClient } from '../oauth/clients.ts';
import { clientSecretWork } from '../oauth/client-auth.ts';
import { createAccount } from '../accounts/accounts.ts';
import { Agent, closeAll as closeZenith, codeFor, connect as connectZenith } from './zenith/test-client.ts';

const WRONG = 'w'.repeat(43);
const EMAIL = 'zed@example.com';
const PASSWORD = 'correct horse battery staple';
const REDIRECT = 'https://partner.example/cb';

async function comparesDuring(attempt: () => Promise<void>): Promise<number> {
  const before = clientSecretWork.compares;
  await attempt();
  return clientSecretWork.compares - before;
}

for (const db of ['sqlite', 'postgres'] as const) {
  describe(`adapter client authentication costs the same for unknown clients (${db})`, () => {
    let app: TestApp;
    let known: string;
    before(async () => {
      app = await startTestApp({ db });
      const { client } = await registerClient(
        app.store,
        { name: 'Partner', redirectUris: [REDIRECT], isPublic: false, scopes: ['openid', 'profile', 'offline_access'] },
        Date.now(),
      );
      known = client.clientId;
    });
    after(async () => {
      closeZenith();
      await app.close();
    });

    it('WorkOS authenticate: one compare, known client or not', async () => {
      const attempt = (clientId: string) => async () => {
        const res = await fetch(`${app.url}/user_management/authenticate`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', accept: 'application/json' },
          body: JSON.stringify({ grant_type: 'authorization_code', code: 'some-code', client_id: clientId, client_secret: WRONG }),
        });
        assert.equal(res.status, 401, clientId);
        assert.equal(((await res.json()) as { error: string }).error, 'invalid_client');
      };
      assert.equal(await comparesDuring(attempt(known)), 1, 'known client, wrong secret');
      assert.equal(await comparesDuring(attempt('client_unknown')), 1, 'unknown client');
    });

    it('SaG AuthCodeRequest: two compares (the secret as parsed and as sent), known client or not', async () => {
      const attempt = (clientId: string) => async () => {
        const res = await fetch(`${app.url}/admin/login/auth_code`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
          body: new URLSearchParams({ ClientId: clientId, ClientSecret: WRONG, Username: 'nobody@example.com', Password: 'a long enough password' }),
        });
        assert.equal(((await res.json()) as { Header: { Status: string } }).Header.Status, 'Error', clientId);
      };
      assert.equal(await comparesDuring(attempt(known)), 2, 'known client, wrong secret');
      assert.equal(await comparesDuring(attempt('client_unknown')), 2, 'unknown client');
    });

    it('Zenith AuthCode: one compare for a known client with a wrong secret and for one deleted since its code', async () => {
      await createAccount(app.store, { email: EMAIL, password: PASSWORD, emailVerified: true }, Date.now());
      const gone = await registerClient(
        app.store,
        { name: 'Gone', redirectUris: [REDIRECT], isPublic: false, scopes: ['openid', 'profile', 'offline_access'] },
        Date.now(),
      );
      const knownCode = await codeFor(app, new Agent(app.url), known, EMAIL, PASSWORD);
      const goneCode = await codeFor(app, new Agent(app.url), gone.client.clientId, EMAIL, PASSWORD);
      assert.equal(await app.store.clients.delete(gone.client.clientId), true);
      const zenith = await connectZenith(app);
      const attempt = (clientId: string, code: string, tid: number) => async () => {
        const reply = await zenith.call({
          Controller: 'Auth',
          Topic: 'AuthCode',
          TransactionID: tid,
          Data: { Provider: 'Paritech', ClientID: clientId, ClientSecret: WRONG, AuthGrant: code },
        });
        assert.deepEqual(reply.Data, { Result: 'Reject' }, clientId);
      };
      assert.equal(await comparesDuring(attempt(known, knownCode, 1)), 1, 'known client, wrong secret');
      assert.equal(await comparesDuring(attempt(gone.client.clientId, goneCode, 2)), 1, 'unknown (deleted) client');
    });
  });
}
