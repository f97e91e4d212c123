/**
 * Optional usernames (seed 002, SaG's "Operator Username"): an account may
 * have one besides its email, unique whatever its case, and every password
 * sign-in accepts either. A username never contains '@', so a sign-in name is
 * looked up as an email when it has one and as a username otherwise.
 */
import type { Store, User } from '../store/store.ts';
import { ConflictError } from '../store/store.ts';
import { badRequest, conflict, notFound } from '../http/errors.ts';
import { normaliseEmail } from './email.ts';

const USERNAME = /^[a-z0-9][a-z0-9._-]{0,63}$/;

/** Lower-cased, trimmed, NFC (like an email). */
export const normaliseUsername = normaliseEmail;

export function usernameProblem(raw: string): string | null {
  return USERNAME.test(normaliseUsername(raw))
    ? null
    : 'A username has 1 to 64 letters, digits, dots, hyphens or underscores, starts with a letter or digit, and has no @.';
}

/** The account a sign-in name (already normalised) names: by email when it has an '@', else by username. */
export function findBySignInName(store: Store, name: string): Promise<User | null> {
  if (name.includes('@')) return store.users.findByEmail(name);
  return USERNAME.test(name) ? store.users.findByUsername(name) : Promise.resolve(null);
}

/** Sets (or with null, removes) a user's username; a taken one is a 409 naming the field. */
export async function setUsername(store: Store, userId: string, raw: string | null, now: number): Promise<User> {
  let username: string | null = null;
  if (raw !== null && raw.trim() !== '') {
    const problem = usernameProblem(raw);
    if (problem) throw badRequest('invalid_username', problem, { username: problem });
    username = normaliseUsername(raw);
  }
  try {
    const user = await store.users.update(userId, { username }, now);
    if (!user) throw notFound('user_not_found', 'No such user.');
    return user;
  } catch (e) {
    if (e instanceof ConflictError)
      throw conflict('username_taken', `The username ${username} is already taken.`, { username: 'This username is already taken.' });
    throw e;
  }
}
