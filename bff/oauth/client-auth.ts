/**
 * Client authentication, in one place with one timing behaviour, for every
 * door: oidc-provider's own /oauth/token (through `compareClientSecret`,
 * provider.ts), the throttle, and the compatibility adapters (WorkOS, SaG,
 * Zenith). Client secrets are stored as SHA-256 hashes only (decision 0025):
 * a presented secret is hashed and compared in constant time with the stored
 * hash, or, when the client is unknown or has none, with a dummy hash, so a
 * refusal costs what an acceptance does and the timing does not tell which
 * client ids exist.
 *
 * Doors that call the token endpoint for a client that proved itself another
 * way (a WorkOS PKCE code, the legacy refresh) cannot present a secret the
 * portal no longer knows: they present a short-lived internal credential
 * (`internalClientCredential`), an HMAC under the cookie secrets over the
 * client id and the time, which only the portal's own instances can make.
 */
import { createHash, createHmac } from 'node:crypto';
import type { ClientRecord, Store } from '../store/store.ts';
import { safeEqual } from '../http/security.ts';

const HASH_PREFIX = 'sha256:';

/** The stored form of a client secret: SHA-256, base64url, with its algorithm named. */
export function hashClientSecret(secret: string): string {
  return HASH_PREFIX + createHash('sha256').update(secret, 'utf8').digest('base64url');
}

/** Whether a stored value is already a hash (and not a secret from before hashing). */
export function isClientSecretHash(value: string): boolean {
  return value.startsWith(HASH_PREFIX) && value.length === HASH_PREFIX.length + 43;
}

/** Stands in for the hash of a client that is unknown or has none. */
const DUMMY_HASH = hashClientSecret('x'.repeat(43));

/** How many secret compares have run: tests count them to show every path does the same work. */
export const clientSecretWork = { compares: 0 };

/** Whether one of `presented` hashes to `storedHash`; always compares every form, against a dummy when `storedHash` is null. */
export function secretMatches(storedHash: string | null, presented: readonly string[]): boolean {
  const stored = storedHash ?? DUMMY_HASH;
  const results = presented.map((p) => {
    clientSecretWork.compares++;
    return safeEqual(stored, hashClientSecret(p));
  });
  return storedHash !== null && results.includes(true);
}

export interface ClientCheck {
  /** The client the id names, whoever asked (null when unknown). */
  client: ClientRecord | null;
  /** True only when the client exists, has a secret, and one presented form is it. */
  secretMatches: boolean;
}

/**
 * Looks the client up and compares what was presented (nothing: no compare
 * is skipped, a dummy value is compared instead). What a caller accepts
 * (public clients, the portal's own first-party client) stays its own rule.
 */
export async function checkClient(store: Store, clientId: string, presented: readonly string[]): Promise<ClientCheck> {
  const client = await store.clients.find(clientId);
  const forms = presented.length > 0 ? presented : [''];
  const matches = secretMatches(client?.secret ?? null, forms);
  return { client, secretMatches: presented.length > 0 && matches };
}

/**
 * The partner (not first-party) confidential client whose secret this is (WorkOS's API key),
 * or null. Hashes once and compares with every such client's hash (and a dummy when there is none).
 */
export async function findClientBySecret(store: Store, presented: string): Promise<ClientRecord | null> {
  const hash = hashClientSecret(presented);
  const candidates = (await store.clients.list()).filter((c) => !c.firstParty && c.secret !== null);
  let found: ClientRecord | null = null;
  for (const c of candidates.length > 0 ? candidates : [null]) {
    clientSecretWork.compares++;
    if (safeEqual(c?.secret ?? DUMMY_HASH, hash) && c && !found) found = c;
  }
  return found;
}

type Keys = Readonly<Record<number, string>>;

const INTERNAL_PREFIX = 'portal-internal.';
/** How long an internal credential is good for: one loopback call, with clock skew between instances. */
const INTERNAL_WINDOW_MS = 60_000;

function internalMac(key: string, clientId: string, at: number): string {
  return createHmac('sha256', key).update(`portal-internal-client-auth\n${clientId}\n${at}`).digest('base64url');
}

/** A credential, good for a minute, that the token endpoint accepts as `clientId`'s secret. */
export function internalClientCredential(keys: Keys, clientId: string, now: number): string {
  const [top] = Object.entries(keys).sort(([a], [b]) => Number(b) - Number(a));
  return `${INTERNAL_PREFIX}${now}.${internalMac(top![1], clientId, now)}`;
}

function internalCredentialValid(keys: Keys, clientId: string, presented: string, now: number): boolean {
  if (!presented.startsWith(INTERNAL_PREFIX)) return false;
  const [at, mac] = presented.slice(INTERNAL_PREFIX.length).split('.');
  const t = Number(at);
  if (!mac || !Number.isSafeInteger(t) || String(t) !== at || Math.abs(now - t) > INTERNAL_WINDOW_MS) return false;
  return Object.values(keys)
    .map((k) => safeEqual(internalMac(k, clientId, t), mac))
    .includes(true);
}

/**
 * What the token endpoint asks (provider.ts overrides oidc-provider's `compareClientSecret`):
 * the presented secret against the stored hash, or the portal's own internal credential.
 */
export function clientSecretAccepted(keys: Keys, clientId: string, storedHash: string | null, presented: string, now: number): boolean {
  // Not counted in clientSecretWork: that counts the adapters' own checks, before any token request.
  const matches = safeEqual(storedHash ?? DUMMY_HASH, hashClientSecret(presented)) && storedHash !== null;
  return matches || (storedHash !== null && internalCredentialValid(keys, clientId, presented, now));
}
