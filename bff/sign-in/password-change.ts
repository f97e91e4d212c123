/**
 * Sign-in step: a new password in place of the initial one an administrator
 * set (the console's "set an initial password"). After any first factor of
 * such an account the sign-in is held here, as the second-factor step holds
 * it: what the first factor proved stays on the provider's own interaction
 * (never in the browser), and the interaction goes on only once the person
 * has chosen a password of their own. Impersonation is never held: it is the
 * administrator's act, and the password is not theirs to change.
 */
import type { Store, User } from '../store/store.ts';
import { badRequest } from '../http/errors.ts';
import { hashPassword, passwordProblem, verifyPassword } from '../accounts/passwords.ts';
import type { LoginResult } from '../mfa/hold.ts';

interface Waiting {
  result?: unknown;
  persist(): Promise<unknown>;
}

export interface NewPasswordPrompt {
  next: 'new_password';
  email: string;
}

/** Holds the sign-in when the account's password must be changed; null when it may go on. */
export async function holdForPasswordChange(d: { store: Store }, interaction: Waiting, login: LoginResult): Promise<NewPasswordPrompt | null> {
  if ((login.amr ?? []).includes('imp')) return null;
  const user = await d.store.users.findById(login.accountId);
  if (!user?.mustChangePassword) return null;
  interaction.result = { portalPasswordChange: { login } };
  await interaction.persist();
  return { next: 'new_password', email: user.email };
}

/** The first factor's result, while the interaction waits for the new password. */
export function readPendingPasswordChange(result: unknown): LoginResult | null {
  const login = (result as { portalPasswordChange?: { login?: LoginResult } } | undefined)?.portalPasswordChange?.login;
  return login && typeof login.accountId === 'string' ? login : null;
}

/** Sets the person's own password (which clears the flag); refuses a weak one and the initial one again. */
export async function replaceInitialPassword(store: Store, user: User, password: string, now: number): Promise<void> {
  const problem = passwordProblem(password, user.email);
  if (problem) throw badRequest('weak_password', problem, { password: problem });
  if (user.passwordHash && (await verifyPassword(user.passwordHash, password))) {
    const same = 'Choose a password different from the one you were given.';
    throw badRequest('same_password', same, { password: same });
  }
  await store.users.setPasswordHash(user.id, await hashPassword(password), now);
}
