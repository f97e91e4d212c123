/**
 * Passkeys (WebAuthn) on @simplewebauthn/server: registration from the account
 * screen and the assertions that sign someone in (first factor) or confirm who
 * they are after a password (second factor). The relying party is PUBLIC_URL:
 * its host name is the RP ID and its origin the only origin accepted.
 * Challenges live in the Store, single use and short-lived, bound to the user
 * or the sign-in interaction that asked for them. See docs/decisions/0014.
 */
import { randomUUID } from 'node:crypto';
import {
  generateAuthenticationOptions,
  generateRegistrationOptions,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
  type AuthenticatorTransport,
  type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON,
} from '@simplewebauthn/server';
import type { Config } from '../config/config.ts';
import { ConflictError, type Store, type User } from '../store/store.ts';
import type { Audit } from '../audit/audit.ts';
import type { ChallengePurpose, Passkey, WebAuthnChallenge } from '../store/passkeys.ts';
import { PASSKEY_ERRORS, signedChallenge, userHandle, type AuthenticationResponse, type RegistrationResponse } from './passkey-wire.ts';

export interface PasskeyDeps {
  config: Config;
  store: Store;
  audit: Audit;
  now: () => number;
}

/** Who made the request, for the audit log. */
export interface RequestMeta {
  ip: string | null;
  userAgent: string | null;
}

/** A challenge is good for five minutes: long enough to find a security key, short enough to be stale. */
export const CHALLENGE_TTL_MS = 5 * 60_000;
const RP_NAME = 'Portal';

/** The relying party: the RP ID is PUBLIC_URL's host name, the expected origin its origin. */
export function relyingParty(config: Pick<Config, 'publicUrl'>): { id: string; origin: string } {
  const url = new URL(config.publicUrl);
  return { id: url.hostname, origin: url.origin };
}

async function newChallenge(
  deps: PasskeyDeps,
  challenge: string,
  purpose: ChallengePurpose,
  userId: string | null,
  interactionUid: string | null,
): Promise<void> {
  const at = deps.now();
  await deps.store.passkeys.createChallenge({ challenge, purpose, userId, interactionUid, createdAt: at, expiresAt: at + CHALLENGE_TTL_MS });
}

/** Spends the challenge the browser signed; refused when it is unknown, used, expired or not this caller's. */
async function spendChallenge(
  deps: PasskeyDeps,
  clientDataJSON: string,
  purpose: ChallengePurpose,
  owner: { userId?: string; interactionUid?: string },
): Promise<WebAuthnChallenge> {
  const c = await deps.store.passkeys.consumeChallenge(signedChallenge(clientDataJSON), purpose, deps.now());
  if (!c) throw PASSKEY_ERRORS.challenge();
  if (owner.userId !== undefined && c.userId !== owner.userId) throw PASSKEY_ERRORS.challenge();
  if (owner.interactionUid !== undefined && c.interactionUid !== owner.interactionUid) throw PASSKEY_ERRORS.challenge();
  return c;
}

/** Options for navigator.credentials.create(): a discoverable credential, user verification preferred. */
export async function registrationOptions(deps: PasskeyDeps, user: User): Promise<PublicKeyCredentialCreationOptionsJSON> {
  const existing = await deps.store.passkeys.listForUser(user.id);
  const options = await generateRegistrationOptions({
    rpName: RP_NAME,
    rpID: relyingParty(deps.config).id,
    userID: new Uint8Array(Buffer.from(user.id, 'utf8')),
    userName: user.email,
    userDisplayName: user.name || user.email,
    timeout: CHALLENGE_TTL_MS,
    attestationType: 'none',
    excludeCredentials: existing.map((p) => ({ id: p.credentialId, transports: p.transports })),
    authenticatorSelection: { residentKey: 'required', userVerification: 'preferred' },
  });
  await newChallenge(deps, options.challenge, 'passkey_register', user.id, null);
  return options;
}

/** Verifies a new credential against the user's registration challenge and stores it under `name`. */
export async function registerPasskey(deps: PasskeyDeps, user: User, name: string, response: RegistrationResponse, meta: RequestMeta): Promise<Passkey> {
  const c = await spendChallenge(deps, response.response.clientDataJSON, 'passkey_register', { userId: user.id });
  const rp = relyingParty(deps.config);
  let info;
  try {
    const result = await verifyRegistrationResponse({
      response,
      expectedChallenge: c.challenge,
      expectedOrigin: rp.origin,
      expectedRPID: rp.id,
      requireUserVerification: false,
    });
    if (!result.verified) throw new Error('not verified');
    info = result.registrationInfo;
  } catch {
    throw PASSKEY_ERRORS.rejected();
  }
  const passkey: Passkey = {
    id: `pk_${randomUUID()}`,
    userId: user.id,
    credentialId: info.credential.id,
    publicKey: Buffer.from(info.credential.publicKey).toString('base64url'),
    signCount: info.credential.counter,
    transports: (response.response.transports ?? []).slice(0, 10),
    deviceType: info.credentialDeviceType,
    backedUp: info.credentialBackedUp,
    name,
    createdAt: deps.now(),
    lastUsedAt: null,
  };
  try {
    await deps.store.passkeys.create(passkey);
  } catch (e) {
    if (e instanceof ConflictError) throw PASSKEY_ERRORS.exists();
    throw e;
  }
  await deps.audit.record('passkey_registered', {
    ...meta,
    actorId: user.id,
    subjectId: user.id,
    data: { passkeyId: passkey.id, name, deviceType: passkey.deviceType },
  });
  return passkey;
}

/** Options for a first-factor sign-in: no credential list, so the browser offers every passkey it holds for this site. */
export async function signInOptions(deps: PasskeyDeps, interactionUid: string): Promise<PublicKeyCredentialRequestOptionsJSON> {
  const options = await generateAuthenticationOptions({ rpID: relyingParty(deps.config).id, userVerification: 'preferred', timeout: CHALLENGE_TTL_MS });
  await newChallenge(deps, options.challenge, 'passkey_sign_in', null, interactionUid);
  return options;
}

/**
 * Options for a passkey as the second factor of `userId` in the interaction `interactionUid` (or
 * another binding: the step-up passes its BFF session's): only that user's passkeys are offered.
 * Pair with verifyPasskeySecondFactor.
 */
export async function secondFactorOptions(
  deps: PasskeyDeps,
  userId: string,
  interactionUid: string,
  userVerification: 'preferred' | 'required' = 'preferred',
): Promise<PublicKeyCredentialRequestOptionsJSON> {
  const mine = await deps.store.passkeys.listForUser(userId);
  const options = await generateAuthenticationOptions({
    rpID: relyingParty(deps.config).id,
    userVerification,
    timeout: CHALLENGE_TTL_MS,
    allowCredentials: mine.map((p) => ({ id: p.credentialId, transports: p.transports as AuthenticatorTransport[] })),
  });
  await newChallenge(deps, options.challenge, 'passkey_second_factor', userId, interactionUid);
  return options;
}

/** A verified passkey assertion. */
export interface PasskeyUse {
  user: User;
  passkey: Passkey;
  /** The authenticator verified the person (PIN, biometrics): the UV flag. */
  userVerified: boolean;
  /** RFC 8176 methods: `hwk` or `swk`, plus `user` when verified (passkeyAmr). */
  amr: string[];
}

/**
 * The amr values of a passkey use (decision 0014): `hwk` for a device-bound credential
 * (its private key never leaves one authenticator), `swk` for a synced one (backed up to a
 * cloud keychain: a software-held key); `user` is added when the authenticator verified the person.
 */
export function passkeyAmr(p: Pick<Passkey, 'deviceType' | 'backedUp'>, userVerified: boolean): string[] {
  const bound = p.deviceType === 'singleDevice' && !p.backedUp;
  return [bound ? 'hwk' : 'swk', ...(userVerified ? ['user'] : [])];
}

async function verifyAssertion(deps: PasskeyDeps, response: AuthenticationResponse, c: WebAuthnChallenge, meta: RequestMeta): Promise<PasskeyUse> {
  const passkey = await deps.store.passkeys.findByCredentialId(response.id);
  if (!passkey) throw PASSKEY_ERRORS.unknown();
  if (c.userId !== null && passkey.userId !== c.userId) throw PASSKEY_ERRORS.rejected();
  if (response.response.userHandle !== undefined && response.response.userHandle !== userHandle(passkey.userId)) throw PASSKEY_ERRORS.rejected();
  const user = await deps.store.users.findById(passkey.userId);
  if (!user || user.disabled) throw PASSKEY_ERRORS.rejected();
  const rp = relyingParty(deps.config);
  let verified;
  try {
    // The counter is checked below, after the signature, so that only a genuine signature with an old counter reads as a clone.
    const credential = {
      id: passkey.credentialId,
      publicKey: new Uint8Array(Buffer.from(passkey.publicKey, 'base64url')),
      counter: 0,
      transports: passkey.transports as AuthenticatorTransport[],
    };
    const result = await verifyAuthenticationResponse({
      response,
      expectedChallenge: c.challenge,
      expectedOrigin: rp.origin,
      expectedRPID: rp.id,
      credential,
      requireUserVerification: false,
    });
    if (!result.verified) throw new Error('not verified');
    verified = result.authenticationInfo;
  } catch {
    throw PASSKEY_ERRORS.rejected();
  }
  if (!(await deps.store.passkeys.recordUse(passkey.id, verified.newCounter, deps.now()))) {
    if (!(await deps.store.passkeys.findByCredentialId(passkey.credentialId))) throw PASSKEY_ERRORS.unknown();
    await deps.audit.record('passkey_clone_suspected', {
      ...meta,
      actorId: null,
      subjectId: user.id,
      data: { passkeyId: passkey.id, name: passkey.name, storedCounter: passkey.signCount, presentedCounter: verified.newCounter },
    });
    throw PASSKEY_ERRORS.clone();
  }
  return { user, passkey, userVerified: verified.userVerified, amr: passkeyAmr(passkey, verified.userVerified) };
}

/** A first-factor passkey sign-in for the interaction `interactionUid` (its challenge from signInOptions). */
export async function verifyPasskeySignIn(deps: PasskeyDeps, response: AuthenticationResponse, interactionUid: string, meta: RequestMeta): Promise<PasskeyUse> {
  const c = await spendChallenge(deps, response.response.clientDataJSON, 'passkey_sign_in', { interactionUid });
  return verifyAssertion(deps, response, c, meta);
}

/**
 * A passkey as the second factor of `userId` in the interaction `interactionUid` (its challenge
 * from secondFactorOptions): refused unless the passkey is that user's. For the second-factor step.
 */
export async function verifyPasskeySecondFactor(
  deps: PasskeyDeps,
  userId: string,
  response: AuthenticationResponse,
  interactionUid: string,
  meta: RequestMeta,
): Promise<PasskeyUse> {
  const c = await spendChallenge(deps, response.response.clientDataJSON, 'passkey_second_factor', { userId, interactionUid });
  return verifyAssertion(deps, response, c, meta);
}
