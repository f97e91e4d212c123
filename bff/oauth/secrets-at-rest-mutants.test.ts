/**
 * Secrets at rest (secrets-at-rest.ts), pinned where mutation testing
 * (docs/mutation.md) needs it: every private JWK member kept out of the
 * row, the row's ciphertext opened independently (HKDF salt and info, the
 * kid as associated data), client secrets hashed through every writing door
 * and inside transactions, rows from before hashing or encryption read as
 * their hash, the exact "cannot be decrypted" errors, and what
 * `sealStoredSecrets` rewrites and counts, with and without re-encryption.
 * In-process, against a second connection to the app's real database
 * (SQLite file or PostgreSQL schema).
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createDecipheriv, hkdfSync } from 'node:crypto';
import { startTestApp, type TestApp } from '../testing/test-app.ts';
import { openStore } from '../store/open-store.ts';
import type { ClientRecord, Store } from '../store/store.ts';
import { createSealer } from '../http/at-rest.ts';
import { hashClientSecret } from './client-auth.ts';
import { sealStoredSecrets, secretsAtRest } from './secrets-at-rest.ts';

const K1 = 'data-key-one-data-key-one-data-key-one-1';
const K2 = 'data-key-two-data-key-two-data-key-two-2';
const KEYS = { 1: K1, 2: K2 };
const SALT = 'portal-data-at-rest';
const PUBLIC = { kty: 'RSA', kid: 'x', alg: 'RS256', use: 'sig', n: 'modulus', e: 'AQAB', crv: 'P-256', x: 'xx', y: 'yy' };
const PRIVATE = { d: 'D', p: 'P', q: 'Q', dp: 'DP', dq: 'DQ', qi: 'QI', oth: [{ r: 'R', d: 'OD', t: 'T' }], k: 'K' };

function openIndependently(sealed: string, secret: string, info: string, aad: string): string {
  const [, , iv, ct, tag] = sealed.split('.');
  const d = createDecipheriv('aes-256-gcm', Buffer.from(hkdfSync('sha256', secret, SALT, info, 32)), Buffer.from(iv!, 'base64url'), { authTagLength: 16 });
  d.setAAD(Buffer.from(aad, 'utf8'));
  d.setAuthTag(Buffer.from(tag!, 'base64url'));
  return Buffer.concat([d.update(Buffer.from(ct!, 'base64url')), d.final()]).toString('utf8');
}

const secretSealer = (keys: Record<number, string>) => createSealer(keys, { version: 'enc1', salt: SALT, info: 'portal client secret' });
const jwkSealer = (keys: Record<number, string>) => createSealer(keys, { version: 'enc1', salt: SALT, info: 'portal signing key' });

function client(clientId: string, secret: string | null): ClientRecord {
  return {
    clientId,
    name: clientId,
    secret,
    redirectUris: ['https://partner.example/cb'],
    postLogoutRedirectUris: [],
    scopes: ['openid'],
    logoUrl: null,
    firstParty: false,
    createdAt: 1,
  };
}

const cannotDecrypt = (what: string) => ({
  message: `${what} cannot be decrypted: is the DATA_ENCRYPTION_KEYS id it was encrypted with still configured?`,
});

for (const db of ['sqlite', 'postgres'] as const) {
  describe(`secrets at rest, exactly (${db})`, () => {
    let app: TestApp;
    let raw: Store;
    let wrapped: Store;
    before(async () => {
      app = await startTestApp({ db, env: { DATA_ENCRYPTION_KEYS: `1:${K1}` } });
      raw = await openStore(app.config.databaseUrl);
      wrapped = secretsAtRest(raw, KEYS);
    });
    after(async () => {
      await raw?.close();
      await app?.close();
    });

    const rawKey = async (kid: string) => (await raw.keys.list()).find((k) => k.kid === kid)!.jwk;
    const rawSecret = async (clientId: string) => (await raw.clients.find(clientId))!.secret;

    it('wrapping twice is wrapping once', () => {
      assert.equal(secretsAtRest(wrapped, KEYS), wrapped);
    });

    it('keeps every private JWK member out of the row, and the ciphertext opens as documented', async () => {
      const jwk = { ...PUBLIC, ...PRIVATE, kid: 'all-members' };
      await wrapped.keys.insert({ kid: 'all-members', alg: 'RS256', jwk, createdAt: 5 });
      const stored = await rawKey('all-members');
      assert.deepEqual(Object.keys(stored).sort(), [...Object.keys(PUBLIC), 'enc'].sort(), 'the public members and the ciphertext only');
      for (const [name, value] of Object.entries(PUBLIC)) assert.equal(stored[name], name === 'kid' ? 'all-members' : value, name);
      assert.match(String(stored.enc), /^enc1\.2\./, 'under the highest id');
      assert.deepEqual(JSON.parse(openIndependently(String(stored.enc), K2, 'portal signing key', 'all-members')), jwk);
      assert.deepEqual((await wrapped.keys.list()).find((k) => k.kid === 'all-members')!.jwk, jwk, 'read back whole');

      const replaced = { ...jwk, d: 'D2' };
      await wrapped.keys.setJwk('all-members', replaced);
      const again = await rawKey('all-members');
      assert.equal(again.d, undefined);
      assert.deepEqual(JSON.parse(openIndependently(String(again.enc), K2, 'portal signing key', 'all-members')), replaced);
      assert.deepEqual((await wrapped.keys.list()).find((k) => k.kid === 'all-members')!.jwk, replaced);
    });

    it('reads a key from before encryption as it is, and refuses one sealed for another row or under a removed id', async () => {
      await raw.keys.insert({ kid: 'clear-key', alg: 'ES256', jwk: { kty: 'EC', d: 'clear' }, createdAt: 6 });
      assert.deepEqual((await wrapped.keys.list()).find((k) => k.kid === 'clear-key')!.jwk, { kty: 'EC', d: 'clear' });
      await raw.keys.insert({ kid: 'moved-key', alg: 'ES256', jwk: { kty: 'EC', enc: jwkSealer(KEYS).seal('{"d":"x"}', 'another-kid') }, createdAt: 7 });
      await assert.rejects(wrapped.keys.list(), cannotDecrypt('signing key moved-key'));
      await raw.keys.setJwk('moved-key', { kty: 'EC', enc: secretSealer(KEYS).seal('{"d":"x"}', 'moved-key') });
      await assert.rejects(wrapped.keys.list(), cannotDecrypt('signing key moved-key'), 'a client-secret ciphertext is not a key');
      await raw.keys.setJwk('moved-key', { kty: 'EC', enc: jwkSealer({ 3: K1 }).seal('{"d":"x"}', 'moved-key') });
      await assert.rejects(wrapped.keys.list(), cannotDecrypt('signing key moved-key'), 'id 3 is not configured');
      await raw.keys.setJwk('moved-key', { kty: 'EC', enc: jwkSealer({ 1: K1 }).seal('{"d":"x"}', 'moved-key') });
      assert.deepEqual((await wrapped.keys.list()).find((k) => k.kid === 'moved-key')!.jwk, { d: 'x' }, 'an older id still opens');
      await raw.keys.setJwk('clear-key', { kty: 'EC', d: 'clear' });
    });

    it('hashes a client secret through every door, keeps a hash and a public client as they are', async () => {
      await wrapped.clients.create(client('c-create', 'secret-one'));
      assert.equal(await rawSecret('c-create'), hashClientSecret('secret-one'));
      assert.equal((await wrapped.clients.find('c-create'))!.secret, hashClientSecret('secret-one'));
      await wrapped.clients.upsert(client('c-upsert', 'secret-two'));
      assert.equal(await rawSecret('c-upsert'), hashClientSecret('secret-two'));
      await wrapped.clients.setSecret('c-upsert', 'secret-three');
      assert.equal(await rawSecret('c-upsert'), hashClientSecret('secret-three'));
      await wrapped.clients.create(client('c-hashed', hashClientSecret('already')));
      assert.equal(await rawSecret('c-hashed'), hashClientSecret('already'), 'a hash is not hashed again');
      await wrapped.clients.create(client('c-public', null));
      assert.equal(await rawSecret('c-public'), null);
      assert.equal((await wrapped.clients.find('c-public'))!.secret, null);
      assert.equal(await wrapped.clients.find('c-nobody'), null);
      await wrapped.transaction(async (tx) => {
        await tx.clients.create(client('c-in-tx', 'secret-tx'));
        await tx.keys.insert({ kid: 'key-in-tx', alg: 'ES256', jwk: { kty: 'EC', d: 'tx' }, createdAt: 8 });
      });
      assert.equal(await rawSecret('c-in-tx'), hashClientSecret('secret-tx'), 'inside a transaction too');
      const txKey = await rawKey('key-in-tx');
      assert.equal(txKey.d, undefined, 'inside a transaction too');
      assert.equal(openIndependently(String(txKey.enc), K2, 'portal signing key', 'key-in-tx'), '{"kty":"EC","d":"tx"}');
    });

    it('reads secrets from before hashing (in clear, or sealed for that client) as their hash; a foreign seal is an error', async () => {
      await raw.clients.create(client('c-clear', 'clear-secret'));
      await raw.clients.create(client('c-sealed', secretSealer({ 1: K1 }).seal('sealed-secret', 'c-sealed')));
      assert.equal((await wrapped.clients.find('c-clear'))!.secret, hashClientSecret('clear-secret'));
      assert.equal((await wrapped.clients.find('c-sealed'))!.secret, hashClientSecret('sealed-secret'));
      const listed = new Map((await wrapped.clients.list()).map((c) => [c.clientId, c.secret]));
      assert.equal(listed.get('c-clear'), hashClientSecret('clear-secret'));
      assert.equal(listed.get('c-sealed'), hashClientSecret('sealed-secret'));
      assert.equal(listed.get('c-public'), null);

      await raw.clients.create(client('c-foreign', secretSealer(KEYS).seal('s', 'another-client')));
      await assert.rejects(wrapped.clients.find('c-foreign'), cannotDecrypt('the secret of client c-foreign'));
      await raw.clients.setSecret('c-foreign', jwkSealer(KEYS).seal('s', 'c-foreign'));
      await assert.rejects(wrapped.clients.find('c-foreign'), cannotDecrypt('the secret of client c-foreign'), 'a key ciphertext is not a secret');
      await assert.rejects(
        async () => wrapped.clients.setSecret('c-clear', secretSealer({ 4: K1 }).seal('s', 'c-clear')),
        cannotDecrypt('the secret of client c-clear'),
      );
      await raw.clients.setSecret('c-foreign', hashClientSecret('s'));
    });

    it('sealStoredSecrets hashes what is not hashed and seals keys in clear; with reencrypt it also moves older ids', async () => {
      // What is left in the store from the tests above: two unhashed client rows (c-clear, c-sealed) and one key in clear.
      const keysBefore = await raw.keys.list();
      const underOne = keysBefore.filter((k) => typeof k.jwk.enc === 'string' && String(k.jwk.enc).startsWith('enc1.1.')).length;
      assert.ok(underOne >= 1, "the app's own signing key, sealed under id 1");
      assert.deepEqual(await sealStoredSecrets(wrapped, KEYS), { clients: 2, signingKeys: 1 });
      assert.equal(await rawSecret('c-clear'), hashClientSecret('clear-secret'));
      assert.equal(await rawSecret('c-sealed'), hashClientSecret('sealed-secret'));
      assert.equal(await rawSecret('c-public'), null);
      assert.match(String((await rawKey('clear-key')).enc), /^enc1\.2\./);
      assert.equal((await rawKey('clear-key')).d, undefined);
      assert.deepEqual(await sealStoredSecrets(wrapped, KEYS), { clients: 0, signingKeys: 0 }, 'nothing left without reencrypt');
      assert.deepEqual(await sealStoredSecrets(raw, KEYS, { reencrypt: true }), { clients: 0, signingKeys: underOne }, 'the raw store works the same');
      for (const k of await raw.keys.list()) assert.match(String(k.jwk.enc), /^enc1\.2\./, k.kid);
      assert.deepEqual(await sealStoredSecrets(wrapped, KEYS, { reencrypt: true }), { clients: 0, signingKeys: 0 });
      assert.deepEqual((await wrapped.keys.list()).find((k) => k.kid === 'clear-key')!.jwk, { kty: 'EC', d: 'clear' });
    });
  });
}
