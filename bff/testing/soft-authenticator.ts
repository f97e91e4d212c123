/**
 * A software WebAuthn authenticator for node tests: real P-256 keys, real CBOR
 * attestation objects ("none" format) and real ES256 assertions, built the way
 * an authenticator builds them (WebAuthn §6.1, §6.5), so @simplewebauthn/server
 * verifies them exactly as it verifies a browser's. Knobs let a test break one
 * part at a time (origin, counter, flags, key).
 */
import { createHash, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import { isoCBOR } from '@simplewebauthn/server/helpers';

const FLAG = { UP: 0x01, UV: 0x04, BE: 0x08, BS: 0x10, AT: 0x40 } as const;
const b64url = (b: Uint8Array | Buffer): string => Buffer.from(b).toString('base64url');
const sha256 = (b: Uint8Array | string): Buffer => createHash('sha256').update(b).digest();

interface Held {
  id: Buffer;
  privateKey: KeyObject;
  userHandle: string;
  counter: number;
}

export interface SoftOptions {
  origin: string;
  /** Sets the UV flag (the authenticator verified the person). Default true. */
  userVerified?: boolean;
  /** A synced passkey: backup eligible and backed up. Default false (device-bound). */
  synced?: boolean;
}

export interface AssertionOverrides {
  origin?: string;
  challenge?: string;
  /** The counter to report instead of the next one (a clone replays an old value). */
  counter?: number;
  /** Sign with another key than the registered one. */
  foreignKey?: boolean;
  userHandle?: string;
}

export class SoftAuthenticator {
  readonly origin: string;
  readonly userVerified: boolean;
  readonly synced: boolean;
  readonly held: Held[] = [];

  constructor(opts: SoftOptions) {
    this.origin = opts.origin;
    this.userVerified = opts.userVerified ?? true;
    this.synced = opts.synced ?? false;
  }

  #flags(extra: number): number {
    return FLAG.UP | (this.userVerified ? FLAG.UV : 0) | (this.synced ? FLAG.BE | FLAG.BS : 0) | extra;
  }

  #clientData(type: string, challenge: string, origin: string): string {
    return b64url(Buffer.from(JSON.stringify({ type, challenge, origin, crossOrigin: false })));
  }

  /** navigator.credentials.create() for options from generateRegistrationOptions. */
  create(options: { challenge: string; rp: { id?: string }; user: { id: string } }, over: { origin?: string } = {}) {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const jwk = publicKey.export({ format: 'jwk' });
    const cose = isoCBOR.encode(
      new Map<number, number | Uint8Array>([
        [1, 2],
        [3, -7],
        [-1, 1],
        [-2, new Uint8Array(Buffer.from(jwk.x!, 'base64url'))],
        [-3, new Uint8Array(Buffer.from(jwk.y!, 'base64url'))],
      ]),
    );
    const id = randomBytes(32);
    const len = Buffer.alloc(2);
    len.writeUInt16BE(id.length);
    const authData = Buffer.concat([
      sha256(options.rp.id ?? ''),
      Buffer.from([this.#flags(FLAG.AT)]),
      Buffer.alloc(4),
      Buffer.alloc(16),
      len,
      id,
      Buffer.from(cose),
    ]);
    const attestationObject = isoCBOR.encode(
      new Map<string, unknown>([
        ['fmt', 'none'],
        ['attStmt', new Map()],
        ['authData', new Uint8Array(authData)],
      ]) as never,
    );
    this.held.push({ id, privateKey, userHandle: options.user.id, counter: 0 });
    return {
      id: b64url(id),
      rawId: b64url(id),
      type: 'public-key' as const,
      response: {
        clientDataJSON: this.#clientData('webauthn.create', options.challenge, over.origin ?? this.origin),
        attestationObject: b64url(attestationObject),
        transports: ['internal'],
      },
      clientExtensionResults: {},
      authenticatorAttachment: 'platform' as const,
    };
  }

  /** navigator.credentials.get() with the credential at `index` (the first by default). */
  get(options: { challenge: string; rpId?: string }, over: AssertionOverrides = {}, index = 0) {
    const cred = this.held[index];
    if (!cred) throw new Error('no credential held');
    cred.counter += 1;
    const counter = Buffer.alloc(4);
    counter.writeUInt32BE(over.counter ?? cred.counter);
    const authData = Buffer.concat([sha256(options.rpId ?? ''), Buffer.from([this.#flags(0)]), counter]);
    const clientDataJSON = this.#clientData('webauthn.get', over.challenge ?? options.challenge, over.origin ?? this.origin);
    const key = over.foreignKey ? generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey : cred.privateKey;
    const signature = sign('sha256', Buffer.concat([authData, sha256(Buffer.from(clientDataJSON, 'base64url'))]), key);
    return {
      id: b64url(cred.id),
      rawId: b64url(cred.id),
      type: 'public-key' as const,
      response: { clientDataJSON, authenticatorData: b64url(authData), signature: b64url(signature), userHandle: over.userHandle ?? cred.userHandle },
      clientExtensionResults: {},
      authenticatorAttachment: 'platform' as const,
    };
  }
}
