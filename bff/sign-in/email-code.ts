/**
 * First factor: a 6-digit code sent by mail ("Email me a sign-in code", the
 * WorkOS adapter's MagicAuth). Asking answers the same for every email and is
 * throttled per email (silently) and per address (429); the code works once,
 * for 10 minutes, with 5 tries, and completes the same provider interaction a
 * password would, with `amr: ["email"]`. The mail's link carries the code in
 * the fragment of this interaction's own URL, so it works in the browser that
 * asked. A right code also proves the address, so the email becomes verified.
 */
import type { User } from '../store/store.ts';
import type { AuditContext } from '../audit/audit.ts';
import { signInCodeMail } from '../mail/messages.ts';
import { gone } from '../http/errors.ts';
import { admitMailRequest, issueToken, redeemCode, sha256 } from '../accounts/one-time.ts';
import type { VerifyDeps } from '../accounts/verify-email.ts';

export const CODE_PURPOSE = 'magic_auth';
export const CODE_TTL_MS = 10 * 60_000;
export const CODES_PER_EMAIL = 3;
export const CODES_PER_IP = 20;
export const EMAIL_AMR = ['email'];
export const CODE_SENT_MESSAGE = 'If an account uses that email, a sign-in code is on its way. It works for 10 minutes.';

/** What the interaction keeps while it waits for the code. */
export interface PendingCode {
  email: string;
  tokenId: string;
}

/** `interactionUrl` null: the mail carries the code alone (the WorkOS adapter's createMagicAuth). */
export async function sendSignInCode(d: VerifyDeps, rawEmail: string, interactionUrl: string | null, meta: AuditContext): Promise<PendingCode> {
  const { email, now, emailCount } = await admitMailRequest(d, rawEmail, meta.ip, {
    scope: 'signin-code',
    perIp: CODES_PER_IP,
    tooMany: 'Too many sign-in codes asked for from your network. Try again later.',
  });
  const user = await d.store.users.findByEmail(email);
  const eligible = user !== null && !user.disabled && emailCount <= CODES_PER_EMAIL;
  // An unknown (or throttled) email gets a real token that no mail carries and no account owns:
  // wrong codes count and end it exactly as for a known one, so the answers tell nothing.
  const t = await issueToken(
    d.store,
    { purpose: CODE_PURPOSE, userId: eligible ? user.id : null, email, ttlMs: CODE_TTL_MS, withCode: true, replacePrevious: eligible },
    now,
  );
  const tokenId = sha256(t.secret);
  if (eligible) {
    await d.mail.send(
      'magic_auth',
      { address: user.email, name: user.name },
      signInCodeMail(d.mail.portal, t.code!, interactionUrl === null ? null : `${interactionUrl}#code=${t.code}`, CODE_TTL_MS / 60_000),
    );
  }
  await d.audit.record('sign_in_code_requested', { ...meta, subjectId: user?.id ?? null, data: { sent: eligible } });
  return { email, tokenId };
}

const EXPIRED = 'This code has expired, was used, or was tried too many times. Ask for a new code.';

/** The account a right code signs in; wrong codes count (5 tries). */
export async function redeemSignInCode(d: VerifyDeps, pending: PendingCode, code: string): Promise<User> {
  const expired = () => gone('code_expired', EXPIRED);
  const t = await redeemCode(d.store, pending.tokenId, CODE_PURPOSE, code, d.now(), expired);
  const user = t.userId ? await d.store.users.findById(t.userId) : null;
  if (!user || user.disabled) throw expired();
  if (!user.emailVerified) await d.store.users.update(user.id, { emailVerified: true }, d.now());
  await d.store.users.touchSignIn(user.id, d.now());
  return user;
}

export function readPendingCode(result: unknown): PendingCode | null {
  const p = (result as { portalEmailCode?: PendingCode } | undefined)?.portalEmailCode;
  return p && typeof p.email === 'string' && typeof p.tokenId === 'string' ? p : null;
}
