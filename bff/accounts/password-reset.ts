/**
 * Password reset by mail. Asking answers the same whether or not the account
 * exists, is throttled per address
 * (429) and per email (silently: no more mail, same answer). The link is
 * single use, valid RESET_TTL_MS, stored as a hash, and works in any browser.
 * Setting the new password follows the same strength rule as everywhere,
 * proves the email (the mail arrived), and by default ends all the user's
 * access: BFF sessions, provider sessions and partner grants.
 */
import type { Store, User } from '../store/store.ts';
import type { Audit, AuditContext } from '../audit/audit.ts';
import type { Config } from '../config/config.ts';
import type { Mail } from '../mail/mail.ts';
import { passwordResetMail } from '../mail/messages.ts';
import { badRequest, gone } from '../http/errors.ts';
import { hashPassword, passwordProblem } from './passwords.ts';
import { admitMailRequest, issueToken, liveToken } from './one-time.ts';
import { revokeOtherAccess, type RevokedAccess } from './revoke.ts';

export const RESET_PURPOSE = 'password_reset';
export const RESET_TTL_MS = 30 * 60_000;
/** Requests per window: per email before mail stops (same answer), per address before 429. */
export const RESET_PER_EMAIL = 3;
export const RESET_PER_IP = 20;

export const RESET_REQUESTED_MESSAGE = 'If an account uses that email, a link to choose a new password is on its way. It works for 30 minutes.';
const INVALID_LINK = 'This password reset link has expired or was already used. Ask for a new one from the sign-in screen.';

export interface ResetDeps {
  store: Store;
  audit: Audit;
  config: Config;
  mail: Mail;
  now: () => number;
}

export function resetLink(config: Config, secret: string): string {
  // In the fragment: it never reaches a server log or a Referer header.
  return `${config.publicUrl}/reset-password#token=${secret}`;
}

/** A reset link for the user, stored as a hash; earlier reset links stop working. */
export async function issueResetLink(d: Pick<ResetDeps, 'store' | 'config'>, user: User, now: number): Promise<{ link: string; expiresAt: number }> {
  const t = await issueToken(d.store, { purpose: RESET_PURPOSE, userId: user.id, email: user.email, ttlMs: RESET_TTL_MS, replacePrevious: true }, now);
  return { link: resetLink(d.config, t.secret), expiresAt: t.expiresAt };
}

export async function requestPasswordReset(d: ResetDeps, rawEmail: string, meta: AuditContext): Promise<void> {
  const { email, now, emailCount } = await admitMailRequest(d, rawEmail, meta.ip, {
    scope: 'reset',
    perIp: RESET_PER_IP,
    tooMany: 'Too many password reset requests from your network. Try again later.',
  });
  const user = await d.store.users.findByEmail(email);
  const eligible = user !== null && !user.disabled && emailCount <= RESET_PER_EMAIL;
  // Both paths write the throttle counts and an audit entry; a known account adds a token row and
  // an outbox row (no hashing, no network: the mail leaves off the request path), so the answer's
  // timing tells next to nothing, and its content nothing.
  if (eligible) {
    const { link } = await issueResetLink(d, user, now);
    await d.mail.send('password_reset', { address: user.email, name: user.name }, passwordResetMail(d.mail.portal, link, RESET_TTL_MS / 60_000));
  }
  await d.audit.record('password_reset_requested', {
    ...meta,
    subjectId: user?.id ?? null,
    data: { sent: eligible, ...(user ? {} : { unknownEmail: true }), ...(emailCount > RESET_PER_EMAIL ? { throttled: true } : {}) },
  });
}

/** Who a live link is for (the screen shows it); a clear 410 otherwise. */
export async function checkResetLink(d: Pick<ResetDeps, 'store' | 'now'>, secret: string): Promise<{ email: string }> {
  const t = await liveToken(d.store, secret, RESET_PURPOSE, d.now());
  const user = t?.userId ? await d.store.users.findById(t.userId) : null;
  if (!t || !user || user.disabled) throw gone('reset_link_invalid', INVALID_LINK);
  return { email: user.email };
}

export interface CompleteReset {
  token: string;
  password: string;
  signOutEverywhere: boolean;
  endBffSessions: (userId: string, exceptId?: string) => Promise<number>;
}

export async function completePasswordReset(d: ResetDeps, c: CompleteReset, meta: AuditContext): Promise<{ user: User; revoked: RevokedAccess | null }> {
  const t = await liveToken(d.store, c.token, RESET_PURPOSE, d.now());
  const user = t?.userId ? await d.store.users.findById(t.userId) : null;
  if (!t || !user || user.disabled) throw gone('reset_link_invalid', INVALID_LINK);
  // A weak password keeps the link usable: the person tries another.
  const problem = passwordProblem(c.password, user.email);
  if (problem) throw badRequest('weak_password', problem, { password: problem });
  const hash = await hashPassword(c.password);
  // The link is spent only together with the password it set (and the unlinking that goes with it).
  const unlinked = await d.store.transaction(async (tx) => {
    if (!(await tx.oneTimeTokens.consume(t.id, RESET_PURPOSE, d.now()))) throw gone('reset_link_invalid', INVALID_LINK);
    await tx.users.setPasswordHash(user.id, hash, d.now());
    // The mail arrived, so the address is theirs. Upstream identities linked while it was not
    // proven were linked on someone's word alone (an upstream that did not vouch for the email):
    // the mailbox's owner takes the account over without them (pre-account-takeover).
    if (user.emailVerified) return 0;
    const n = await tx.federation.unlinkAll(user.id);
    await tx.users.update(user.id, { emailVerified: true }, d.now());
    return n;
  });
  if (unlinked > 0)
    await d.audit.record('federation_unlinked', {
      ...meta,
      actorId: user.id,
      subjectId: user.id,
      data: { reason: 'password_reset_of_unverified_account', identities: unlinked },
    });
  const ctx = { ...meta, actorId: user.id, subjectId: user.id };
  await d.audit.record('password_reset', { ...ctx, data: { signOutEverywhere: c.signOutEverywhere } });
  if (!c.signOutEverywhere) return { user, revoked: null };
  const revoked = await revokeOtherAccess(d.store, user.id, {}, c.endBffSessions);
  await d.audit.record('sessions_revoked', { ...ctx, data: { reason: 'password_reset', ...revoked } });
  return { user, revoked };
}
