/**
 * What the Store keeps about second factors (bff/mfa): a user's TOTP
 * authenticator (its secret sealed by the caller, never in clear) with the
 * newest time step a code was accepted for, and their recovery codes as hashes.
 */

export interface TotpRecord {
  userId: string;
  /** Sealed with DATA_ENCRYPTION_KEYS (bff/mfa/totp.ts); opaque to the store. */
  secret: string;
  createdAt: number;
  /** The newest RFC 6238 time step a code was accepted for (0: none yet). */
  lastStep: number;
  lastUsedAt: number | null;
}

export interface MfaStore {
  totp: {
    find(userId: string): Promise<TotpRecord | null>;
    /** Sets (or replaces) the user's authenticator; its step counter starts over. */
    save(userId: string, sealedSecret: string, now: number): Promise<void>;
    /**
     * Records that a code for `step` was accepted, atomically and only when `step` is newer than
     * every step accepted before: false means the code (or an older one) was already used.
     */
    useStep(userId: string, step: number, now: number): Promise<boolean>;
    remove(userId: string): Promise<boolean>;
  };
  recoveryCodes: {
    /** Replaces every code of the user with these hashes (earlier codes stop working). */
    replace(userId: string, hashes: string[], now: number): Promise<void>;
    /** Marks the code used, atomically: false when it is unknown or was already used. */
    use(userId: string, hash: string, now: number): Promise<boolean>;
    /** How many unused codes the user has. */
    remaining(userId: string): Promise<number>;
    removeAll(userId: string): Promise<number>;
  };
}
