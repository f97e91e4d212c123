/**
 * Password hashing (argon2id, OWASP parameters: m=19 MiB, t=2, p=1) and the
 * password policy. The library's default algorithm is argon2id.
 */
import { hash, verify } from '@node-rs/argon2';
import { passwordHashing } from './hash-gate.ts';

const OPTIONS = { memoryCost: 19456, timeCost: 2, parallelism: 1, outputLen: 32 } as const;

import { PASSWORD_MAX, PASSWORD_MIN } from '../../api/passwords.ts';

export { PASSWORD_MAX, PASSWORD_MIN };

/** Waits its turn at the process's hashing gate (hash-gate.ts); throws the 503 `busy` error when the queue is full. */
export function hashPassword(password: string): Promise<string> {
  return passwordHashing.run(() => hash(password, OPTIONS));
}

/**
 * The argon2 work this process has done verifying passwords: how many verifications ran to the
 * end (a stored value that does not decode costs nothing, so it does not count) and the cost
 * parameters (`m=…,t=…,p=…`) of the last one. Tests read it to prove that unknown, disabled and
 * wrong-password sign-ins all cost the same hashing work as a right one (no timing oracle).
 */
export const hashWork = { verifications: 0, lastCost: '' };

/**
 * Waits its turn at the process's hashing gate, like hashPassword; a malformed stored hash verifies
 * nothing. `from` (the client's address) limits what one address may hold of a busy queue.
 */
export async function verifyPassword(stored: string, password: string, from?: string | null): Promise<boolean> {
  return passwordHashing.run(async () => {
    try {
      const ok = await verify(stored, password);
      hashWork.verifications++;
      hashWork.lastCost = stored.split('$')[3] ?? '';
      return ok;
    } catch {
      return false;
    }
  }, from);
}

/** A hash of nothing in particular, verified when the account is unknown so timing does not tell. */
let dummy: Promise<string> | undefined;
export function dummyHash(): Promise<string> {
  // A refusal (the gate's queue full) must not be remembered as the dummy hash.
  dummy ??= hashPassword('portal-dummy-password-for-timing').catch((err: unknown) => {
    dummy = undefined;
    throw err;
  });
  return dummy;
}

const COMMON = new Set([
  'password1234',
  'password12345',
  '123456789012',
  'qwertyuiopas',
  '111111111111',
  'passwordpassword',
  'iloveyou1234',
  'letmein12345',
  'administrator',
  'welcome12345',
  'changeme1234',
  'qwerty123456',
]);

/** Returns the reason a password is too weak, or null. No truncation: argon2 takes all bytes. */
export function passwordProblem(password: string, email?: string): string | null {
  if (typeof password !== 'string' || password.length < PASSWORD_MIN) return `The password must be at least ${PASSWORD_MIN} characters long.`;
  if (password.length > PASSWORD_MAX) return `The password must be at most ${PASSWORD_MAX} characters long.`;
  if (new Set(password).size < 4) return 'The password repeats too few different characters.';
  if (COMMON.has(password.toLowerCase())) return 'That password is too common.';
  if (email && password.toLowerCase().includes(email.split('@')[0]!.toLowerCase()) && email.split('@')[0]!.length >= 4) {
    return 'The password must not contain your email address.';
  }
  return null;
}
