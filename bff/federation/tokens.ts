/**
 * Upstream tokens: kept encrypted in the store, never sent to the browser,
 * handed only to the compatibility APIs that require them (WorkOS
 * `oauth_tokens`), and refreshed here when they expire, one refresh at a time
 * per identity: a conditional UPDATE on the row's version picks the one
 * refresher, in this process or any other instance; the rest wait for it.
 */
import * as oidc from 'openid-client';
import type { Deps } from '../deps.ts';
import type { Connection, FederatedIdentity } from '../store/federation.ts';
import { tokenSealer } from './crypto.ts';
import { connectionForAcr } from './connections.ts';
import { upstreamConfig } from './upstream.ts';

/** What `upstreamTokensFor` answers: the WorkOS `oauth_tokens` fields, plus the connection's name. */
export interface UpstreamTokens {
  provider: string;
  access_token: string;
  /** Empty when the upstream issued none. */
  refresh_token: string;
  /** Seconds since the epoch; 0 when the upstream did not say. */
  expires_at: number;
  scopes: string[];
}

/** The sealed form in the store. */
export interface StoredTokens {
  access_token: string;
  refresh_token?: string;
  token_type?: string;
  scope?: string;
  /** ms since the epoch, when known. */
  expires_at?: number;
}

const LOCK_MS = 15_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const aad = (connectionId: string, subject: string) => `${connectionId}\n${subject}`;

export function toStoredTokens(r: oidc.TokenEndpointResponse, now: number, previous?: StoredTokens): StoredTokens {
  return {
    access_token: r.access_token,
    refresh_token: r.refresh_token ?? previous?.refresh_token,
    token_type: r.token_type,
    scope: r.scope ?? previous?.scope,
    expires_at: typeof r.expires_in === 'number' ? now + r.expires_in * 1000 : undefined,
  };
}

type SealDeps = Pick<Deps, 'config'>;

export function sealTokens(deps: SealDeps, connectionId: string, subject: string, t: StoredTokens): string {
  return tokenSealer(deps.config.cookieSecrets).seal(JSON.stringify(t), aad(connectionId, subject));
}

function openTokens(deps: SealDeps, i: FederatedIdentity): StoredTokens | null {
  if (!i.tokens) return null;
  const plain = tokenSealer(deps.config.cookieSecrets).open(i.tokens, aad(i.connectionId, i.subject));
  return plain === null ? null : (JSON.parse(plain) as StoredTokens);
}

function present(connection: Connection, t: StoredTokens): UpstreamTokens {
  return {
    provider: connection.name,
    access_token: t.access_token,
    refresh_token: t.refresh_token ?? '',
    expires_at: t.expires_at ? Math.floor(t.expires_at / 1000) : 0,
    scopes: (t.scope ?? connection.scopes.join(' ')).split(' ').filter(Boolean),
  };
}

// Callers in this process share one refresh per identity instead of polling the store
// (per store, so two instances under test still race through the store's lock).
const inflights = new WeakMap<object, Map<string, Promise<UpstreamTokens | null>>>();

/**
 * The upstream tokens of the identity a sign-in used (`acr` from the token or
 * grant: `sso:<connectionId>` or `social:<Name>`), refreshed first when they
 * are expired or about to be. Null for a password sign-in, an unlinked user,
 * tokens that cannot be refreshed (the upstream grant is gone) or an upstream
 * that cannot be reached right now.
 */
export async function upstreamTokensFor(deps: Deps, userId: string, acr: string | null | undefined): Promise<UpstreamTokens | null> {
  const connection = await connectionForAcr(deps.store, acr);
  if (!connection) return null;
  const identity = await deps.store.federation.findLinkedIdentity(userId, connection.id);
  if (!identity) return null;
  return fresh(deps, connection, identity);
}

async function fresh(deps: Deps, connection: Connection, identity: FederatedIdentity): Promise<UpstreamTokens | null> {
  const tokens = openTokens(deps, identity);
  if (!tokens) return null;
  const margin = deps.config.bffRefreshMargin * 1000;
  if (tokens.expires_at === undefined || tokens.expires_at - margin > deps.now()) return present(connection, tokens);
  if (!tokens.refresh_token) return null;
  const key = aad(identity.connectionId, identity.subject);
  let inflight = inflights.get(deps.store);
  if (!inflight) inflights.set(deps.store, (inflight = new Map()));
  let p = inflight.get(key);
  if (!p) {
    p = refresh(deps, connection, identity, tokens).finally(() => inflight.delete(key));
    inflight.set(key, p);
  }
  return p;
}

async function refresh(deps: Deps, connection: Connection, identity: FederatedIdentity, tokens: StoredTokens): Promise<UpstreamTokens | null> {
  const { store, logger } = deps;
  const { connectionId, subject } = identity;
  const t = deps.now();
  if (await store.federation.acquireRefreshLock(connectionId, subject, identity.version, t, t + LOCK_MS)) {
    try {
      const cfg = await upstreamConfig(deps, connection);
      const r = await oidc.refreshTokenGrant(cfg, tokens.refresh_token!);
      const next = toStoredTokens(r, deps.now(), tokens);
      await store.federation.completeRefresh(connectionId, subject, sealTokens(deps, connectionId, subject, next), next.expires_at ?? null);
      return present(connection, next);
    } catch (e) {
      if (e instanceof oidc.ResponseBodyError) {
        // The upstream refused the refresh token (revoked, expired): these tokens are dead.
        logger.info({ connection: connectionId, error: e.error }, 'upstream refresh refused; tokens dropped');
        await store.federation.completeRefresh(connectionId, subject, null, null);
        return null;
      }
      logger.warn({ connection: connectionId, err: { name: (e as Error)?.name, code: (e as { code?: string })?.code } }, 'upstream refresh failed');
      await store.federation.releaseRefreshLock(connectionId, subject);
      return null;
    }
  }
  // Another instance holds the lock: wait for its result instead of spending the refresh token twice.
  for (let i = 0; i < LOCK_MS / 100; i++) {
    await sleep(100);
    const now = await store.federation.findIdentity(connectionId, subject);
    if (!now || now.linkedAt === null) return null;
    if (now.version !== identity.version) {
      const t2 = openTokens(deps, now);
      return t2 ? present(connection, t2) : null;
    }
    if (now.refreshLockUntil === null || now.refreshLockUntil < deps.now()) return refresh(deps, connection, now, tokens);
  }
  return null;
}
