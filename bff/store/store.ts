/**
 * The Store: every durable thing the portal keeps, behind one interface with
 * two implementations (SQLite via node:sqlite, PostgreSQL via pg). Both pass
 * `contract.ts`. Times are epoch milliseconds everywhere. Every durable record
 * type is declared in this folder: here, or beside it for a sub-store with an
 * interface of its own (orgs.ts, federation.ts); domains import them from here.
 */
import type { ActivityStore } from './activity.ts';
import type { OrgsStore } from './orgs.ts';
import type { FederationStore } from './federation.ts';
import type { AuditEntryWire } from '../../api/audit.ts';
import type { MfaStore } from './mfa.ts';
import type { PasskeysStore } from './passkeys.ts';

export type Role = 'user' | 'admin';

export interface User {
  id: string;
  email: string;
  name: string;
  passwordHash: string | null;
  role: Role;
  disabled: boolean;
  emailVerified: boolean;
  createdAt: number;
  updatedAt: number;
  lastSignInAt: number | null;
  /** Optional sign-in name besides the email (lower-cased, no '@'); see accounts/usernames.ts. */
  username?: string | null;
  /** Present (true) while the password is one an administrator set: the next sign-in asks for a new one first. */
  mustChangePassword?: true;
}

export interface NewUser {
  id: string;
  email: string;
  name: string;
  passwordHash: string | null;
  role: Role;
  emailVerified?: boolean;
  /** The password is an administrator's initial one (ignored without a password). */
  mustChangePassword?: boolean;
}

/** The admin console's user list orders (newest first). */
export type UserSort = 'created' | 'lastSignIn';

/** Where a keyset page starts: the last row of the previous page (its sort key and id). */
export interface UserCursor {
  key: number;
  id: string;
}

export interface UserPageQuery {
  /** Part of the email or name, case-insensitive. */
  query?: string;
  sort?: UserSort;
  admin?: boolean;
  disabled?: boolean;
  unverified?: boolean;
  /** Only people with a second factor enrolled: an authenticator app (TOTP) or a passkey. */
  secondFactor?: boolean;
  after?: UserCursor | null;
  limit?: number;
}

/** What an admin may change on a user page, checked against the version the page showed. */
export interface UserAdminPatch {
  role?: Role;
  disabled?: boolean;
}

export type CheckedUpdate =
  | { ok: true; user: User }
  /** missing: no such user; stale: changed since `expectedUpdatedAt`; last_admin: it would leave no enabled admin. */
  | { ok: false; reason: 'missing' | 'stale' | 'last_admin'; user: User | null };

export interface ClientRecord {
  clientId: string;
  name: string;
  /** null for public clients. */
  secret: string | null;
  redirectUris: string[];
  postLogoutRedirectUris: string[];
  scopes: string[];
  logoUrl: string | null;
  /** First-party clients (the BFF itself) skip the consent screen. */
  firstParty: boolean;
  createdAt: number;
  /** Space-separated scope an authorization request gets when it names none (seed 004). */
  defaultScope?: string | null;
  /** Access-token lifetime in seconds; null or absent: the ACCESS_TOKEN_TTL default. */
  accessTokenTtl?: number | null;
  /** The weaker legacy refresh at GET /oauth?=token (no client authentication); off unless set. */
  legacyRefresh?: boolean;
  /** A machine client: client_credentials only, for API resources; `scopes` are resource scopes. */
  machine?: boolean;
  /** private_key_jwt: the client's public keys (a JWKS), or where to fetch them; then `secret` is null. */
  jwks?: { keys: Array<Record<string, unknown>> } | null;
  jwksUri?: string | null;
  /** Access tokens must be DPoP-bound (RFC 9449). */
  requireDpop?: boolean;
  /** Authorization requests must be pushed first (RFC 9126). */
  requirePar?: boolean;
  /** May sign people in on a device without a browser (RFC 8628 device authorization grant). */
  device?: boolean;
  /** OpenID Connect Back-Channel Logout: where logout tokens are posted, and whether they must carry `sid`. */
  backchannelLogoutUri?: string | null;
  backchannelLogoutSessionRequired?: boolean;
}

/** An API (RFC 8707 resource) that machine clients get audience-restricted tokens for. */
export interface ApiResource {
  /** Absolute URI, the `resource` parameter and the tokens' `aud`. */
  identifier: string;
  name: string;
  scopes: string[];
  createdAt: number;
}

/**
 * A remote API route of the gateway (issue 18): browser calls below `path` on the portal are
 * forwarded to `upstream` with an access token for `resource` (RFC 8707) and `scopes`.
 */
export interface ApiRoute {
  /** The portal path it answers below, like `/api/orders` (unique). */
  path: string;
  /** Absolute http(s) URL the rest of the path is appended to. */
  upstream: string;
  /** A registered API resource's identifier; null only for an anonymous route that sends no token. */
  resource: string | null;
  scopes: string[];
  /** Only people with this role are forwarded (403 otherwise), or null. */
  requireRole: Role | null;
  /** Forwarded without a signed-in session too (with a token when there is one). */
  anonymous: boolean;
  /** Upstream redirects off the portal's origin are passed to the browser. */
  allowRedirects: boolean;
  /** Largest request body forwarded, in bytes. */
  maxBodyBytes: number;
  /** How long the upstream may take to answer, in milliseconds. */
  timeoutMs: number;
  createdAt: number;
}

/** One oidc-provider model instance (Session, AccessToken, Grant, …). */
export interface OidcPayloadRecord {
  payload: Record<string, unknown>;
  expiresAt: number | null;
  consumedAt: number | null;
}

export interface SigningKey {
  kid: string;
  alg: string;
  /** Private JWK (includes the public part). */
  jwk: Record<string, unknown>;
  createdAt: number;
}

export interface BffSession {
  id: string;
  userId: string;
  /** Tokens sealed (encrypted) by the session module; opaque to the store. */
  tokens: string;
  /** When the access token expires (ms). */
  accessExpiresAt: number;
  /** Bumped on each refresh, so waiters see a refresh land. */
  version: number;
  createdAt: number;
  lastSeenAt: number;
  expiresAt: number;
  revokedAt: number | null;
  /** Until when a refresh holds the lock (ms), or null. */
  refreshLockUntil: number | null;
  /**
   * The refresh attempt that took the lock and has not stored its result yet,
   * or null. Still set after the lock lapsed: that attempt died, and the stored
   * refresh token may already be spent.
   */
  refreshAttempt: string | null;
  /** JSON for impersonation state and similar per-session facts. */
  data: Record<string, unknown>;
}

export interface Consent {
  userId: string;
  clientId: string;
  scopes: string[];
  grantId: string | null;
  grantedAt: number;
  updatedAt: number;
}

/** A stored audit entry: exactly what GET /bff/admin/audit sends, so the shape is declared once (api/audit.ts). */
export type AuditEntry = AuditEntryWire;

/** An entry to append: the store numbers and chains it; `keyId` names the key the caller's hash uses. */
export type NewAuditEntry = Omit<AuditEntry, 'seq' | 'prevHash' | 'hash' | 'keyId'> & { keyId?: number | null };

export interface AuditFilter {
  kind?: string;
  /** Matches actor or subject. */
  userId?: string;
  actorId?: string;
  subjectId?: string;
  from?: number;
  to?: number;
  /** Entries with seq < before (for paging backwards). */
  before?: number;
  limit?: number;
}

/**
 * Why an impersonation ended: the admin stopped it, its time ran out, the admin
 * signed out, it was never completed in the browser ('abandoned'), or (rows
 * from before impersonation went through the provider) its sign-in failed.
 */
export type ImpersonationEndReason = 'stopped' | 'expired' | 'logout' | 'abandoned' | 'failed';

export interface Impersonation {
  id: string;
  adminId: string;
  targetId: string;
  reason: string;
  startedAt: number;
  expiresAt: number;
  endedAt: number | null;
  endReason: ImpersonationEndReason | null;
  grantId: string | null;
  /** The admin's own BFF session, restored on stop. */
  adminSessionId: string | null;
  /** The BFF session that carries the impersonation. */
  sessionId: string | null;
}

/** A mail waiting in (or delivered from) the outbox. `body` is opaque to the store (sealed by bff/mail). */
export interface OutboxMessage {
  id: string;
  kind: string;
  toAddress: string;
  toName: string;
  subject: string;
  body: string;
  createdAt: number;
  /** Delivery attempts started so far (a claim counts as one). */
  attempts: number;
  nextAttemptAt: number;
  sentAt: number | null;
  /** Set when the worker gave up on it. */
  failedAt: number | null;
  lastError: string | null;
}

export type NewOutboxMessage = Pick<OutboxMessage, 'id' | 'kind' | 'toAddress' | 'toName' | 'subject' | 'body' | 'createdAt'>;

export interface OutboxStats {
  /** Not yet sent and not given up on. */
  pending: number;
  /** Pending messages whose last attempt failed. */
  retrying: number;
  /** Given up on. */
  failed: number;
  lastFailureAt: number | null;
}

/** A logout token owed to a partner (OpenID Connect Back-Channel Logout), waiting in or delivered from the outbox. */
export interface PartnerLogout {
  id: string;
  clientId: string;
  sub: string;
  /** The session at the partner (the provider session's `sid` for that client), or null: every session of `sub`. */
  sid: string | null;
  createdAt: number;
  /** Delivery attempts started so far (a claim counts as one). */
  attempts: number;
  nextAttemptAt: number;
  deliveredAt: number | null;
  /** Set when the worker gave up on it. */
  failedAt: number | null;
  lastError: string | null;
}

export type NewPartnerLogout = Pick<PartnerLogout, 'id' | 'clientId' | 'sub' | 'sid' | 'createdAt'>;

/** A one-time link or code sent by mail; the store holds only hashes of its secrets. */
export interface OneTimeToken {
  /** SHA-256 (hex) of the link's secret. */
  id: string;
  /** 'password_reset' | 'email_verification' | 'magic_auth' | 'invitation' */
  purpose: string;
  userId: string | null;
  email: string;
  /** SHA-256 (hex) of the code, for tokens that also have a 6-digit code. */
  codeHash: string | null;
  /** Wrong codes tried against it. */
  attempts: number;
  createdAt: number;
  expiresAt: number;
  consumedAt: number | null;
  data: Record<string, unknown>;
}

export class StoreUnavailableError extends Error {
  constructor(cause: unknown) {
    super('the store is unavailable', { cause });
    this.name = 'StoreUnavailableError';
  }
}

/** Thrown when a unique constraint is violated (duplicate email, client id, …). */
export class ConflictError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConflictError';
  }
}

export interface Store {
  readonly kind: 'sqlite' | 'postgres';
  /** Applies pending migrations (idempotent, safe with several instances starting at once). */
  migrate(): Promise<void>;
  /** Cheap round trip used by /healthz. Throws when unreachable. */
  ping(): Promise<void>;
  /**
   * Proves the write path (a heartbeat row, and room to grow on SQLite) for
   * /healthz. Throws StoreUnavailableError when writes would fail.
   */
  checkWrites(): Promise<void>;
  close(): Promise<void>;
  /**
   * Runs `fn` in one transaction: everything it writes through `tx` commits
   * when it resolves and rolls back when it throws (the error is rethrown).
   * Inside, use only `tx`: on SQLite the outer store waits for the transaction
   * to end, so using it there never returns. A nested `tx.transaction()` joins
   * the outer one (no savepoints): its writes commit or roll back with it.
   */
  transaction<T>(fn: (tx: Store) => Promise<T>): Promise<T>;

  /**
   * Tells the other processes on this database that something cached changed
   * (PostgreSQL NOTIFY); a no-op where there are no other processes (SQLite).
   */
  events: {
    publish(channel: string, payload: string): Promise<void>;
    subscribe(channel: string, onMessage: (payload: string) => void): void;
  };

  users: {
    /** Throws ConflictError on a duplicate email. Email must already be normalised. */
    create(user: NewUser, now: number): Promise<User>;
    findById(id: string): Promise<User | null>;
    findByEmail(email: string): Promise<User | null>;
    /** The username must already be normalised (lower-cased). */
    findByUsername(username: string): Promise<User | null>;
    list(opts?: { query?: string; limit?: number }): Promise<User[]>;
    countAdmins(): Promise<number>;
    setDisabled(id: string, disabled: boolean, now: number): Promise<boolean>;
    /** Also clears mustChangePassword: whoever sets a password now knows it. */
    setPasswordHash(id: string, hash: string, now: number): Promise<boolean>;
    touchSignIn(id: string, now: number): Promise<void>;
    /** Throws ConflictError on a duplicate email or username. */
    update(
      id: string,
      patch: { name?: string; email?: string; emailVerified?: boolean; role?: Role; username?: string | null },
      now: number,
    ): Promise<User | null>;
    /** One keyset page, newest first; `next` starts the following page, null on the last. Never OFFSET. */
    page(q: UserPageQuery): Promise<{ users: User[]; next: UserCursor | null }>;
    /**
     * Applies the patch only while updated_at still equals `expectedUpdatedAt`, and never leaves zero
     * enabled admins (checked under a lock, so two admins demoting each other cannot both win).
     * updated_at always moves forward, even within one millisecond.
     */
    updateChecked(id: string, expectedUpdatedAt: number, patch: UserAdminPatch, now: number): Promise<CheckedUpdate>;
    /**
     * Deletes the account and what only it used (consents, upstream links, one-time tokens,
     * memberships); the audit log keeps its entries. Refused (last_admin) for the last enabled admin.
     */
    delete(id: string): Promise<{ ok: boolean; reason?: 'missing' | 'last_admin' }>;
  };

  clients: {
    /** Throws ConflictError when the id exists. */
    create(client: ClientRecord): Promise<void>;
    /** Inserts or replaces (used for the BFF's own first-party client at boot). */
    upsert(client: ClientRecord): Promise<void>;
    find(clientId: string): Promise<ClientRecord | null>;
    list(): Promise<ClientRecord[]>;
    setSecret(clientId: string, secret: string): Promise<boolean>;
    delete(clientId: string): Promise<boolean>;
    /**
     * A number that changes (in the writer's own transaction) whenever any client is created,
     * changed or deleted, by any process: what a cache of client records checks before using them.
     */
    version(): Promise<number>;
  };

  /** API resources for machine clients (RFC 8707). */
  resources: {
    /** Throws ConflictError when the identifier exists. */
    create(resource: ApiResource): Promise<void>;
    find(identifier: string): Promise<ApiResource | null>;
    list(): Promise<ApiResource[]>;
    delete(identifier: string): Promise<boolean>;
  };

  /** The gateway's remote API routes (issue 18). */
  apiRoutes: {
    /** Throws ConflictError when the path exists. */
    create(route: ApiRoute): Promise<void>;
    list(): Promise<ApiRoute[]>;
    delete(path: string): Promise<boolean>;
  };

  /** Storage for oidc-provider models, keyed by (model, id). */
  oidc: {
    upsert(
      model: string,
      id: string,
      payload: Record<string, unknown>,
      expiresAt: number | null,
      refs: { grantId?: string; userCode?: string; uid?: string },
    ): Promise<void>;
    find(model: string, id: string): Promise<OidcPayloadRecord | null>;
    findByUid(model: string, uid: string): Promise<OidcPayloadRecord | null>;
    findByUserCode(model: string, userCode: string): Promise<OidcPayloadRecord | null>;
    /**
     * Atomically marks the row consumed: `UPDATE … WHERE consumed_at IS NULL`.
     * Returns false when it was already consumed (or does not exist).
     */
    consume(model: string, id: string, now: number): Promise<boolean>;
    /**
     * Undoes consume() while consumed_at still holds `consumedAt`: for a refresh rotation that never
     * finished (its process died between consuming the old token and saving the new one).
     */
    unconsume(model: string, id: string, consumedAt: number): Promise<boolean>;
    destroy(model: string, id: string): Promise<void>;
    /** Deletes every row of every model that belongs to the grant. */
    revokeByGrantId(grantId: string): Promise<void>;
    /** Deletes expired rows; returns how many. */
    sweep(now: number): Promise<number>;
  };

  keys: {
    list(): Promise<SigningKey[]>;
    /** Inserts unless the kid exists; returns whether it inserted. */
    insert(key: SigningKey): Promise<boolean>;
    /** Replaces a key's stored JWK (re-encryption at rest); returns whether the kid exists. */
    setJwk(kid: string, jwk: Record<string, unknown>): Promise<boolean>;
  };

  /** Small named values (setup token hash, …). */
  settings: {
    get(key: string): Promise<string | null>;
    /** `expiresAt` (ms): when the value lapses and `sweep` may delete it; absent, it stays until changed. */
    set(key: string, value: string, expiresAt?: number): Promise<void>;
    /** Atomically deletes the key only if it still holds `expected`; true when it did. */
    takeIf(key: string, expected: string): Promise<boolean>;
    delete(key: string): Promise<void>;
    /** Deletes the values whose expiresAt has passed; returns how many. */
    sweep(now: number): Promise<number>;
  };

  bffSessions: {
    create(s: BffSession): Promise<void>;
    find(id: string): Promise<BffSession | null>;
    /** Sets last_seen_at (idle timeout bookkeeping). */
    touch(id: string, now: number): Promise<void>;
    /**
     * Takes the refresh lock when nobody holds it (or it lapsed) and the
     * version still matches. True when taken. With `attempt`, also requires the
     * row's refreshAttempt to still be `attempt.previous` and records `attempt.id`.
     */
    acquireRefreshLock(id: string, version: number, now: number, until: number, attempt?: { id: string; previous: string | null }): Promise<boolean>;
    /**
     * Stores refreshed tokens, bumps version, releases the lock and clears the
     * attempt. With `attempt`, only while that attempt still holds the row;
     * false when another one took over.
     */
    completeRefresh(id: string, tokens: string, accessExpiresAt: number, attempt?: string): Promise<boolean>;
    /** Releases the lock; the attempt stays recorded (its token may have been spent). */
    releaseRefreshLock(id: string): Promise<void>;
    setData(id: string, data: Record<string, unknown>): Promise<void>;
    revoke(id: string, now: number): Promise<boolean>;
    /** The user's sessions that are neither revoked nor past their absolute expiry, newest first. */
    listForUser(userId: string, now: number): Promise<BffSession[]>;
    /** Revokes every live session of the user, except `exceptId` when given; returns how many. */
    revokeAllForUser(userId: string, now: number, exceptId?: string): Promise<number>;
  };

  /** oidc-provider rows found by whom they belong to (revocation by account, BFF refresh recovery). */
  oidcOwners: {
    /** Ids of the account's grants, optionally for one client only. */
    grantIds(accountId: string, clientId?: string): Promise<string[]>;
    /** The account's provider sessions: row id (the cookie value) and uid (the `sid`). */
    sessions(accountId: string): Promise<Array<{ id: string; uid: string }>>;
    /** Every refresh token of the grant, consumed or not, keyed by id (the token value). */
    refreshTokens(grantId: string): Promise<Array<{ id: string; payload: Record<string, unknown>; consumedAt: number | null }>>;
  };

  consents: {
    find(userId: string, clientId: string): Promise<Consent | null>;
    listForUser(userId: string): Promise<Consent[]>;
    upsert(c: Consent): Promise<void>;
    delete(userId: string, clientId: string): Promise<Consent | null>;
  };

  audit: {
    /**
     * Appends an entry, chaining it to the previous one. The hash function is
     * given by the caller (audit/audit.ts) so that the store stays dumb; the
     * implementation serialises appends so the chain never forks.
     */
    append(entry: NewAuditEntry, hash: (prevHash: string, seq: number) => string): Promise<AuditEntry>;
    list(filter: AuditFilter): Promise<AuditEntry[]>;
    /** All entries in seq order, in pages, for verification and export. */
    iterate(fromSeq: number, limit: number): Promise<AuditEntry[]>;
    /**
     * Rewrites the chain links in one transaction, with appends held off: `plan`
     * sees every entry in seq order and returns the (seq, prevHash, hash, keyId)
     * to store. For re-keying plain entries once (audit/verify.ts); returns how many changed.
     */
    rechain(plan: (entries: AuditEntry[]) => Array<Pick<AuditEntry, 'seq' | 'prevHash' | 'hash' | 'keyId'>>): Promise<number>;
  };

  /** Organizations, memberships, invitations, and the organization each grant acts for. */
  orgs: OrgsStore;

  /** Upstream OpenID Connect connections and the identities linked through them. */
  federation: FederationStore;

  /** The admin dashboard's counts (audit entries per hour, totals). */
  activity: ActivityStore;
  /** Second factors: TOTP authenticators (sealed secrets) and recovery codes (hashes). */
  mfa: MfaStore;

  impersonations: {
    create(i: Omit<Impersonation, 'endedAt' | 'endReason'>): Promise<void>;
    find(id: string): Promise<Impersonation | null>;
    findByGrant(grantId: string): Promise<Impersonation | null>;
    setGrant(id: string, grantId: string): Promise<void>;
    setSession(id: string, sessionId: string): Promise<void>;
    /** Ends it unless it already ended; true when this call ended it. */
    end(id: string, now: number, reason: ImpersonationEndReason): Promise<boolean>;
    /** Open impersonations whose time is up. */
    listExpired(now: number): Promise<Impersonation[]>;
    listForTarget(userId: string): Promise<Impersonation[]>;
  };

  /** One-time links and codes (password reset, verification, sign-in codes, invitations). */
  oneTimeTokens: {
    create(t: Omit<OneTimeToken, 'attempts' | 'consumedAt'>): Promise<void>;
    find(id: string): Promise<OneTimeToken | null>;
    /**
     * Consumes it atomically (`UPDATE … WHERE consumed_at IS NULL AND expires_at > now`): the
     * token when this call consumed it, null when it was used, expired, of another purpose or unknown.
     */
    consume(id: string, purpose: string, now: number): Promise<OneTimeToken | null>;
    /** Consumes every live token of the user for the purpose (a newer one replaces them); returns how many. */
    consumeAllForUser(userId: string, purpose: string, now: number): Promise<number>;
    /** Counts a wrong code against a live token; returns the new count, or null when it is not live. */
    countAttempt(id: string, now: number): Promise<number | null>;
  };

  /** Passkeys (WebAuthn credentials) and their single-use challenges (bff/mfa). */
  passkeys: PasskeysStore;

  /** The mail outbox (bff/mail): durable before delivery, each message claimed by one worker at a time. */
  mailOutbox: {
    enqueue(m: NewOutboxMessage): Promise<void>;
    /**
     * Atomically leases up to `limit` due messages to `owner` until now + leaseMs and counts
     * the attempt; a message whose lease lapsed (its worker died) is due again.
     */
    claim(owner: string, now: number, leaseMs: number, limit: number): Promise<OutboxMessage[]>;
    /** Marks it sent and clears its body, only while `owner` still holds the lease. */
    markSent(id: string, owner: string, now: number): Promise<boolean>;
    /** Records a failed attempt: due again at `retryAt`, or given up when retryAt is null. */
    markFailed(id: string, owner: string, error: string, retryAt: number | null, now: number): Promise<boolean>;
    stats(): Promise<OutboxStats>;
  };

  /** Logout tokens owed to partners (bff/oauth/backchannel.ts delivers them), each claimed by one worker at a time. */
  logoutOutbox: {
    /** Queues it unless a row with its id exists; true when this call queued it. */
    enqueue(l: NewPartnerLogout): Promise<boolean>;
    /** Like mailOutbox.claim: leases up to `limit` due rows to `owner` and counts the attempt. */
    claim(owner: string, now: number, leaseMs: number, limit: number): Promise<PartnerLogout[]>;
    markDelivered(id: string, owner: string, now: number): Promise<boolean>;
    /** Records a failed attempt: due again at `retryAt`, or given up when retryAt is null. */
    markFailed(id: string, owner: string, error: string, retryAt: number | null, now: number): Promise<boolean>;
    find(id: string): Promise<PartnerLogout | null>;
  };

  throttle: {
    /**
     * Increments the counter for `key` in a fixed window; returns the count
     * after incrementing and when the window resets.
     */
    hit(key: string, now: number, windowMs: number): Promise<{ count: number; resetAt: number }>;
    peek(key: string, now: number): Promise<{ count: number; resetAt: number } | null>;
    reset(key: string): Promise<void>;
  };
}
