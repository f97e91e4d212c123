/**
 * Sign-in step: the second factor. After any first factor (password, emailed
 * code, upstream provider, after email verification) a user with a second
 * factor is held here: what the first factor proved is kept on the provider's
 * own interaction (never in the browser), and the interaction completes only
 * after a right TOTP or recovery code, with `otp` and `mfa` added to `amr`
 * and `acr: "mfa"` (a federated sign-in keeps its connection's acr).
 */
import type { InteractionResults } from 'oidc-provider';
import type { Config } from '../config/config.ts';
import type { Store } from '../store/store.ts';
import { MFA_ACR, secondFactorFor, STRONG_FIRST_FACTORS, type Factor } from '../mfa/policy.ts';

export type LoginResult = NonNullable<InteractionResults['login']>;

interface Waiting {
  result?: unknown;
  persist(): Promise<unknown>;
}

export interface SecondFactorPrompt {
  next: 'second_factor';
  factors: Factor[];
}

/**
 * Holds the sign-in when the account has a second factor: keeps `login` on the interaction and
 * answers what the SPA shows next; null when the sign-in may complete now.
 */
export async function holdForSecondFactor(d: { store: Store; config: Pick<Config, 'mfa'> }, interaction: Waiting, login: LoginResult): Promise<SecondFactorPrompt | null> {
  const amr = login.amr ?? [];
  // Impersonation is the admin's act (stepped up already); a passkey is two factors on its own.
  if (amr.includes('imp') || amr.some((m) => STRONG_FIRST_FACTORS.includes(m))) return null;
  const user = await d.store.users.findById(login.accountId);
  if (!user) return null;
  const need = await secondFactorFor(d, user);
  if (!need.ask) return null;
  interaction.result = { portalSecondFactor: { login } };
  await interaction.persist();
  return { next: 'second_factor', factors: need.factors };
}

/** The first factor's result, while the interaction waits for the second. */
export function readPendingSecondFactor(result: unknown): LoginResult | null {
  const login = (result as { portalSecondFactor?: { login?: LoginResult } } | undefined)?.portalSecondFactor?.login;
  return login && typeof login.accountId === 'string' ? login : null;
}

/** The login result once the second factor is in: `otp` for a code, the passkey's own amr (hwk|swk, user) for a passkey. */
export function withSecondFactor(login: LoginResult, factorAmr: string[] = ['otp']): LoginResult {
  return { ...login, amr: [...new Set([...(login.amr ?? []), ...factorAmr, 'mfa'])], acr: login.acr ?? MFA_ACR };
}
