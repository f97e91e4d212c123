/**
 * One-time secrets sent by mail: a link secret (32 random bytes) and, where a
 * person may type it, a 6-digit code. Only their SHA-256 reaches the store; a
 * link is checked by hashing what it carries and looking that up, so no
 * comparison of secrets happens in code.
 */
import { createHash, randomBytes, randomInt } from 'node:crypto';
import type { OneTimeToken, Store } from '../store/store.ts';

export const sha256 = (s: string): string => createHash('sha256').update(s, 'utf8').digest('hex');

export interface IssuedToken {
  /** Goes into the link; never stored. */
  secret: string;
  /** A 6-digit code, when asked for; never stored. */
  code: string | null;
  expiresAt: number;
}

export interface IssueOptions {
  purpose: string;
  userId: string | null;
  email: string;
  ttlMs: number;
  withCode?: boolean;
  data?: Record<string, unknown>;
  /** Earlier live tokens of the user for this purpose stop working (the newest mail wins). */
  replacePrevious?: boolean;
}

export async function issueToken(store: Store, o: IssueOptions, now: number): Promise<IssuedToken> {
  const secret = randomBytes(32).toString('base64url');
  const code = o.withCode ? String(randomInt(0, 1_000_000)).padStart(6, '0') : null;
  if (o.replacePrevious && o.userId) await store.oneTimeTokens.consumeAllForUser(o.userId, o.purpose, now);
  const expiresAt = now + o.ttlMs;
  await store.oneTimeTokens.create({
    id: sha256(secret),
    purpose: o.purpose,
    userId: o.userId,
    email: o.email,
    codeHash: code ? sha256(`${sha256(secret)}:${code}`) : null,
    createdAt: now,
    expiresAt,
    data: o.data ?? {},
  });
  return { secret, code, expiresAt };
}

/** The live token a link's secret names, or null (unknown, used, expired, other purpose). */
export async function liveToken(store: Store, secret: string, purpose: string, now: number): Promise<OneTimeToken | null> {
  if (typeof secret !== 'string' || secret.length < 20 || secret.length > 100) return null;
  const t = await store.oneTimeTokens.find(sha256(secret));
  if (!t || t.purpose !== purpose || t.consumedAt !== null || t.expiresAt <= now) return null;
  return t;
}
