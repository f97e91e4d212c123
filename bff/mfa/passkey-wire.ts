/**
 * What the browser sends back from navigator.credentials (as @simplewebauthn/browser shapes it),
 * checked at the edge, and the passkey error catalogue shared by every passkey step.
 */
import { z } from 'zod';
import { decodeClientDataJSON } from '@simplewebauthn/server/helpers';
import { AppError } from '../http/errors.ts';

const b64url = z
  .string()
  .min(1)
  .max(16_384)
  .regex(/^[A-Za-z0-9_-]+={0,2}$/);
const base = {
  id: b64url.max(1024),
  rawId: b64url.max(1024),
  type: z.literal('public-key'),
  clientExtensionResults: z.record(z.string(), z.unknown()).default({}),
  authenticatorAttachment: z.enum(['platform', 'cross-platform']).optional(),
};

/** A passkey's name, as the person gives it when adding one (account screen or sign-in setup). */
const passkeyName = z.string().trim().min(1, 'Give the passkey a name, for example the device it is on.').max(60, 'Use at most 60 characters.');
export const passkeyNameBody = z.object({ name: passkeyName });

export const registrationResponse = z.object({
  ...base,
  response: z.object({
    clientDataJSON: b64url,
    attestationObject: b64url,
    transports: z.array(z.string().max(20)).max(10).optional(),
  }),
});

export const authenticationResponse = z.object({
  ...base,
  response: z.object({
    clientDataJSON: b64url,
    authenticatorData: b64url,
    signature: b64url,
    userHandle: b64url.max(1024).optional(),
  }),
});

export type RegistrationResponse = z.infer<typeof registrationResponse>;
export type AuthenticationResponse = z.infer<typeof authenticationResponse>;

/** Every way a passkey step is refused, each with words a person can act on. */
export const PASSKEY_ERRORS = {
  malformed: () => new AppError('passkey_malformed', 'Your browser’s passkey answer was not understood. Try again.', { status: 400 }),
  challenge: () =>
    new AppError('passkey_challenge_invalid', 'This passkey request has expired or was already used. Try again: the portal will ask for a new one.', {
      status: 400,
    }),
  unknown: () => new AppError('passkey_not_registered', 'This passkey is not registered here: it may have been removed. Sign in another way.', { status: 401 }),
  rejected: () => new AppError('passkey_rejected', 'The passkey could not be verified. Try again, or sign in another way.', { status: 401 }),
  clone: () =>
    new AppError(
      'passkey_counter_error',
      'This passkey was refused: its use counter went backwards, which happens when an authenticator was copied. Sign in another way and check your passkeys.',
      { status: 401 },
    ),
  exists: () => new AppError('passkey_exists', 'This passkey is registered already.', { status: 409 }),
  notFound: () => new AppError('passkey_not_found', 'That passkey is not on your account (it may have been removed already).', { status: 404 }),
};

/** The challenge the browser signed, read from its clientDataJSON (malformed when unreadable). */
export function signedChallenge(clientDataJSON: string): string {
  try {
    const { challenge } = decodeClientDataJSON(clientDataJSON);
    if (typeof challenge !== 'string' || !challenge || challenge.length > 200) throw new Error('no challenge');
    return challenge;
  } catch {
    throw PASSKEY_ERRORS.malformed();
  }
}

/** The WebAuthn user handle of an account: its id as UTF-8 bytes, base64url. */
export const userHandle = (userId: string): string => Buffer.from(userId, 'utf8').toString('base64url');

/** The browser's credential, or one clear 'not understood' answer (never a list of schema paths). */
export function credential<T extends z.ZodType>(schema: T, body: unknown): z.infer<T> {
  const r = schema.safeParse((body as { response?: unknown } | undefined)?.response);
  if (!r.success) throw PASSKEY_ERRORS.malformed();
  return r.data;
}
