/**
 * Key rotation without logout: a new key is published before anyone signs
 * with it, then signs, while tokens signed with the old key keep working.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { decodeProtectedHeader } from 'jose';
import { startTestApp } from '../testing/test-app.ts';
import { createAccount } from '../accounts/accounts.ts';
import { registerClient } from './clients.ts';
import { rotateSigningKey } from './keys.ts';
import { issueCode } from './core.ts';

const PASSWORD = 'correct horse battery staple';
const REDIRECT = 'https://partner.example/cb';

/** A code minted by the instance's provider model and redeemed at that instance's token endpoint. */
async function token(app: Awaited<ReturnType<typeof startTestApp>>, clientId: string, secret: string, accountId: string) {
  const { code } = await issueCode(app.deps, { clientId, accountId, scopes: ['openid'], redirectUri: REDIRECT, amr: ['pwd'] });
  const res = await fetch(`${app.url}/oauth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${clientId}:${secret}`).toString('base64')}` },
    body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT }),
  });
  assert.equal(res.status, 200);
  return (await res.json()) as { access_token: string; id_token: string };
}

for (const db of ['sqlite', 'postgres'] as const) {
  describe(`signing-key rotation (${db})`, () => {
    it('publishes a pending key first, signs with it once active, and old tokens keep working', async () => {
      const first = await startTestApp({ db });
      const url = first.config.databaseUrl;
      const { client, secret } = await registerClient(first.store, { name: 'Rot', redirectUris: [REDIRECT], isPublic: false }, Date.now());
      const user = await createAccount(first.store, { email: 'rot@example.com', password: PASSWORD }, Date.now());
      const old = await token(first, client.clientId, secret!, user.id);
      const oldKid = decodeProtectedHeader(old.access_token).kid;

      // Rotation announced for an hour from now: a (re)started instance publishes it but still signs with the old key.
      const pending = await rotateSigningKey(first.store, Date.now() + 3600_000);
      const second = await startTestApp({ databaseUrl: url, env: { PUBLIC_URL: first.url } });
      try {
        const jwks = (await (await fetch(`${second.url}/oauth/jwks`)).json()) as { keys: Array<{ kid: string }> };
        assert.ok(
          jwks.keys.some((k) => k.kid === pending.kid),
          'the pending key is published',
        );
        assert.equal(decodeProtectedHeader((await token(second, client.clientId, secret!, user.id)).access_token).kid, oldKid);
      } finally {
        await second.close();
      }

      // Once a new key's time has come, instances started after it sign with it.
      const active = await rotateSigningKey(first.store, Date.now() - 1);
      const third = await startTestApp({ databaseUrl: url, env: { PUBLIC_URL: first.url } });
      try {
        const fresh = await token(third, client.clientId, secret!, user.id);
        assert.equal(decodeProtectedHeader(fresh.access_token).kid, active.kid);
        assert.equal(decodeProtectedHeader(fresh.id_token).kid, active.kid);
        // The token signed with the old key still works: nobody is signed out by the rotation.
        assert.equal((await fetch(`${third.url}/oauth/userinfo`, { headers: { authorization: `Bearer ${old.access_token}` } })).status, 200);
        const keys = (await (await fetch(`${third.url}/oauth/jwks`)).json()) as { keys: Array<{ kid: string }> };
        assert.ok(
          keys.keys.some((k) => k.kid === oldKid),
          'the old key is still published',
        );
      } finally {
        await third.close();
        await first.close();
      }
    });
  });
}
