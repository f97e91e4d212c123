/**
 * Passkeys (WebAuthn credentials) and their challenges: the records and the
 * store sub-interface (`Store['passkeys']`). Times are epoch milliseconds.
 */

export interface Passkey {
  /** `pk_…`, the portal's own id (in URLs); never the credential id. */
  id: string;
  userId: string;
  /** The authenticator's credential id, base64url. */
  credentialId: string;
  /** COSE public key, base64url. */
  publicKey: string;
  /** The signature counter last seen (0 for authenticators that keep none). */
  signCount: number;
  transports: string[];
  /** 'singleDevice' (bound to one authenticator) or 'multiDevice' (synced). */
  deviceType: 'singleDevice' | 'multiDevice';
  backedUp: boolean;
  name: string;
  createdAt: number;
  lastUsedAt: number | null;
}

export type ChallengePurpose = 'passkey_register' | 'passkey_sign_in' | 'passkey_second_factor';

export interface WebAuthnChallenge {
  /** base64url, as sent to the browser and echoed in clientDataJSON. */
  challenge: string;
  purpose: ChallengePurpose;
  /** The user it was made for (registration, second factor), or null (first-factor sign-in). */
  userId: string | null;
  /** The sign-in interaction that asked, or null (account screen). */
  interactionUid: string | null;
  createdAt: number;
  expiresAt: number;
  consumedAt: number | null;
}

export interface PasskeysStore {
  /** Throws ConflictError when the credential id is registered already (to anyone). */
  create(p: Passkey): Promise<void>;
  listForUser(userId: string): Promise<Passkey[]>;
  findByCredentialId(credentialId: string): Promise<Passkey | null>;
  rename(userId: string, id: string, name: string): Promise<boolean>;
  /** Removes the user's passkey; the removed row, or null when there was none. */
  remove(userId: string, id: string): Promise<Passkey | null>;
  /**
   * Records a use atomically: stores `signCount` and `now` only while the stored counter is below
   * it (or both are 0, an authenticator without a counter). False: the counter went backwards or
   * stood still, a possible clone, or the passkey is gone.
   */
  recordUse(id: string, signCount: number, now: number): Promise<boolean>;
  /** Removes every passkey of the user (factor reset); returns how many. */
  removeAllForUser(userId: string): Promise<number>;

  /** Stores a fresh challenge (and drops expired ones). */
  createChallenge(c: Omit<WebAuthnChallenge, 'consumedAt'>): Promise<void>;
  /**
   * Consumes it atomically (`UPDATE … WHERE consumed_at IS NULL AND expires_at > now`): the
   * challenge when this call consumed it, null when it was used, expired, of another purpose or unknown.
   */
  consumeChallenge(challenge: string, purpose: ChallengePurpose, now: number): Promise<WebAuthnChallenge | null>;
}
