/**
 * One-time secrets sent by mail: a link secret (32 random bytes) and, where a
 * person may type it, a 6-digit code. Only their SHA-256 reaches the store; a
 * link is checked by hashing what it carries and looking that up, so no
 * comparison of secrets happens in code.
 */
import { createHash, randomBytes, randomInt } from 'node:crypto';
import type { OneTimeToken, Store } from '../store/store.ts';
import { AppError, badRequest, tooMany } from '../http/errors.ts';
import { mailDisabled } from '../mail/mail.ts';
import { emailProblem, normaliseEmail } from './email.ts';
import { safeEqual } from '../http/security.ts';

export const sha256 = (s: string): string => createHash('sha256').update(s, 'utf8').digest('hex');

const REQUEST_WINDOW_MS = 15 * 60_000;

/**
 * The front of every request that mails a one-time token to an address someone typed (a reset
 * link, a sign-in code): mail must be on and the email valid; the caller's address is refused
 * with 429 past `perIp` in 15 minutes; the email's own count comes back for the caller to judge,
 * so known and unknown emails get the same answer.
 */
export async function admitMailRequest(
  d: { store: Store; mail: { enabled: boolean }; now: () => number },
  rawEmail: string,
  ip: string | null | undefined,
  o: { scope: string; perIp: number; tooMany: string },
): Promise<{ email: string; now: number; emailCount: number }> {
  if (!d.mail.enabled) throw mailDisabled();
  const problem = emailProblem(rawEmail);
  if (problem) throw badRequest('invalid_email', problem, { email: problem });
  const email = normaliseEmail(rawEmail);
  const now = d.now();
  if (ip) {
    const perIp = await d.store.throttle.hit(`${o.scope}-ip:${ip}`, now, REQUEST_WINDOW_MS);
    if (perIp.count > o.perIp) throw tooMany(o.tooMany, Math.max(1, Math.ceil((perIp.resetAt - now) / 1000)));
  }
  const perEmail = await d.store.throttle.hit(`${o.scope}-email:${sha256(email)}`, now, REQUEST_WINDOW_MS);
  return { email, now, emailCount: perEmail.count };
}

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
  const expiresAt = now + o.ttlMs;
  // Earlier links end only when the new one exists.
  await store.transaction(async (tx) => {
    if (o.replacePrevious && o.userId) await tx.oneTimeTokens.consumeAllForUser(o.userId, o.purpose, now);
    await tx.oneTimeTokens.create({
      id: sha256(secret),
      purpose: o.purpose,
      userId: o.userId,
      email: o.email,
      codeHash: code ? codeHashFor(sha256(secret), code) : null,
      createdAt: now,
      expiresAt,
      data: o.data ?? {},
    });
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

export const MAX_CODE_TRIES = 5;
export const codeHashFor = (tokenId: string, code: string): string => sha256(`${tokenId}:${code}`);

/**
 * Redeems a typed 6-digit code against a token: consumed atomically when right; a wrong code
 * counts, and the MAX_CODE_TRIES-th ends the token. Throws `expired` (410) when the token is not
 * live (or just ended), `invalid_code` (400, with the tries left) for a wrong code.
 */
export async function redeemCode(store: Store, tokenId: string, purpose: string, code: string, now: number, expired: () => Error): Promise<OneTimeToken> {
  const t = await store.oneTimeTokens.find(tokenId);
  if (!t || t.purpose !== purpose || t.consumedAt !== null || t.expiresAt <= now) throw expired();
  if (!/^\d{6}$/.test(code) || !t.codeHash || !safeEqual(codeHashFor(t.id, code), t.codeHash)) {
    const tries = await store.oneTimeTokens.countAttempt(t.id, now);
    if (tries === null || tries >= MAX_CODE_TRIES) {
      await store.oneTimeTokens.consume(t.id, purpose, now);
      throw expired();
    }
    const left = MAX_CODE_TRIES - tries;
    throw new AppError('invalid_code', `That code is not right. ${left} ${left === 1 ? 'try' : 'tries'} left.`, {
      status: 400,
      fields: { code: 'That code is not right.' },
    });
  }
  const consumed = await store.oneTimeTokens.consume(t.id, purpose, now);
  if (!consumed) throw expired();
  return consumed;
}
