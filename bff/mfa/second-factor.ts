/**
 * Answering a second factor, for every door that asks for one (the sign-in
 * step, the step-up before impersonating, and the WorkOS adapter's
 * authenticateWithTotp): throttled in the shared store per account and
 * address and per account, audited, with one message per failure.
 */
import type { User } from '../store/store.ts';
import type { AuditContext } from '../audit/audit.ts';
import { badRequest, tooMany } from '../http/errors.ts';
import type { Factor } from './policy.ts';
import { verifyTotp, type TotpDeps } from './totp.ts';
import { useRecoveryCode, type RecoveryDeps } from './recovery.ts';
import { z } from 'zod';

/** What the second-factor step and the step-up accept: a code from the app or a recovery code. */
export const secondFactorBody = z.object({ method: z.enum(['totp', 'recovery_code']), code: z.string().max(40) });

export type SecondFactorDeps = TotpDeps & RecoveryDeps & { config: TotpDeps['config'] & { rateLimit: { loginPerAccount: number; window: number } } };

export interface SecondFactorAnswer {
  method: Factor;
  code: string;
}

/** One account gets this many times the per-address allowance, from all addresses together. */
const ACCOUNT_FACTOR = 4;

const MESSAGES = {
  wrong: 'That code is not right. Enter the 6-digit code your authenticator app shows now.',
  replayed: 'That code was already used. Wait for the next code in your authenticator app.',
  none: 'This account has no authenticator app set up. Use a recovery code.',
  recovery: 'That recovery code is not right or was already used.',
} as const;

/**
 * Checks the answer; returns the factor used, or throws (400 with a code the SPA shows, 429 when
 * throttled). `purpose` says where it was asked ('sign_in', 'step_up', 'workos') for the audit.
 */
export async function checkSecondFactor(
  d: SecondFactorDeps,
  user: User,
  answer: SecondFactorAnswer,
  meta: AuditContext & { purpose: string },
): Promise<Factor> {
  const now = d.now();
  const windowMs = d.config.rateLimit.window * 1000;
  const limit = d.config.rateLimit.loginPerAccount;
  const pairKey = `mfa:${user.id}|${meta.ip ?? '-'}`;
  const accountKey = `mfa-account:${user.id}`;
  const [pair, account] = await Promise.all([d.store.throttle.peek(pairKey, now), d.store.throttle.peek(accountKey, now)]);
  for (const [s, max] of [
    [pair, limit],
    [account, limit * ACCOUNT_FACTOR],
  ] as const) {
    if (s && s.count >= max && s.resetAt > now) {
      throw tooMany('Too many wrong codes for this account. Wait a few minutes, then try again.', Math.max(1, Math.ceil((s.resetAt - now) / 1000)));
    }
  }
  let failure: keyof typeof MESSAGES | null = null;
  if (answer.method === 'totp') {
    const r = await verifyTotp(d, user.id, answer.code);
    if (r !== 'ok') failure = r;
  } else if (!(await useRecoveryCode(d, user, answer.code, meta))) {
    failure = 'recovery';
  }
  const audit = { ip: meta.ip, userAgent: meta.userAgent, actorId: user.id, subjectId: user.id };
  if (failure) {
    await Promise.all([d.store.throttle.hit(pairKey, now, windowMs), d.store.throttle.hit(accountKey, now, windowMs)]);
    await d.audit.record('mfa_failed', { ...audit, data: { method: answer.method, reason: failure, purpose: meta.purpose } });
    const code = failure === 'replayed' ? 'mfa_code_replayed' : failure === 'none' ? 'mfa_not_set_up' : 'mfa_code_invalid';
    throw badRequest(code, MESSAGES[failure], { code: MESSAGES[failure] });
  }
  await d.store.throttle.reset(pairKey);
  await d.audit.record('mfa_verified', { ...audit, data: { method: answer.method, purpose: meta.purpose } });
  return answer.method;
}

/** For the WorkOS adapter: verify a TOTP code for a user, with the same throttle and audit. */
export async function verifyTotpForUser(d: SecondFactorDeps, user: User, code: string, meta: AuditContext): Promise<void> {
  await checkSecondFactor(d, user, { method: 'totp', code }, { ...meta, purpose: 'workos' });
}
