/**
 * Setting up an authenticator app, for both places that do it: the account
 * screen (the unconfirmed secret waits in the BFF session row) and the sign-in
 * step a person without a second factor is held at when policy requires one
 * (it waits on the provider's interaction). Either way the secret is sealed
 * while it waits, bound to where it waits, and saved only once a code from the
 * app is right; that confirming code is spent at once.
 */
import QRCode from 'qrcode';
import type { Config } from '../config/config.ts';
import type { User } from '../store/store.ts';
import type { Audit, AuditContext } from '../audit/audit.ts';
import { badRequest, tooMany } from '../http/errors.ts';
import { matchingStep, newTotpSecret, otpauthUri, saveTotp, totpNow, totpSealer, type TotpDeps } from './totp.ts';
import { issueRecoveryCodes } from './recovery.ts';

/** How long a started setup waits for its confirming code. */
export const SETUP_TTL_MS = 15 * 60_000;
/** Wrong confirming codes per account per rate-limit window. */
const SETUP_TRIES = 10;

/** What the person is shown: the secret as text, the otpauth URI and its QR code. */
export interface TotpSetupView {
  secret: string;
  uri: string;
  qrCode: string;
}

/** A started setup as it waits: the secret sealed to `binding` (the session or interaction id). */
export interface WaitingSetup {
  secret: string;
  startedAt: number;
}

const pendingSealer = (keys: Config['dataEncryptionKeys']) => totpSealer(keys, 'portal totp setup');

/** A new secret for `user`: what to show, and what to keep (sealed to `binding`) until the code comes. */
export async function startTotpSetup(
  d: Pick<TotpDeps, 'config' | 'now'>,
  user: Pick<User, 'email'>,
  binding: string,
): Promise<{ view: TotpSetupView; waiting: WaitingSetup }> {
  const secret = newTotpSecret();
  const uri = otpauthUri(secret, user.email, d.config.publicUrl);
  const qrCode = await QRCode.toDataURL(uri, { margin: 1, width: 220, errorCorrectionLevel: 'M' });
  return { view: { secret, uri, qrCode }, waiting: { secret: pendingSealer(d.config.dataEncryptionKeys).seal(secret, binding), startedAt: d.now() } };
}

/**
 * Saves the waiting secret once `code` from the app is right (throttled per account), spends that
 * code, and issues recovery codes when the account has none. Returns them (shown once) or null.
 */
export async function confirmTotpSetup(
  d: TotpDeps & { audit: Audit; config: TotpDeps['config'] & Pick<Config, 'rateLimit'> },
  user: User,
  waiting: Partial<WaitingSetup> | undefined,
  binding: string,
  code: string,
  meta: AuditContext,
): Promise<string[] | null> {
  const now = d.now();
  const secret =
    waiting?.secret && now - Number(waiting.startedAt) <= SETUP_TTL_MS ? pendingSealer(d.config.dataEncryptionKeys).open(waiting.secret, binding) : null;
  if (!secret) throw badRequest('mfa_setup_expired', 'This setup has expired. Start again to get a new QR code.');
  const key = `mfa-setup:${user.id}`;
  const tries = await d.store.throttle.peek(key, now);
  if (tries && tries.count >= SETUP_TRIES && tries.resetAt > now)
    throw tooMany('Too many wrong codes. Wait a few minutes, then try again.', Math.max(1, Math.ceil((tries.resetAt - now) / 1000)));
  const step = matchingStep(secret, code, totpNow());
  if (step === null) {
    await d.store.throttle.hit(key, now, d.config.rateLimit.window * 1000);
    const message = 'That code is not right. Enter the 6-digit code your authenticator app shows now (check that the phone’s clock is right).';
    throw badRequest('mfa_code_invalid', message, { code: message });
  }
  await saveTotp(d, user.id, secret);
  // The confirming code is spent: it cannot sign anyone in afterwards.
  await d.store.mfa.totp.useStep(user.id, step, now);
  const first = (await d.store.mfa.recoveryCodes.remaining(user.id)) === 0;
  const recoveryCodes = first ? await issueRecoveryCodes(d.store, user.id, now) : null;
  await d.audit.record('mfa_totp_enrolled', { ...meta, actorId: user.id, subjectId: user.id, data: { recoveryCodesIssued: first } });
  return recoveryCodes;
}
