/**
 * Signing keys (private JWKs) and client secrets encrypted at rest with
 * DATA_ENCRYPTION_KEYS (AES-256-GCM, http/at-rest.ts). `secretsAtRest(store)`
 * wraps the Store so every caller (provider, compat APIs, CLI) keeps reading
 * plaintext while the database only ever holds ciphertext; the key id travels
 * with each ciphertext, so the highest id encrypts and older ids still decrypt.
 *
 * oidc-provider compares client_secret_basic against the plaintext secret, so
 * client secrets are encrypted (not hashed) and decrypted when a client loads.
 */
import { createSealer, type Sealer } from '../http/at-rest.ts';
import type { ClientRecord, SigningKey, Store } from '../store/store.ts';

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

function openSecret(s: Sealers, c: ClientRecord): ClientRecord {
  if (c.secret === null || !s.secret.isSealed(c.secret)) return c; // public client, or a row from before encryption
  return { ...c, secret: s.secret.open(c.secret, c.clientId) ?? undecryptable(`the secret of client ${c.clientId}`) };
}

function sealSecret(s: Sealers, c: ClientRecord): ClientRecord {
  return c.secret === null ? c : { ...c, secret: s.secret.seal(c.secret, c.clientId) };
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

/** The store with client secrets and signing keys sealed on write and opened on read (idempotent). */
export function secretsAtRest(store: Store, keys: DataKeys): Store {
  if (raws.has(store)) return store;
  const s = sealers(keys);
  const { clients, keys: signingKeys } = store;
  // Inherits everything else (and its `this`) from the real store.
  const wrapped = Object.create(store) as Store & { clients: Store['clients']; keys: Store['keys']; transaction: Store['transaction'] };
  wrapped.clients = {
    ...clients,
    create: (c) => clients.create(sealSecret(s, c)),
    upsert: (c) => clients.upsert(sealSecret(s, c)),
    find: async (id) => {
      const c = await clients.find(id);
      return c && openSecret(s, c);
    },
    list: async () => (await clients.list()).map((c) => openSecret(s, c)),
    setSecret: (id, secret) => clients.setSecret(id, s.secret.seal(secret, id)),
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
 * Encrypts what is still stored in clear (rows from before encryption at rest), and with
 * `reencrypt` also re-encrypts what an older DATA_ENCRYPTION_KEYS id sealed, so that id can be
 * removed. Runs at every start (plaintext only) and from `portal keys reencrypt` (both).
 */
export async function sealStoredSecrets(store: Store, keys: DataKeys, opts: { reencrypt?: boolean } = {}): Promise<{ clients: number; signingKeys: number }> {
  const raw = raws.get(store) ?? store;
  const s = sealers(keys);
  const redo = (sealer: Sealer, value: string) => !sealer.isSealed(value) || (opts.reencrypt === true && sealer.stale(value));
  let clients = 0;
  for (const c of await raw.clients.list()) {
    if (c.secret === null || !redo(s.secret, c.secret)) continue;
    await raw.clients.setSecret(c.clientId, s.secret.seal(openSecret(s, c).secret!, c.clientId));
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
