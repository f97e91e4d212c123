/**
 * The federation part of the Store: upstream OpenID Connect connections and
 * the upstream identities linked to portal users. Secrets and tokens arrive
 * here already encrypted (federation/crypto.ts); the store keeps them opaque.
 */

export interface Connection {
  id: string;
  /** Display name ("Google", "Acme SSO"); unique whatever its case. */
  name: string;
  issuer: string;
  clientId: string;
  /** Encrypted client secret. */
  clientSecret: string;
  scopes: string[];
  /** The organization the connection belongs to; null for a social connection. */
  orgId: string | null;
  /** Lower-case email domains routed to this connection (home-realm discovery). */
  domains: string[];
  createdAt: number;
  updatedAt: number;
}

export interface FederatedIdentity {
  connectionId: string;
  /** The upstream `sub`. */
  subject: string;
  userId: string;
  email: string | null;
  /** Encrypted upstream tokens, or null. */
  tokens: string | null;
  /** When the upstream access token expires (ms), or null. */
  tokensExpiresAt: number | null;
  /** Bumped whenever the tokens change, so refresh waiters see a refresh land. */
  version: number;
  refreshLockUntil: number | null;
  /** Null while the link waits for the user's password (never signs anyone in). */
  linkedAt: number | null;
  createdAt: number;
  lastUsedAt: number;
}

export interface FederationStore {
  /** Throws ConflictError on a duplicate name or domain. */
  createConnection(c: Connection): Promise<void>;
  findConnection(id: string): Promise<Connection | null>;
  /** Case-insensitive. */
  findConnectionByName(name: string): Promise<Connection | null>;
  findConnectionByDomain(domain: string): Promise<Connection | null>;
  listConnections(): Promise<Connection[]>;
  /** Re-encrypted secret (key rotation). */
  setConnectionSecret(id: string, clientSecret: string, now: number): Promise<boolean>;
  /** Deletes the connection, its domains and every identity linked through it. */
  deleteConnection(id: string): Promise<boolean>;

  findIdentity(connectionId: string, subject: string): Promise<FederatedIdentity | null>;
  /** The user's most recently used linked identity at that connection. */
  findLinkedIdentity(userId: string, connectionId: string): Promise<FederatedIdentity | null>;
  listLinkedIdentities(userId: string): Promise<FederatedIdentity[]>;
  /** Removes every identity (linked or pending) of the user; returns how many. */
  unlinkAll(userId: string): Promise<number>;
  /** Removes one identity of the user (its upstream tokens with it); false when the user has no such identity. */
  unlinkIdentity(userId: string, connectionId: string, subject: string): Promise<boolean>;
  /** Inserts unless (connection, subject) exists; true when it inserted. */
  insertIdentity(i: FederatedIdentity): Promise<boolean>;
  /** Inserts, or replaces a row that is still pending; never touches a linked row. True when written. */
  upsertPendingIdentity(i: FederatedIdentity): Promise<boolean>;
  /** Marks a pending link as linked, only for that user. True when it did. */
  confirmLink(connectionId: string, subject: string, userId: string, now: number): Promise<boolean>;
  /** After a sign-in: new tokens and email, version bumped, lock released. */
  recordSignIn(
    connectionId: string,
    subject: string,
    update: { email: string | null; tokens: string | null; tokensExpiresAt: number | null },
    now: number,
  ): Promise<void>;
  /** Takes the refresh lock when free (or lapsed) and the version still matches. */
  acquireRefreshLock(connectionId: string, subject: string, version: number, now: number, until: number): Promise<boolean>;
  /** Stores refreshed tokens (null: the upstream grant is gone), bumps version, releases the lock. */
  completeRefresh(connectionId: string, subject: string, tokens: string | null, tokensExpiresAt: number | null): Promise<void>;
  releaseRefreshLock(connectionId: string, subject: string): Promise<void>;
}
