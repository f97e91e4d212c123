/**
 * An admin rotates a partner app's secret from the admin API: the new secret
 * is answered once, the old one stops working at the token endpoint at once,
 * and the rotation is audited. Public apps and unknown ids get a clear 4xx.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestApp, type TestApp } from '../testing/test-app.ts';
import { signedInAgent, type Agent } from '../testing/agent.ts';
import { testPartner, tokenEndpoint, type TestPartner } from '../testing/partner.ts';
import { createAccount } from '../accounts/accounts.ts';
import { registerClient } from '../oauth/clients.ts';
import { hashClientSecret } from '../oauth/client-auth.ts';
import { rawSql } from '../testing/raw-sql.ts';

const PASSWORD = 'correct horse battery staple';

for (const db of ['sqlite', 'postgres'] as const) {
  describe(`admin: rotate a partner app's secret (${db})`, () => {
    let app: TestApp;
    let admin: Agent;
    let partner: TestPartner;
    before(async () => {
      app = await startTestApp({ db });
      await createAccount(app.store, { email: 'root@example.com', password: PASSWORD, role: 'admin' }, Date.now());
      await createAccount(app.store, { email: 'user@example.com', password: PASSWORD }, Date.now());
      admin = await signedInAgent(app.url, 'root@example.com', PASSWORD);
      partner = await testPartner(app);
    });
    after(() => app.close());

    const clientCredentials = (secret: string) => tokenEndpoint(app, { clientId: partner.clientId, secret }, { grant_type: 'client_credentials' });

    it('answers a new secret once; the old one is refused by /oauth/token and the new one is accepted; one audit entry', async () => {
      const before = (await clientCredentials(partner.secret)).status;
      assert.notEqual(before, 401, 'the original secret works before the rotation');
      const res = await admin.api('POST', `/bff/admin/clients/${partner.clientId}/secret`);
      assert.equal(res.status, 200, await res.clone().text());
      const body = (await res.json()) as { clientId: string; clientSecret: string };
      assert.equal(body.clientId, partner.clientId);
      assert.notEqual(body.clientSecret, partner.secret);

      const old = await clientCredentials(partner.secret);
      assert.deepEqual([old.status, ((await old.json()) as { error: string }).error], [401, 'invalid_client']);
      // Whatever the grant answers for a valid client (it may not allow client_credentials), it is no longer invalid_client.
      const fresh = await clientCredentials(body.clientSecret);
      assert.equal(fresh.status, before);
      // The database keeps only the new secret's hash (decision 0025).
      const [row] = await rawSql<{ secret: string }>(app.config.databaseUrl, 'SELECT secret FROM clients WHERE client_id = $1', [partner.clientId]);
      assert.equal(row!.secret, hashClientSecret(body.clientSecret));
      assert.ok(!row!.secret.includes(body.clientSecret));

      const entries = await app.store.audit.list({ kind: 'client_secret_rotated' });
      assert.equal(entries.length, 1);
      assert.deepEqual([entries[0]!.data.clientId, entries[0]!.data.clientSecret], [partner.clientId, undefined]);
    });

    it('refuses a public app (400 public_client), an unknown id (404 client_not_found) and a non-admin (403), in the BFF JSON format', async () => {
      const { client } = await registerClient(
        app.store,
        { name: 'Public', redirectUris: ['https://p.example/cb'], isPublic: true, scopes: ['openid'] },
        Date.now(),
      );
      const pub = await admin.api('POST', `/bff/admin/clients/${client.clientId}/secret`);
      assert.deepEqual([pub.status, ((await pub.json()) as { error: string }).error], [400, 'public_client']);
      const unknown = await admin.api('POST', '/bff/admin/clients/nope/secret');
      assert.deepEqual([unknown.status, ((await unknown.json()) as { error: string }).error], [404, 'client_not_found']);
      const user = await signedInAgent(app.url, 'user@example.com', PASSWORD);
      const refused = await user.api('POST', `/bff/admin/clients/${partner.clientId}/secret`);
      assert.deepEqual([refused.status, ((await refused.json()) as { error: string }).error], [403, 'admin_required']);
    });
  });
}
