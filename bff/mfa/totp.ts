/**
 * TOTP (RFC 6238) authenticators with otpauth: 20-byte secrets, SHA-1, 6
 * digits, 30-second steps, one step of drift either way. The secret is sealed
 * at rest with DATA_ENCRYPTION_KEYS (http/at-rest.ts), bound to its user, and
 * each accepted code moves the user's step counter forward in one atomic
 * write, so a code (or an older one) is never accepted twice.
 */
import { Secret, TOTP } from 'otpauth';
import { createSealer, type Sealer } from '../http/at-rest.ts';
import type { Config } from '../config/config.ts';
import type { Store } from '../store/store.ts';

export const TOTP_PERIOD_S = 30;
export const TOTP_DIGITS = 6;
/** Steps of clock drift accepted either side of now. */
export const TOTP_WINDOW = 1;

export interface TotpDeps {
  store: Store;
  config: Pick<Config, 'dataEncryptionKeys' | 'publicUrl'>;
  now: () => number;
}

/** Codes follow the phone's clock, the real one: the injected clock (`now`) only moves expiries in tests. */
export const totpNow = (): number => Date.now();

const sealers = new WeakMap<object, Map<string, Sealer>>();
/** The at-rest sealer for `info` (what the sealed value is), made once per key set. */
export function totpSealer(keys: Config['dataEncryptionKeys'], info = 'portal totp secret'): Sealer {
  let byInfo = sealers.get(keys);
  if (!byInfo) sealers.set(keys, (byInfo = new Map()));
  let s = byInfo.get(info);
  if (!s) byInfo.set(info, (s = createSealer(keys, { version: 'enc1', salt: 'portal-data-at-rest', info })));
  return s;
}
const sealer = (keys: Config['dataEncryptionKeys']) => totpSealer(keys);

/** A fresh secret, base32 (what authenticator apps take when typed). */
export const newTotpSecret = (): string => new Secret({ size: 20 }).base32;

/** The issuer shown in authenticator apps: the portal's host name. */
export const totpIssuer = (publicUrl: string): string => new URL(publicUrl).host;

function totp(secret: string, label = 'portal', issuer = 'portal'): TOTP {
  return new TOTP({ issuer, label, algorithm: 'SHA1', digits: TOTP_DIGITS, period: TOTP_PERIOD_S, secret: Secret.fromBase32(secret) });
}

/** The otpauth:// URI a QR code carries. */
export function otpauthUri(secret: string, email: string, publicUrl: string): string {
  return totp(secret, email, totpIssuer(publicUrl)).toString();
}

/** Digits only: people type spaces (apps show "123 456"). */
export const normaliseCode = (code: string): string => code.replace(/[\s-]/g, '');

/** The time step `code` is valid for at `nowMs` (within the window), or null. Pure: counts no use. */
export function matchingStep(secret: string, code: string, nowMs: number): number | null {
  const token = normaliseCode(code);
  if (!new RegExp(`^\\d{${TOTP_DIGITS}}$`).test(token)) return null;
  const delta = totp(secret).validate({ token, timestamp: nowMs, window: TOTP_WINDOW });
  return delta === null ? null : Math.floor(nowMs / 1000 / TOTP_PERIOD_S) + delta;
}

/** Stores the confirmed secret, sealed (replacing any earlier authenticator). */
export async function saveTotp(d: TotpDeps, userId: string, secret: string): Promise<void> {
  await d.store.mfa.totp.save(userId, sealer(d.config.dataEncryptionKeys).seal(secret, userId), d.now());
}

export type TotpCheck = 'ok' | 'wrong' | 'replayed' | 'none';

/**
 * Checks a code against the user's authenticator and, when right, uses its time step up.
 * `replayed`: right, but that step (or a newer one) was already accepted.
 * Not throttled: callers count wrong answers (mfa/second-factor.ts).
 */
export async function verifyTotp(d: TotpDeps, userId: string, code: string): Promise<TotpCheck> {
  const row = await d.store.mfa.totp.find(userId);
  const secret = row ? sealer(d.config.dataEncryptionKeys).open(row.secret, userId) : null;
  if (!row || secret === null) return 'none';
  const step = matchingStep(secret, code, totpNow());
  if (step === null) return 'wrong';
  return (await d.store.mfa.totp.useStep(userId, step, d.now())) ? 'ok' : 'replayed';
}
