/**
 * Who must have a second factor, who is asked for one, and how recent one
 * must be. MFA_ADMINS=required (default): an admin without one is refused
 * every admin screen with `mfa_setup_required` until they set one up;
 * MFA_USERS=required does the same for everyone's account screen, and a
 * partner app's sign-in is held until one is set up (mfa/hold.ts). Starting an
 * impersonation needs a second factor used in this session within the last
 * 15 minutes (step-up).
 */
import type { Config } from '../config/config.ts';
import type { BffSession, Store, User } from '../store/store.ts';
import { forbidden } from '../http/errors.ts';

/** What a person can answer the second-factor step with. */
export type Factor = 'totp' | 'passkey' | 'recovery_code';

export const STEP_UP_MS = 15 * 60_000;

/** The acr of a sign-in that passed two factors; partners may ask for it with acr_values=mfa. */
export { MFA_ACR } from '../../api/acr.ts';

/** Passkeys that sign in on their own already prove two factors (something held, and a PIN or biometric). */
export const STRONG_FIRST_FACTORS = ['hwk', 'swk'];

export const MFA_SETUP_REQUIRED = 'Set up a second factor (an authenticator app or a passkey) on your account page before you continue.';

/** The factors the user has, in the order the sign-in screen offers them. Recovery codes only back an authenticator app up. */
export async function factorsOf(store: Store, userId: string): Promise<Factor[]> {
  const [totp, passkeys] = await Promise.all([store.mfa.totp.find(userId), store.passkeys.listForUser(userId)]);
  const out: Factor[] = [];
  if (totp) out.push('totp');
  if (passkeys.length) out.push('passkey');
  if (totp && (await store.mfa.recoveryCodes.remaining(userId)) > 0) out.push('recovery_code');
  return out;
}

export function mfaRequired(config: Pick<Config, 'mfa'>, user: Pick<User, 'role'>): boolean {
  return (user.role === 'admin' ? config.mfa.admins : config.mfa.users) === 'required';
}

export interface SecondFactorNeed {
  /** The sign-in must ask for a second factor before it completes. */
  ask: boolean;
  factors: Factor[];
  /** Policy requires one and the user has none: they must set one up. */
  setupRequired: boolean;
}

/**
 * Does this user need a second factor, and which ones can they answer with? For the sign-in step
 * and for the WorkOS adapter's mfa_challenge / mfa_enrollment answers.
 */
export async function secondFactorFor(d: { store: Store; config: Pick<Config, 'mfa'> }, user: User): Promise<SecondFactorNeed> {
  const factors = await factorsOf(d.store, user.id);
  return { ask: factors.length > 0, factors, setupRequired: factors.length === 0 && mfaRequired(d.config, user) };
}

/**
 * Refuses the screens policy keeps behind a second factor (every admin screen; a user's account
 * screen under MFA_USERS=required) to someone who must set one up first (the SPA shows the setup).
 */
export async function requireSecondFactorSetUp(d: { store: Store; config: Pick<Config, 'mfa'> }, user: User): Promise<void> {
  if ((await secondFactorFor(d, user)).setupRequired) throw forbidden('mfa_setup_required', MFA_SETUP_REQUIRED);
}

/** What a BFF session knows about the last second factor used in it. */
export interface SecondFactorUse {
  at: number;
  /** 'totp', 'recovery_code', 'passkey', or 'otp' (a one-time code at sign-in: app or recovery code). */
  factor: string;
}

export function lastSecondFactor(s: BffSession): SecondFactorUse | null {
  const v = s.data.secondFactor as SecondFactorUse | undefined;
  return v && typeof v.at === 'number' && typeof v.factor === 'string' ? v : null;
}

/** Session facts from the ID token of a sign-in: when a second factor was used, and which. */
export function secondFactorFromClaims(claims: { amr?: unknown; auth_time?: unknown }): { secondFactor?: SecondFactorUse } {
  const amr = Array.isArray(claims.amr) ? claims.amr : [];
  const passkey = amr.some((m) => STRONG_FIRST_FACTORS.includes(m));
  // A passkey that verified the person (amr `user`) is two factors on its own.
  if (!amr.includes('mfa') && !(passkey && amr.includes('user'))) return {};
  // The sign-in's own time, not the callback's: a silent sign-in on a live provider session keeps the old one.
  const at = typeof claims.auth_time === 'number' ? claims.auth_time * 1000 : 0;
  return { secondFactor: { at, factor: passkey ? 'passkey' : 'otp' } };
}

/**
 * The step-up rule for starting an impersonation: a second factor used in this session within
 * STEP_UP_MS. Null when it holds (with the use), else the refusal.
 */
export async function stepUpProblem(
  d: { store: Store; config: Pick<Config, 'mfa'> },
  session: BffSession,
  user: User,
  now: number,
): Promise<{ use: SecondFactorUse | null; problem: { code: 'mfa_setup_required' | 'mfa_step_up_required'; message: string } | null }> {
  const need = await secondFactorFor(d, user);
  if (need.setupRequired) return { use: null, problem: { code: 'mfa_setup_required', message: MFA_SETUP_REQUIRED } };
  // MFA_ADMINS=optional and no factor: nothing to step up with.
  if (!need.ask) return { use: null, problem: null };
  const use = lastSecondFactor(session);
  if (use && now - use.at <= STEP_UP_MS) return { use, problem: null };
  return {
    use,
    problem: {
      code: 'mfa_step_up_required',
      message: 'For your protection, use your passkey or a code from your authenticator app (or a recovery code) before impersonating someone.',
    },
  };
}
