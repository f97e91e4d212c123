/**
 * Signing keys: ES256, generated once and persisted in the store, so a restart
 * or a second instance validates what the first one issued. Newest signs; all
 * verify (rotation adds a key, it never removes the previous one at once).
 */
import { randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair } from 'jose';
import type { JWK } from 'oidc-provider';
import type { SigningKey, Store } from '../store/store.ts';

export async function generateSigningKey(now: number): Promise<SigningKey> {
  const { privateKey } = await generateKeyPair('ES256', { extractable: true });
  const jwk = await exportJWK(privateKey);
  const kid = `${new Date(now).toISOString().slice(0, 10)}-${randomUUID().slice(0, 8)}`;
  return { kid, alg: 'ES256', jwk: { ...jwk, kid, alg: 'ES256', use: 'sig' }, createdAt: now };
}

/**
 * oidc-provider signs with the first key: the newest key already active goes first; keys that
 * activate later are published (so every instance can verify them before anyone signs with them),
 * then the older ones, which keep verifying what they signed.
 */
export function orderKeys(keys: SigningKey[], now: number): SigningKey[] {
  const newest = (a: SigningKey, b: SigningKey) => b.createdAt - a.createdAt || (a.kid < b.kid ? -1 : 1);
  const active = keys.filter((k) => k.createdAt <= now).sort(newest);
  const pending = keys.filter((k) => k.createdAt > now).sort(newest);
  return [...active.slice(0, 1), ...pending, ...active.slice(1)];
}

/** Loads the signing keys, creating the first one on a fresh database. */
export async function ensureSigningKeys(store: Store, now: number): Promise<JWK[]> {
  let keys = await store.keys.list();
  if (!keys.some((k) => k.createdAt <= now)) {
    await store.keys.insert(await generateSigningKey(now));
    keys = await store.keys.list();
  }
  return orderKeys(keys, now).map((k) => k.jwk as JWK);
}

/**
 * Adds a signing key that becomes the signing key at `activatesAt`. Until then every instance that
 * (re)starts publishes it in its JWKS, so restart them all within the window and no token signed
 * with it is ever unknown to an instance; the old key keeps verifying, so nobody is logged out.
 */
export async function rotateSigningKey(store: Store, activatesAt: number): Promise<SigningKey> {
  const key = await generateSigningKey(activatesAt);
  await store.keys.insert(key);
  return key;
}
