/**
 * Signing keys and client secrets at rest: the database rows hold neither the
 * private key nor the secret (only its hash), yet tokens are signed and clients
 * authenticate; keys from before encryption are encrypted at start, secrets
 * from before hashing (in clear or encrypted) are hashed at start; rotating
 * DATA_ENCRYPTION_KEYS keeps old rows readable until `portal keys reencrypt`.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createRemoteJWKSet, exportJWK, generateKeyPair, jwtVerify } from 'jose';
import { startTestApp, TEST_SECRETS_ENV, type TestApp } from '../testing/test-app.ts';
import { rawSql } from '../testing/raw-sql.ts';
import { createAccount } from '../accounts/accounts.ts';
import { registerClient } from './clients.ts';
import { issueCode } from './core.ts';
import { hashClientSecret } from './client-auth.ts';
import { createSealer } from '../http/at-rest.ts';

const REDIRECT = 'https://partner.example/cb';
const KEY1 = '1:data-key-one-data-key-one-data-key-one-1';
const KEY2 = '2:data-key-two-data-key-two-data-key-two-2';

/** A code for the account, redeemed with client_secret_basic; the ID token is checked against the JWKS. */
async function signIn(app: TestApp, clientId: string, secret: string, accountId: string): Promise<number> {
  const { code } = await issueCode(app.deps, { clientId, accountId, scopes: ['openid'], redirectUri: REDIRECT, amr: ['pwd'] });
  const res = await fetch(`${app.url}/oauth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${clientId}:${secret}`).toString('base64')}` },
    body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT }),
  });
  if (res.status !== 200) return res.status;
  const { id_token } = (await res.json()) as { id_token: string };
  await jwtVerify(id_token, createRemoteJWKSet(new URL(`${app.url}/oauth/jwks`)), { issuer: app.config.issuer, audience: clientId });
  return 200;
}

/** An app under KEY1 with one confidential partner and one user. */
async function seeded(db: 'sqlite' | 'postgres', name: string) {
  const app = await startTestApp({ db, env: { DATA_ENCRYPTION_KEYS: KEY1 } });
  const { client, secret } = await registerClient(app.store, { name, redirectUris: [REDIRECT], isPublic: false }, Date.now());
  const user = await createAccount(app.store, { email: `${name.toLowerCase()}@example.com`, password: 'correct horse battery staple' }, Date.now());
  return { app, client, secret: secret!, user };
}

async function rows(app: TestApp) {
  const url = app.config.databaseUrl;
  return {
    keys: await rawSql<{ kid: string; jwk: string }>(url, 'SELECT kid, jwk FROM signing_keys ORDER BY kid'),
    clients: await rawSql<{ client_id: string; secret: string | null }>(url, 'SELECT client_id, secret FROM clients ORDER BY client_id'),
  };
}

const reencrypt = (app: TestApp, keys: string) =>
  spawnSync(process.execPath, ['bff/cli.ts', 'keys', 'reencrypt'], {
    env: { ...process.env, ...TEST_SECRETS_ENV, DATA_ENCRYPTION_KEYS: keys, DATABASE_URL: app.config.databaseUrl },
    encoding: 'utf8',
  });

for (const db of ['sqlite', 'postgres'] as const) {
  describe(`secrets at rest (${db})`, () => {
    it('stores no private key in clear and no client secret at all (its hash only), and still signs and authenticates', async () => {
      const { app, client, secret, user } = await seeded(db, 'Enc');
      try {
        const [key] = await app.store.keys.list();
        const d = key!.jwk.d as string;
        assert.equal(typeof d, 'string', 'the app itself sees the private key');

        const raw = await rows(app);
        assert.equal(raw.keys.length, 1);
        const stored = JSON.parse(raw.keys[0]!.jwk) as Record<string, unknown>;
        assert.equal(stored.d, undefined);
        assert.ok(!raw.keys[0]!.jwk.includes(d));
        assert.match(String(stored.enc), /^enc1\.1\./);
        assert.equal(stored.x, key!.jwk.x, 'the public part stays readable');
        assert.equal(raw.clients.length, 2, 'the partner and the BFF itself');
        for (const c of raw.clients) assert.match(String(c.secret), /^sha256:[\w-]{43}$/, c.client_id);
        assert.ok(!raw.clients.some((c) => c.secret?.includes(secret)));
        assert.equal(raw.clients.find((c) => c.client_id === client.clientId)!.secret, hashClientSecret(secret));
        assert.notEqual((await app.store.clients.find(client.clientId))!.secret, secret, 'no reader gets the secret back');

        assert.equal(await signIn(app, client.clientId, secret, user.id), 200);
        assert.equal(await signIn(app, client.clientId, `${secret}x`, user.id), 401, 'a wrong secret is still refused');
        assert.equal(await signIn(app, client.clientId, hashClientSecret(secret), user.id), 401, 'the stored hash is no secret');
      } finally {
        await app.close();
      }
    });

    it('encrypts keys and hashes secrets stored before the upgrade (in clear or encrypted), at start, and they keep working', async () => {
      const { app: first, client, secret, user } = await seeded(db, 'Old');
      const { client: sealedClient, secret: sealedSecret } = await registerClient(
        first.store,
        { name: 'Sealed', redirectUris: [REDIRECT], isPublic: false },
        Date.now(),
      );
      const url = first.config.databaseUrl;
      // As the previous version stored secrets: AES-256-GCM under DATA_ENCRYPTION_KEYS (decision 0009).
      const sealer = createSealer({ 1: KEY1.slice(2) }, { version: 'enc1', salt: 'portal-data-at-rest', info: 'portal client secret' });
      await rawSql(url, 'UPDATE clients SET secret = $1 WHERE client_id = $2', [sealer.seal(sealedSecret!, sealedClient.clientId), sealedClient.clientId]);
      // As an older version stored them: the secret and a private JWK in clear.
      const { privateKey } = await generateKeyPair('ES256', { extractable: true });
      const jwk = { ...(await exportJWK(privateKey)), kid: 'legacy-key', alg: 'ES256', use: 'sig' };
      await rawSql(url, 'UPDATE clients SET secret = $1 WHERE client_id = $2', [secret, client.clientId]);
      await rawSql(url, 'DELETE FROM signing_keys');
      await rawSql(url, 'INSERT INTO signing_keys (kid, alg, jwk, created_at) VALUES ($1, $2, $3, $4)', [
        'legacy-key',
        'ES256',
        JSON.stringify(jwk),
        Date.now() - 1000,
      ]);

      const second = await startTestApp({ databaseUrl: url, env: { DATA_ENCRYPTION_KEYS: KEY1, PUBLIC_URL: first.url } });
      try {
        const raw = await rows(second);
        assert.deepEqual(
          raw.keys.map((k) => k.kid),
          ['legacy-key'],
        );
        assert.ok(!raw.keys[0]!.jwk.includes(jwk.d!));
        assert.match(String((JSON.parse(raw.keys[0]!.jwk) as { enc: string }).enc), /^enc1\.1\./);
        assert.deepEqual(
          raw.clients.map((c) => /^sha256:/.test(c.secret ?? '')),
          [true, true, true],
        );
        assert.equal(raw.clients.find((c) => c.client_id === sealedClient.clientId)!.secret, hashClientSecret(sealedSecret!));
        assert.equal(await signIn(second, client.clientId, secret, user.id), 200);
        assert.equal(await signIn(second, sealedClient.clientId, sealedSecret!, user.id), 200);
        assert.deepEqual(
          (await second.store.keys.list()).map((k) => k.jwk.d),
          [jwk.d],
        );
      } finally {
        await second.close();
        await first.close();
      }
    });

    it('rotates the encryption key: old rows stay readable, `keys reencrypt` moves them, then the old id can go', async () => {
      const { app: first, client, secret, user } = await seeded(db, 'Rot');
      const url = first.config.databaseUrl;

      const second = await startTestApp({ databaseUrl: url, env: { DATA_ENCRYPTION_KEYS: `${KEY2},${KEY1}`, PUBLIC_URL: first.url } });
      try {
        assert.equal(await signIn(second, client.clientId, secret, user.id), 200, 'a row under id 1 still opens');
        const { client: newer } = await registerClient(second.store, { name: 'New', redirectUris: [REDIRECT], isPublic: false }, Date.now());
        const byId = new Map((await rows(second)).clients.map((c) => [c.client_id, c.secret]));
        assert.match(byId.get(newer.clientId)!, /^sha256:/, 'secrets are hashed whatever the key');

        const r = reencrypt(second, `${KEY2},${KEY1}`);
        assert.equal(r.status, 0, r.stderr);
        // Hashes need no key: only the signing key is re-encrypted.
        assert.deepEqual(JSON.parse(r.stdout), { reencrypted: { clients: 0, signingKeys: 1 } });
        const after = await rows(second);
        assert.ok(after.clients.every((c) => c.secret?.startsWith('sha256:')));
        assert.ok(after.keys.every((k) => (JSON.parse(k.jwk) as { enc: string }).enc.startsWith('enc1.2.')));
        const third = await startTestApp({ databaseUrl: url, env: { DATA_ENCRYPTION_KEYS: KEY2, PUBLIC_URL: first.url } });
        try {
          assert.equal(await signIn(third, client.clientId, secret, user.id), 200, 'id 1 removed, everything still opens');
        } finally {
          await third.close();
        }
      } finally {
        await second.close();
        await first.close();
      }
    });
  });
}
