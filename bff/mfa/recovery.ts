/**
 * Recovery codes: ten at a time, shown once, stored as SHA-256 hashes (each
 * carries 50 random bits, so a fast hash is enough), each used once. A used
 * code is audited, and mailed to the owner when mail is on, so a stolen code
 * does not go unnoticed.
 */
import { createHash, randomInt } from 'node:crypto';
import type { Store, User } from '../store/store.ts';
import type { Audit, AuditContext } from '../audit/audit.ts';
import type { Mail } from '../mail/mail.ts';
import { composeContent } from '../mail/templates.ts';

export const RECOVERY_CODE_COUNT = 10;
/** No 0/O, 1/I/L: codes are read off paper. */
const ALPHABET = 'abcdefghjkmnpqrstuvwxyz23456789';

export const normaliseRecoveryCode = (code: string): string => code.toLowerCase().replace(/[^a-z0-9]/g, '');
const hash = (code: string) => createHash('sha256').update(normaliseRecoveryCode(code)).digest('hex');

function newCode(): string {
  const chars = Array.from({ length: 10 }, () => ALPHABET[randomInt(ALPHABET.length)]).join('');
  return `${chars.slice(0, 5)}-${chars.slice(5)}`;
}

/** Replaces the user's codes with ten new ones and returns them (the only time they are seen). */
export async function issueRecoveryCodes(store: Store, userId: string, now: number): Promise<string[]> {
  const codes = Array.from({ length: RECOVERY_CODE_COUNT }, newCode);
  await store.mfa.recoveryCodes.replace(userId, codes.map(hash), now);
  return codes;
}

export interface RecoveryDeps {
  store: Store;
  audit: Audit;
  now: () => number;
  mail: Mail | null;
}

/** Uses a code up; when it was good, audits it and tells the owner by mail. */
export async function useRecoveryCode(d: RecoveryDeps, user: User, code: string, meta: AuditContext & { purpose: string }): Promise<boolean> {
  const normalised = normaliseRecoveryCode(code);
  if (normalised.length !== 10 || !(await d.store.mfa.recoveryCodes.use(user.id, hash(normalised), d.now()))) return false;
  const remaining = await d.store.mfa.recoveryCodes.remaining(user.id);
  await d.audit.record('mfa_recovery_code_used', {
    ip: meta.ip,
    userAgent: meta.userAgent,
    actorId: user.id,
    subjectId: user.id,
    data: { remaining, purpose: meta.purpose },
  });
  if (d.mail?.enabled) await d.mail.send('recovery_code_used', { address: user.email, name: user.name }, recoveryCodeUsedMail(d.mail.portal, remaining));
  return true;
}

export function recoveryCodeUsedMail(portal: string, remaining: number) {
  return composeContent({
    portal,
    subject: 'A recovery code was used',
    intro: [`One of your ${portal} recovery codes was just used to sign in. You have ${remaining} left.`],
    outro: [
      'If this was you, nothing else is needed; make new codes on your account page when you run low.',
      'If it was not you, change your password now and make new recovery codes on your account page.',
    ],
  });
}
