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

function order(keys: SigningKey[]): SigningKey[] {
  return [...keys].sort((a, b) => b.createdAt - a.createdAt || (a.kid < b.kid ? -1 : 1));
}

/** Loads the signing keys, creating the first one on a fresh database. */
export async function ensureSigningKeys(store: Store, now: number): Promise<JWK[]> {
  let keys = await store.keys.list();
  if (keys.length === 0) {
    await store.keys.insert(await generateSigningKey(now));
    keys = await store.keys.list();
  }
  return order(keys).map((k) => k.jwk as JWK);
}

export async function rotateSigningKey(store: Store, now: number): Promise<SigningKey> {
  const key = await generateSigningKey(now);
  await store.keys.insert(key);
  return key;
}
