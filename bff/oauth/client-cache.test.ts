/**
 * Client records are cached per instance (client-cache.ts), and a change made
 * anywhere else is seen by the very next request: two instances on one
 * database, B having used (and cached) a partner; A rotates its secret, then
 * a separate connection (as the `portal` CLI in another process would) narrows
 * its redirect URIs, then A deletes it. B refuses the old secret, the old
 * redirect URI and finally the client at once, with no wait and no
 * notification between them.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestApp, TEST_SECRETS_ENV, type TestApp } from '../testing/test-app.ts';
import { testPartner, tokenEndpoint, PARTNER_REDIRECT } from '../testing/partner.ts';
import { openStore } from '../store/open-store.ts';
import { loadConfig } from '../config/config.ts';
import { rotateClientSecret } from './clients.ts';
import { secretsAtRest } from './secrets-at-rest.ts';

/** A token request with a code that does not exist: 400 invalid_grant once the client authenticated, 401 invalid_client otherwise. */
async function authenticates(app: TestApp, clientId: string, secret: string): Promise<boolean> {
  const res = await tokenEndpoint(app, { clientId, secret }, { grant_type: 'authorization_code', code: 'no-such-code', redirect_uri: PARTNER_REDIRECT });
  const body = (await res.json()) as { error: string };
  if (res.status === 400 && body.error === 'invalid_grant') return true;
  assert.equal(res.status, 401, JSON.stringify(body));
  assert.equal(body.error, 'invalid_client');
  return false;
}

/** What B's authorization endpoint says of a redirect URI: the redirect to the interaction, or an error page. */
async function acceptsRedirect(app: TestApp, clientId: string, redirectUri: string): Promise<boolean> {
  const url = new URL(`${app.config.issuer}/authorize`);
  for (const [k, v] of Object.entries({
    client_id: clientId,
    redirect_uri: redirectUri,
    response_type: 'code',
    scope: 'openid',
    code_challenge: 'x'.repeat(43),
    code_challenge_method: 'S256',
  }))
    url.searchParams.set(k, v);
  const res = await fetch(url, { redirect: 'manual' });
  await res.body?.cancel();
  return res.status === 303 || res.status === 302;
}

for (const db of ['sqlite', 'postgres'] as const) {
  describe(`client cache across instances (${db})`, () => {
    let a: TestApp;
    let b: TestApp;
    before(async () => {
      a = await startTestApp({ db });
      b = await startTestApp({ databaseUrl: a.config.databaseUrl });
    });
    after(async () => {
      await b?.close();
      await a?.close();
    });

    it('a secret rotated, a redirect URI removed or a client deleted elsewhere is refused by the next request', async () => {
      const p = await testPartner(a);
      const other = 'https://partner.example/other';
      await a.store.clients.upsert({ ...(await a.store.clients.find(p.clientId))!, redirectUris: [PARTNER_REDIRECT, other] });
      // B uses the partner, so its record is in B's cache.
      assert.equal(await authenticates(b, p.clientId, p.secret), true);
      assert.equal(await acceptsRedirect(b, p.clientId, other), true);

      const secret = await rotateClientSecret(a.store, p.clientId);
      assert.equal(await authenticates(b, p.clientId, p.secret), false, 'the old secret is refused at once');
      assert.equal(await authenticates(b, p.clientId, secret), true, 'the new secret works at once');

      // Another process on the same database, as the CLI is: its own connection, no message to anyone.
      const config = loadConfig({ NODE_ENV: 'test', PUBLIC_URL: a.url, DATABASE_URL: a.config.databaseUrl, ...TEST_SECRETS_ENV });
      const raw = await openStore(config.databaseUrl);
      try {
        const cli = secretsAtRest(raw, config.dataEncryptionKeys);
        await cli.clients.upsert({ ...(await cli.clients.find(p.clientId))!, redirectUris: [PARTNER_REDIRECT] });
      } finally {
        await raw.close();
      }
      assert.equal(await acceptsRedirect(b, p.clientId, other), false, 'the removed redirect URI is refused at once');
      assert.equal(await acceptsRedirect(b, p.clientId, PARTNER_REDIRECT), true);

      assert.equal(await a.store.clients.delete(p.clientId), true);
      assert.equal(await authenticates(b, p.clientId, secret), false, 'the deleted client is refused at once');
    });
  });
}
