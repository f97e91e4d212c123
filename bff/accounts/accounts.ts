/**
 * Accounts: creating users, checking credentials (uniform failures, per-account
 * throttle in the shared store) and changing passwords.
 */
import { randomUUID } from 'node:crypto';
import type { Role, Store, User } from '../store/store.ts';
import { ConflictError } from '../store/store.ts';
import { AppError, badRequest, conflict, tooMany } from '../http/errors.ts';
import { dummyHash, hashPassword, passwordProblem, verifyPassword } from './passwords.ts';
import { emailProblem, normaliseEmail } from './email.ts';
import { findBySignInName } from './usernames.ts';

export interface NewAccount {
  email: string;
  password: string | null;
  name?: string;
  role?: Role;
  /** Default true: accounts an admin, the CLI or a test creates are trusted; sign-up and invitations pass false. */
  emailVerified?: boolean;
  /** The password is an administrator's initial one: the first sign-in asks for a new one. */
  mustChangePassword?: boolean;
}

export async function createAccount(store: Store, input: NewAccount, now: number): Promise<User> {
  const fields: Record<string, string> = {};
  const eProblem = emailProblem(input.email ?? '');
  if (eProblem) fields.email = eProblem;
  const email = normaliseEmail(input.email ?? '');
  if (input.password !== null) {
    const p = passwordProblem(input.password ?? '', email);
    if (p) fields.password = p;
  }
  const name = (input.name ?? '').trim() || email.split('@')[0]!;
  if (name.length > 200) fields.name = 'The name must be at most 200 characters.';
  if (Object.keys(fields).length) {
    const code = fields.email ? 'invalid_email' : fields.password ? 'weak_password' : 'invalid_request';
    throw badRequest(code, Object.values(fields)[0]!, fields);
  }
  const passwordHash = input.password === null ? null : await hashPassword(input.password);
  try {
    return await store.users.create(
      {
        id: randomUUID(),
        email,
        name,
        passwordHash,
        role: input.role ?? 'user',
        emailVerified: input.emailVerified ?? true,
        mustChangePassword: input.mustChangePassword === true,
      },
      now,
    );
  } catch (e) {
    if (e instanceof ConflictError)
      throw conflict('email_taken', `An account with the email ${email} already exists.`, { email: 'This email is already registered.' });
    throw e;
  }
}

export const INVALID_CREDENTIALS = 'Email or password is incorrect.';

export interface CredentialCheck {
  store: Store;
  now: number;
  /** Failures one address may make for one account per window. */
  maxFailures: number;
  windowMs: number;
  /** The caller's address: failures count per account and address, and per address across accounts. */
  ip?: string | null;
  /**
   * False when the caller refuses the attempt anyway (SaG with a wrong client secret): the check
   * costs and counts the same, but a right password records no sign-in and clears no count.
   */
  recordSuccess?: boolean;
}

/** One address may fail this many times more than one account before it is slowed too. */
const IP_FACTOR = 5;
/** Failures on one account, from all addresses together, after which it counts as under attack. */
const ACCOUNT_FACTOR = 10;
/** Under attack, each address gets only this share of maxFailures for the account (at least one). */
const UNDER_ATTACK_SHARE = 1 / 3;

const retryAfter = (s: { resetAt: number }, now: number) => Math.max(1, Math.ceil((s.resetAt - now) / 1000));

/**
 * Verifies an email (or a username, see usernames.ts) and password. Unknown account, wrong password and disabled
 * account fail identically (same error, a hash verified in every case).
 *
 * Failures count in the shared store (so limits hold across instances) per
 * account and address, per address, and per account. A stranger failing for
 * an account slows only their own address: the owner signing in from another
 * address is never locked out. When the account's failures from everywhere
 * pass ACCOUNT_FACTOR × maxFailures (an attack from many addresses), each
 * address that already failed for it gets a third of its allowance, while an
 * address that has not failed still gets through (docs/decisions/0006-throttling.md).
 * The decision to refuse is made before the password is looked at, so a 429
 * tells nothing about it.
 */
export async function checkCredentials(email: string, password: string, c: CredentialCheck): Promise<User> {
  const normalised = normaliseEmail(typeof email === 'string' ? email : '');
  const pairKey = `login:${normalised}|${c.ip ?? '-'}`;
  const accountKey = `login-account:${normalised}`;
  const ipKey = c.ip ? `login-ip:${c.ip}` : null;
  const [pair, account, ipState] = await Promise.all([
    c.store.throttle.peek(pairKey, c.now),
    c.store.throttle.peek(accountKey, c.now),
    ipKey ? c.store.throttle.peek(ipKey, c.now) : null,
  ]);
  const live = (s: { count: number; resetAt: number } | null, limit: number) => s !== null && s.count >= limit && s.resetAt > c.now;
  const underAttack = live(account, c.maxFailures * ACCOUNT_FACTOR);
  const pairLimit = underAttack ? Math.max(1, Math.ceil(c.maxFailures * UNDER_ATTACK_SHARE)) : c.maxFailures;
  if (live(pair, pairLimit)) {
    throw tooMany('Too many failed sign-in attempts for this account. Try again later.', retryAfter(pair!, c.now));
  }
  if (live(ipState, c.maxFailures * IP_FACTOR)) {
    throw tooMany('Too many failed sign-in attempts from your network. Try again later.', retryAfter(ipState!, c.now));
  }
  // An email or a username: each counts under its own name, so the throttle reveals no link between them.
  const user = normalised ? await findBySignInName(c.store, normalised) : null;
  const stored = user?.passwordHash ?? (await dummyHash());
  const ok =
    (await verifyPassword(stored, typeof password === 'string' ? password : '', c.ip)) && user !== null && user.passwordHash !== null && !user.disabled;
  if (!ok) {
    await Promise.all([
      c.store.throttle.hit(pairKey, c.now, c.windowMs),
      c.store.throttle.hit(accountKey, c.now, c.windowMs),
      ipKey ? c.store.throttle.hit(ipKey, c.now, c.windowMs) : null,
    ]);
    throw new AppError('invalid_credentials', INVALID_CREDENTIALS, { status: 401 });
  }
  if (c.recordSuccess === false) return user;
  // The account's own count stays: an owner signing in must not hand a running attack a fresh budget.
  await c.store.throttle.reset(pairKey);
  await c.store.users.touchSignIn(user.id, c.now);
  return user;
}

export async function changePassword(store: Store, user: User, current: string, next: string, now: number): Promise<void> {
  if (!user.passwordHash || !(await verifyPassword(user.passwordHash, current))) {
    throw new AppError('invalid_credentials', 'The current password is incorrect.', {
      status: 400,
      fields: { currentPassword: 'The current password is incorrect.' },
    });
  }
  const p = passwordProblem(next, user.email);
  if (p) throw badRequest('weak_password', p, { newPassword: p });
  await store.users.setPasswordHash(user.id, await hashPassword(next), now);
}

export function publicUser(u: User) {
  return { id: u.id, email: u.email, name: u.name, role: u.role, disabled: u.disabled, createdAt: u.createdAt, username: u.username ?? null };
}
