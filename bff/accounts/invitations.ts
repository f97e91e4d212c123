/**
 * Account invitations by mail (`portal user invite`): the account exists
 * from the start (unverified, no password), and the mail's single-use link
 * (7 days, stored as a hash) lands on a "set your password" screen;
 * accepting sets the password and verifies the email (the mail arrived).
 */
import type { Store, User } from '../store/store.ts';
import type { Audit, AuditContext } from '../audit/audit.ts';
import type { Config } from '../config/config.ts';
import { badRequest, gone } from '../http/errors.ts';
import { createAccount } from './accounts.ts';
import { normaliseEmail } from './email.ts';
import { hashPassword, passwordProblem } from './passwords.ts';
import { issueToken, liveToken } from './one-time.ts';

export const INVITE_PURPOSE = 'invitation';
export const INVITE_TTL_MS = 7 * 24 * 3600_000;
const INVALID = 'This invitation link has expired or was already used. Ask whoever invited you for a new one.';

/** Creates the invited account when needed and a fresh link (earlier links stop working). */
export async function inviteUser(
  d: { store: Store; config: Config },
  rawEmail: string,
  name: string | undefined,
  now: number,
): Promise<{ user: User; link: string; expiresAt: number }> {
  const existing = await d.store.users.findByEmail(normaliseEmail(rawEmail));
  if (existing?.passwordHash)
    throw badRequest('already_registered', `${existing.email} already has a password; send a reset link instead (portal user reset-link).`);
  const user = existing ?? (await createAccount(d.store, { email: rawEmail, password: null, name, emailVerified: false }, now));
  const t = await issueToken(d.store, { purpose: INVITE_PURPOSE, userId: user.id, email: user.email, ttlMs: INVITE_TTL_MS, replacePrevious: true }, now);
  return { user, link: `${d.config.publicUrl}/accept-invite#token=${t.secret}`, expiresAt: t.expiresAt };
}

export async function checkInvitation(store: Store, secret: string, now: number): Promise<User> {
  const t = await liveToken(store, secret, INVITE_PURPOSE, now);
  const user = t?.userId ? await store.users.findById(t.userId) : null;
  if (!t || !user || user.disabled) throw gone('invitation_invalid', INVALID);
  return user;
}

export async function acceptInvitation(
  d: { store: Store; audit: Audit; now: () => number },
  secret: string,
  password: string,
  meta: AuditContext,
): Promise<User> {
  const user = await checkInvitation(d.store, secret, d.now());
  const problem = passwordProblem(password, user.email);
  if (problem) throw badRequest('weak_password', problem, { password: problem });
  const hash = await hashPassword(password);
  const t = await liveToken(d.store, secret, INVITE_PURPOSE, d.now());
  if (!t) throw gone('invitation_invalid', INVALID);
  // The link is spent only together with the password it set.
  await d.store.transaction(async (tx) => {
    if (!(await tx.oneTimeTokens.consume(t.id, INVITE_PURPOSE, d.now()))) throw gone('invitation_invalid', INVALID);
    await tx.users.setPasswordHash(user.id, hash, d.now());
    await tx.users.update(user.id, { emailVerified: true }, d.now());
  });
  await d.audit.record('invitation_accepted', { ...meta, actorId: user.id, subjectId: user.id });
  return user;
}
