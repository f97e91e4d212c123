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

export interface NewAccount {
  email: string;
  password: string | null;
  name?: string;
  role?: Role;
  emailVerified?: boolean;
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
      { id: randomUUID(), email, name, passwordHash, role: input.role ?? 'user', emailVerified: input.emailVerified ?? false },
      now,
    );
  } catch (e) {
    if (e instanceof ConflictError) throw conflict('email_taken', `An account with the email ${email} already exists.`, { email: 'This email is already registered.' });
    throw e;
  }
}

export const INVALID_CREDENTIALS = 'Email or password is incorrect.';

export interface CredentialCheck {
  store: Store;
  now: number;
  maxFailures: number;
  windowMs: number;
  /** The caller's address: failures also count per IP (a higher limit), across all accounts. */
  ip?: string | null;
}

/** One address may fail this many times more than one account before it is slowed too. */
const IP_FACTOR = 5;

/**
 * Verifies an email and password. Unknown account, wrong password and disabled
 * account fail identically (same error, a hash verified in every case). Failures
 * count per account in the shared store, so the limit holds across instances.
 */
export async function checkCredentials(email: string, password: string, c: CredentialCheck): Promise<User> {
  const normalised = normaliseEmail(typeof email === 'string' ? email : '');
  const key = `login:${normalised}`;
  const ipKey = c.ip ? `login-ip:${c.ip}` : null;
  const state = await c.store.throttle.peek(key, c.now);
  if (state && state.count >= c.maxFailures && state.resetAt > c.now) {
    throw tooMany('Too many failed sign-in attempts for this account. Try again later.', Math.ceil((state.resetAt - c.now) / 1000));
  }
  const ipState = ipKey ? await c.store.throttle.peek(ipKey, c.now) : null;
  if (ipState && ipState.count >= c.maxFailures * IP_FACTOR && ipState.resetAt > c.now) {
    throw tooMany('Too many failed sign-in attempts from your network. Try again later.', Math.ceil((ipState.resetAt - c.now) / 1000));
  }
  const user = normalised ? await c.store.users.findByEmail(normalised) : null;
  const stored = user?.passwordHash ?? (await dummyHash());
  const ok = (await verifyPassword(stored, typeof password === 'string' ? password : '')) && user !== null && user.passwordHash !== null && !user.disabled;
  if (!ok) {
    await c.store.throttle.hit(key, c.now, c.windowMs);
    if (ipKey) await c.store.throttle.hit(ipKey, c.now, c.windowMs);
    throw new AppError('invalid_credentials', INVALID_CREDENTIALS, { status: 401 });
  }
  await c.store.throttle.reset(key);
  await c.store.users.touchSignIn(user.id, c.now);
  return user;
}

export async function changePassword(store: Store, user: User, current: string, next: string, now: number): Promise<void> {
  if (!user.passwordHash || !(await verifyPassword(user.passwordHash, current))) {
    throw new AppError('invalid_credentials', 'The current password is incorrect.', { status: 400, fields: { currentPassword: 'The current password is incorrect.' } });
  }
  const p = passwordProblem(next, user.email);
  if (p) throw badRequest('weak_password', p, { newPassword: p });
  await store.users.setPasswordHash(user.id, await hashPassword(next), now);
}

export function publicUser(u: User) {
  return { id: u.id, email: u.email, name: u.name, role: u.role, disabled: u.disabled, createdAt: u.createdAt };
}
