/**
 * Signing keys (private JWKs) encrypted at rest with DATA_ENCRYPTION_KEYS
 * (AES-256-GCM, http/at-rest.ts), and client secrets hashed. `secretsAtRest(store)`
 * wraps the Store so every caller (provider, compat APIs, CLI) reads private
 * JWKs in plaintext while the database only ever holds ciphertext; the key id
 * travels with each ciphertext, so the highest id encrypts and older ids still
 * decrypt.
 *
 * Client secrets are written as SHA-256 hashes (client-auth.ts, decision 0025):
 * no reader ever sees a secret again, only its hash, which every door compares
 * a presented secret against. Rows from before hashing (encrypted, or older
 * still in clear) are read as their hash and rewritten as one at start.
 */
import { createSealer, type Sealer } from '../http/at-rest.ts';
import type { ClientRecord, SigningKey, Store } from '../store/store.ts';
import { hashClientSecret, isClientSecretHash } from './client-auth.ts';

export type DataKeys = Readonly<Record<number, string>>;

/** Private JWK members (RFC 7518 §6): never stored in clear. */
const PRIVATE_MEMBERS = new Set(['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k']);

interface Sealers {
  secret: Sealer;
  jwk: Sealer;
}

function sealers(keys: DataKeys): Sealers {
  const opts = (info: string) => ({ version: 'enc1', salt: 'portal-data-at-rest', info });
  return { secret: createSealer(keys, opts('portal client secret')), jwk: createSealer(keys, opts('portal signing key')) };
}

class UndecryptableError extends Error {}

function undecryptable(what: string): never {
  throw new UndecryptableError(`${what} cannot be decrypted: is the DATA_ENCRYPTION_KEYS id it was encrypted with still configured?`);
}

/** The stored value as a hash: kept when it is one; a row from before hashing (sealed, or in clear) is opened and hashed. */
function secretHash(s: Sealers, clientId: string, stored: string): string {
  if (isClientSecretHash(stored)) return stored;
  const plain = s.secret.isSealed(stored) ? (s.secret.open(stored, clientId) ?? undecryptable(`the secret of client ${clientId}`)) : stored;
  return hashClientSecret(plain);
}

function hashedSecret(s: Sealers, c: ClientRecord): ClientRecord {
  return c.secret === null ? c : { ...c, secret: secretHash(s, c.clientId, c.secret) };
}

/** Public members stay readable (for inspection); the whole private JWK is the ciphertext. */
function sealJwk(s: Sealers, kid: string, jwk: Record<string, unknown>): Record<string, unknown> {
  const visible = Object.fromEntries(Object.entries(jwk).filter(([name]) => !PRIVATE_MEMBERS.has(name)));
  return { ...visible, enc: s.jwk.seal(JSON.stringify(jwk), kid) };
}

function openJwk(s: Sealers, k: SigningKey): SigningKey {
  if (typeof k.jwk.enc !== 'string') return k; // a row from before encryption
  const plain = s.jwk.open(k.jwk.enc, k.kid) ?? undecryptable(`signing key ${k.kid}`);
  return { ...k, jwk: JSON.parse(plain) as Record<string, unknown> };
}

const raws = new WeakMap<Store, Store>();

/** The store with client secrets hashed on write, signing keys sealed on write and opened on read (idempotent). */
export function secretsAtRest(store: Store, keys: DataKeys): Store {
  if (raws.has(store)) return store;
  const s = sealers(keys);
  const { clients, keys: signingKeys } = store;
  // Inherits everything else (and its `this`) from the real store.
  const wrapped = Object.create(store) as Store & { clients: Store['clients']; keys: Store['keys']; transaction: Store['transaction'] };
  wrapped.clients = {
    ...clients,
    create: (c) => clients.create(hashedSecret(s, c)),
    upsert: (c) => clients.upsert(hashedSecret(s, c)),
    find: async (id) => {
      const c = await clients.find(id);
      return c && hashedSecret(s, c);
    },
    list: async () => (await clients.list()).map((c) => hashedSecret(s, c)),
    setSecret: (id, secret) => clients.setSecret(id, secretHash(s, id, secret)),
  };
  wrapped.keys = {
    ...signingKeys,
    list: async () => (await signingKeys.list()).map((k) => openJwk(s, k)),
    insert: (k) => signingKeys.insert({ ...k, jwk: sealJwk(s, k.kid, k.jwk) }),
    setJwk: (kid, jwk) => signingKeys.setJwk(kid, sealJwk(s, kid, jwk)),
  };
  // What a transaction writes is sealed like everything else.
  wrapped.transaction = (fn) => store.transaction((tx) => fn(secretsAtRest(tx, keys)));
  raws.set(wrapped, store);
  return wrapped;
}

/**
 * Encrypts signing keys still stored in clear (rows from before encryption at rest) and hashes
 * client secrets not yet hashed (encrypted or in clear); with `reencrypt` also re-encrypts what
 * an older DATA_ENCRYPTION_KEYS id sealed, so that id can be removed. Runs at every start
 * (plaintext and unhashed only) and from `portal keys reencrypt` (both).
 */
export async function sealStoredSecrets(store: Store, keys: DataKeys, opts: { reencrypt?: boolean } = {}): Promise<{ clients: number; signingKeys: number }> {
  const raw = raws.get(store) ?? store;
  const s = sealers(keys);
  const redo = (sealer: Sealer, value: string) => !sealer.isSealed(value) || (opts.reencrypt === true && sealer.stale(value));
  let clients = 0;
  for (const c of await raw.clients.list()) {
    if (c.secret === null || isClientSecretHash(c.secret)) continue;
    await raw.clients.setSecret(c.clientId, secretHash(s, c.clientId, c.secret));
    clients++;
  }
  let signingKeys = 0;
  for (const k of await raw.keys.list()) {
    if (typeof k.jwk.enc === 'string' && !redo(s.jwk, k.jwk.enc)) continue;
    await raw.keys.setJwk(k.kid, sealJwk(s, k.kid, openJwk(s, k).jwk));
    signingKeys++;
  }
  return { clients, signingKeys };
}
