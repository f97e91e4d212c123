/**
 * Sign-in step: email verification. With REQUIRE_EMAIL_VERIFICATION (and
 * mail on), an unverified account that passed its first factor gets a mail
 * with a 6-digit code and a link (single use, 24 hours, hashes only) and the
 * interaction waits: the code typed on the screen, or the link opened in any
 * browser, verifies the email, and then the interaction completes with the
 * first factor's amr. Which account waits is kept on the provider's own
 * interaction (its `result`), so nothing about it reaches the browser.
 */
import type { Store, User } from '../store/store.ts';
import type { Audit, AuditContext } from '../audit/audit.ts';
import type { Config } from '../config/config.ts';
import type { Mail } from '../mail/mail.ts';
import { verificationMail } from '../mail/messages.ts';
import { badRequest, gone, tooMany } from '../http/errors.ts';
import { issueToken, liveToken, redeemCode, sha256 } from './one-time.ts';
export { MAX_CODE_TRIES } from './one-time.ts';

export const VERIFY_PURPOSE = 'email_verification';
export const VERIFY_TTL_MS = 24 * 3600_000;
/** Verification mails per account per window (the first one included). */
export const VERIFY_MAILS_PER_WINDOW = 4;
const WINDOW_MS = 15 * 60_000;

export interface VerifyDeps {
  store: Store;
  audit: Audit;
  config: Config;
  mail: Mail;
  now: () => number;
}

/** What the interaction keeps while it waits. */
export interface PendingVerification {
  accountId: string;
  tokenId: string;
  amr: string[];
}

export function needsVerification(d: Pick<VerifyDeps, 'config' | 'mail'>, user: User): boolean {
  // Without mail nobody could ever verify, so the requirement holds only when mail can be sent.
  return d.config.requireEmailVerification && d.mail.enabled && !user.emailVerified;
}

const EXPIRED = 'This code has expired or was tried too many times. Send a new code.';

/** Issues a code and link (earlier ones stop working) and queues the mail; throttled per account. */
export async function sendVerification(d: VerifyDeps, user: User, meta: AuditContext): Promise<string> {
  const now = d.now();
  const sent = await d.store.throttle.hit(`verify-mail:${user.id}`, now, WINDOW_MS);
  if (sent.count > VERIFY_MAILS_PER_WINDOW) {
    throw tooMany(
      'Too many verification mails for this account. Use the last code you got, or try again later.',
      Math.max(1, Math.ceil((sent.resetAt - now) / 1000)),
    );
  }
  const t = await issueToken(
    d.store,
    { purpose: VERIFY_PURPOSE, userId: user.id, email: user.email, ttlMs: VERIFY_TTL_MS, withCode: true, replacePrevious: true },
    now,
  );
  const link = `${d.config.publicUrl}/verify-email#token=${t.secret}`;
  await d.mail.send('email_verification', { address: user.email, name: user.name }, verificationMail(d.mail.portal, t.code!, link));
  await d.audit.record('email_verification_sent', { ...meta, subjectId: user.id });
  return sha256(t.secret);
}

async function markVerified(d: VerifyDeps, user: User, method: 'code' | 'link', meta: AuditContext): Promise<void> {
  await d.store.users.update(user.id, { emailVerified: true }, d.now());
  await d.audit.record('email_verified', { ...meta, actorId: user.id, subjectId: user.id, data: { method } });
}

/** Checks a typed code against the pending token: wrong codes count, the fifth ends the token. */
export async function verifyCode(d: VerifyDeps, pending: PendingVerification, code: string, meta: AuditContext): Promise<User> {
  const user = await d.store.users.findById(pending.accountId);
  if (!user || user.disabled) throw gone('code_expired', EXPIRED);
  await redeemCode(d.store, pending.tokenId, VERIFY_PURPOSE, code, d.now(), () => gone('code_expired', EXPIRED));
  await markVerified(d, user, 'code', meta);
  return user;
}

/** The link from the mail, opened in any browser: verifies the email; signs nobody in. */
export async function verifyLink(d: VerifyDeps, secret: string, meta: AuditContext): Promise<User> {
  const t = await liveToken(d.store, secret, VERIFY_PURPOSE, d.now());
  const user = t?.userId ? await d.store.users.findById(t.userId) : null;
  if (!t || !user || user.disabled || !(await d.store.oneTimeTokens.consume(t.id, VERIFY_PURPOSE, d.now()))) {
    throw gone('verification_link_invalid', 'This verification link has expired or was already used. Sign in to get a new code.');
  }
  await markVerified(d, user, 'link', meta);
  return user;
}

export function readPending(result: unknown): PendingVerification | null {
  const p = (result as { portalVerification?: PendingVerification } | undefined)?.portalVerification;
  return p && typeof p.accountId === 'string' && typeof p.tokenId === 'string' && Array.isArray(p.amr) ? p : null;
}

export const notWaiting = () => badRequest('wrong_prompt', 'This sign-in is not waiting for an email code. Sign in again.');
