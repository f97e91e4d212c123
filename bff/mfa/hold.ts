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
import type { WaitingSetup } from './setup.ts';

export type LoginResult = NonNullable<InteractionResults['login']>;

interface Waiting {
  result?: unknown;
  params?: Record<string, unknown>;
  persist(): Promise<unknown>;
}

export type SecondFactorPrompt = { next: 'second_factor'; factors: Factor[] } | { next: 'second_factor_setup' };

/** What waits on the interaction: the first factor's result, and for a setup, its unconfirmed secret. */
interface Held {
  login: LoginResult;
  /** Policy requires a second factor the account lacks: it is set up here before the sign-in completes. */
  setup?: { totp?: WaitingSetup };
}

/**
 * Holds the sign-in when the account has a second factor (it is asked for), or when policy
 * (MFA_ADMINS / MFA_USERS=required) requires one it lacks and the sign-in is for a partner app
 * (it is set up first; the portal's own sign-in lands on the account screen, which asks for the
 * same setup before anything else). Keeps `login` on the interaction and answers what the SPA
 * shows next; null when the sign-in may complete now.
 */
export async function holdForSecondFactor(
  d: { store: Store; config: Pick<Config, 'mfa'> },
  interaction: Waiting,
  login: LoginResult,
): Promise<SecondFactorPrompt | null> {
  const amr = login.amr ?? [];
  // Impersonation is the admin's act (stepped up already); a passkey is two factors on its own.
  if (amr.includes('imp') || amr.some((m) => STRONG_FIRST_FACTORS.includes(m))) return null;
  const user = await d.store.users.findById(login.accountId);
  if (!user) return null;
  const need = await secondFactorFor(d, user);
  if (need.ask) {
    interaction.result = { portalSecondFactor: { login } satisfies Held };
    await interaction.persist();
    return { next: 'second_factor', factors: need.factors };
  }
  if (!need.setupRequired) return null;
  const clientId = interaction.params?.client_id;
  const client = typeof clientId === 'string' ? await d.store.clients.find(clientId) : null;
  if (!client || client.firstParty) return null;
  interaction.result = { portalSecondFactor: { login, setup: {} } satisfies Held };
  await interaction.persist();
  return { next: 'second_factor_setup' };
}

function heldOf(result: unknown): Held | null {
  const held = (result as { portalSecondFactor?: Held } | undefined)?.portalSecondFactor;
  return held?.login && typeof held.login.accountId === 'string' ? held : null;
}

/** The first factor's result, while the interaction waits for the second (asked for, or being set up). */
export function readPendingSecondFactor(result: unknown): LoginResult | null {
  return heldOf(result)?.login ?? null;
}

/** The setup the interaction waits at (policy requires a factor the account lacks), or null. */
export function readPendingSetup(result: unknown): NonNullable<Held['setup']> | null {
  return heldOf(result)?.setup ?? null;
}

/** Keeps a started authenticator-app setup on the interaction until its code comes. */
export async function waitForTotpSetup(interaction: Waiting, login: LoginResult, totp: WaitingSetup): Promise<void> {
  interaction.result = { portalSecondFactor: { login, setup: { totp } } satisfies Held };
  await interaction.persist();
}

/** The login result once the second factor is in: `otp` for a code, the passkey's own amr (hwk|swk, user) for a passkey. */
export function withSecondFactor(login: LoginResult, factorAmr: string[] = ['otp']): LoginResult {
  return { ...login, amr: [...new Set([...(login.amr ?? []), ...factorAmr, 'mfa'])], acr: login.acr ?? MFA_ACR };
}
