/**
 * Server-side BFF sessions. The cookie holds only a sealed session id; the
 * tokens live in the store, sealed again with the same secrets. That makes
 * logout a real revocation (a replayed cookie finds a revoked row), keeps the
 * cookie tiny, and lets every tab and instance see the one refreshed token.
 */
import { randomBytes } from 'node:crypto';
import { sealData, unsealData } from 'iron-session';
import * as oidc from 'openid-client';
import type { Config } from '../config/config.ts';
import type { BffSession, Store, User } from '../store/store.ts';
import type { Logger } from '../http/logger.ts';
import { AppError, unauthorized } from '../http/errors.ts';
import { noneUnlessOutage } from '../http/error-handler.ts';

export interface SessionTokens {
  access_token: string;
  refresh_token?: string;
  id_token?: string;
  /** The provider session (`sid` claim), ended at logout. */
  sid?: string;
  scope?: string;
  /** Access tokens for API resources (the gateway's, bff/gateway/), by the key their user chose. */
  resources?: Record<string, { access_token: string; expires_at: number; scope?: string }>;
}

export interface SessionService {
  create(userId: string, tokens: SessionTokens, accessExpiresAt: number, data?: Record<string, unknown>, opts?: { expiresAt?: number }): Promise<BffSession>;
  /** The live session for an id, refreshed when its access token nears expiry; null when unknown, revoked or expired. */
  load(id: string): Promise<{ session: BffSession; user: User } | null>;
  tokens(s: BffSession): Promise<SessionTokens>;
  revoke(id: string): Promise<void>;
  /** Ends every live session of the user except `exceptId`, here and on every instance; returns how many. */
  revokeAllForUser(userId: string, exceptId?: string): Promise<number>;
  /** Drops this process's cached copy (after changing the row some other way). */
  forget(id: string): void;
  /**
   * The session's tokens once `fresh` holds for them: when it does not, `update` runs under the
   * session's refresh lock (one at a time across tabs and instances, like the session's own
   * refresh) and what it returns is sealed into the session. `key` names the update, so requests
   * of this process wanting the same one share it.
   */
  updateTokens(id: string, key: string, fresh: (t: SessionTokens) => boolean, update: (t: SessionTokens) => Promise<SessionTokens>): Promise<SessionTokens>;
}

/** The store channel on which session changes are announced: a session id, or `user:<id>`. */
export const SESSION_CHANNEL = 'portal_sessions';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** How long one refresh may hold the lock: longer than the token request may take (oidc-client.ts). */
const REFRESH_LOCK_MS = 15_000;
/** The token request's own time limit (oidc-client.ts, 10 s): after it, the request that consumed a token is over. */
const TOKEN_REQUEST_MS = 10_000;

const unavailable = (message: string, cause?: unknown) => new AppError('provider_unavailable', message, { status: 503, expose: true, retryAfter: 5, cause });

/** The provider's definitive "this refresh token will never work" (RFC 6749 invalid_grant). */
function isInvalidGrant(e: unknown): boolean {
  return e instanceof oidc.ResponseBodyError && e.error === 'invalid_grant';
}

const lostToken = () => new AppError('session_expired', 'Your session has expired. Sign in again.', { status: 401 });

/** Test seams: let a test stop a refresh at a chosen point, as a crash would. */
export interface SessionTestHooks {
  /** Runs after the token endpoint answered and before the rotated tokens are stored. */
  afterTokenResponse?: (sessionId: string) => Promise<void>;
}

export function createSessionService(deps: {
  config: Config;
  store: Store;
  logger: Logger;
  now: () => number;
  oidcConfig: () => oidc.Configuration;
  testHooks?: SessionTestHooks;
}): SessionService {
  const { config, store, now } = deps;
  const password = Object.fromEntries(Object.entries(config.cookieSecrets).map(([k, v]) => [k, v]));
  const inflight = new Map<string, Promise<BffSession | null>>();
  // Loaded sessions, kept for SESSION_CACHE_MS so a busy SPA does not read the same two rows on
  // every request. This process drops an entry the moment it revokes, refreshes or changes it;
  // a change made by another process is seen within the TTL (see README, decision 0004).
  const cache = new Map<string, { value: { session: BffSession; user: User }; until: number }>();
  const CACHE_MAX = 10_000;
  const forget = (id: string) => cache.delete(id);
  // Other instances drop their copies when told (PostgreSQL NOTIFY), so a logout or revocation
  // handled elsewhere holds here at once; the TTL is only the fallback.
  store.events.subscribe(SESSION_CHANNEL, (payload) => {
    if (payload.startsWith('user:')) {
      const userId = payload.slice(5);
      for (const [id, entry] of cache) if (entry.value.session.userId === userId) cache.delete(id);
    } else {
      cache.delete(payload);
    }
  });
  // The idle timer is written at most this often: a tenth of the idle lifetime, at most a minute,
  // so an active session never idles out between two writes.
  const touchEvery = Math.min(60_000, (config.ttl.sessionIdle * 1000) / 10);
  const announce = (payload: string) =>
    store.events.publish(SESSION_CHANNEL, payload).catch((err) => deps.logger.warn({ err }, 'telling other instances about a session change failed'));
  const changed = async (id: string) => {
    forget(id);
    await announce(id);
  };

  const seal = (t: SessionTokens) => sealData(t, { password, ttl: 0 });
  const unseal = (s: string) => unsealData<SessionTokens>(s, { password, ttl: 0 });

  function expired(s: BffSession, t: number): boolean {
    return s.revokedAt !== null || s.expiresAt <= t || s.lastSeenAt + config.ttl.sessionIdle * 1000 <= t;
  }

  async function refresh(s: BffSession): Promise<BffSession | null> {
    const t = now();
    const attempt = randomBytes(12).toString('base64url');
    if (await store.bffSessions.acquireRefreshLock(s.id, s.version, t, t + REFRESH_LOCK_MS, { id: attempt, previous: s.refreshAttempt })) {
      return spend(s, attempt);
    }
    // Another tab or instance holds the lock: wait for its result instead of spending the token twice.
    for (let i = 0; i < 100; i++) {
      const cur = await store.bffSessions.find(s.id);
      if (!cur || cur.revokedAt !== null) return null;
      if (cur.version !== s.version) return cur;
      if (cur.refreshLockUntil === null || cur.refreshLockUntil < now()) return refresh(cur);
      // Its access token still works: answer now rather than wait (the holder may have died).
      if (cur.accessExpiresAt > now()) return cur;
      await sleep(50 + i * 5);
    }
    throw unavailable('Renewing your session took too long. Try again in a moment.');
  }

  /** Spends the session's refresh token under the lock taken by `attempt` and stores what it was rotated into. */
  async function spend(s: BffSession, attempt: string): Promise<BffSession | null> {
    try {
      const tokens = await unseal(s.tokens);
      if (!tokens.refresh_token) throw unauthorized('session_expired', 'Your session has expired. Sign in again.');
      // An earlier attempt never stored its result (it died after the provider rotated the token):
      // carry on from the token it was rotated into instead of replaying a spent one.
      const start = s.refreshAttempt === null ? tokens.refresh_token : await unspent(tokens.refresh_token);
      let r: oidc.TokenEndpointResponse;
      try {
        r = await oidc.refreshTokenGrant(deps.oidcConfig(), start);
      } catch (e) {
        // Lost a race with an attempt whose lock had lapsed (a slow provider): follow its rotation once.
        const next = isInvalidGrant(e) && s.refreshAttempt !== null ? ((await unspent(start).catch(noneUnlessOutage)) ?? start) : start;
        if (next === start) throw e;
        r = await oidc.refreshTokenGrant(deps.oidcConfig(), next);
      }
      await deps.testHooks?.afterTokenResponse?.(s.id);
      const next: SessionTokens = {
        ...tokens,
        access_token: r.access_token,
        refresh_token: r.refresh_token ?? tokens.refresh_token,
        id_token: r.id_token ?? tokens.id_token,
        scope: r.scope ?? tokens.scope,
      };
      // Written only while this attempt still holds the row: a later one may have taken over.
      await store.bffSessions.completeRefresh(s.id, await seal(next), now() + (r.expires_in ?? config.ttl.accessToken) * 1000, attempt);
      await changed(s.id);
      return store.bffSessions.find(s.id);
    } catch (e) {
      if (isInvalidGrant(e) || e instanceof AppError) {
        // The grant is gone (logout elsewhere, revoked, disabled account): the session ends.
        deps.logger.info({ session: s.id.slice(0, 8), reason: (e as { error?: string }).error ?? (e as AppError).code }, 'bff refresh refused; session ended');
        await store.bffSessions.revoke(s.id, now());
        await changed(s.id);
        return null;
      }
      // Anything else (429, 5xx, network, timeout) says nothing about the grant: keep the session.
      await store.bffSessions.releaseRefreshLock(s.id).catch(() => undefined);
      deps.logger.warn({ session: s.id.slice(0, 8), err: e }, 'bff refresh failed; session kept');
      if (s.accessExpiresAt > now()) return s;
      throw unavailable('The portal could not renew your session right now. Try again in a moment.', e);
    }
  }

  /**
   * The refresh token to spend in place of `value`: itself while unspent, else the one it was
   * rotated into (same grant and chain: same iiat, one rotation more), followed to its end.
   * Throws session_expired when the chain is gone or ambiguous: then the session cannot go on.
   */
  async function unspent(value: string): Promise<string> {
    const first = await store.oidc.find('RefreshToken', value);
    if (!first) throw lostToken();
    if (first.consumedAt === null) return value;
    if (typeof first.payload.grantId !== 'string') throw lostToken();
    const chain = await store.oidcOwners.refreshTokens(first.payload.grantId);
    let cur: { id: string; payload: Record<string, unknown>; consumedAt: number | null } = { id: value, ...first };
    for (let hops = 0; hops < 10; hops++) {
      const rotations = typeof cur.payload.rotations === 'number' ? cur.payload.rotations : 0;
      const iiat = cur.payload.iiat;
      const after = chain.filter((c) => c.payload.iiat === iiat && c.payload.rotations === rotations + 1);
      if (after.length === 0 && cur.consumedAt !== null) return unfinished(cur.id, cur.consumedAt);
      if (after.length !== 1) throw lostToken();
      const [nextRow] = after as [(typeof chain)[number]];
      if (nextRow.consumedAt === null) return nextRow.id;
      cur = nextRow;
    }
    throw lostToken();
  }

  /**
   * A refresh token consumed but never replaced: the provider consumes the old token and saves its
   * successor in two writes, and the process that spent it died between them (kill -9), so no one
   * ever received a successor. Once that token request cannot still be running, the consume is
   * rolled back and the chain goes on from it; the grant's reuse detection is untouched.
   */
  async function unfinished(id: string, consumedAt: number): Promise<string> {
    // Not an AppError: "try again later" keeps the session (see spend), it does not end it.
    if (now() - consumedAt < TOKEN_REQUEST_MS) throw new Error('an earlier refresh may still be finishing');
    if (await store.oidc.unconsume('RefreshToken', id, consumedAt)) return id;
    throw new Error('the unfinished refresh token changed meanwhile');
  }

  async function updateTokens(id: string, fresh: (t: SessionTokens) => boolean, update: (t: SessionTokens) => Promise<SessionTokens>): Promise<SessionTokens> {
    for (let i = 0; i < 100; i++) {
      let s = await store.bffSessions.find(id);
      if (!s || expired(s, now())) throw lostToken();
      // A refresh died after spending the token: let the session's own refresh finish its chain first.
      if (s.refreshAttempt !== null && (s.refreshLockUntil === null || s.refreshLockUntil < now())) {
        s = await singleFlight(s);
        if (!s) throw lostToken();
        continue;
      }
      const tokens = await unseal(s.tokens);
      if (fresh(tokens)) return tokens;
      const t = now();
      const attempt = randomBytes(12).toString('base64url');
      if (await store.bffSessions.acquireRefreshLock(s.id, s.version, t, t + REFRESH_LOCK_MS, { id: attempt, previous: null })) {
        let next = tokens;
        try {
          next = await update(tokens);
        } finally {
          // Stored (or, when update failed, the same tokens again) and the lock released either way.
          await store.bffSessions.completeRefresh(s.id, next === tokens ? s.tokens : await seal(next), s.accessExpiresAt, attempt);
          await changed(s.id);
        }
        return next;
      }
      // Another tab or instance holds the lock: wait for its result instead of asking twice.
      await sleep(50 + i * 5);
    }
    throw unavailable('Getting a token for this API took too long. Try again in a moment.');
  }

  const updates = new Map<string, Promise<SessionTokens>>();

  function singleFlight(s: BffSession): Promise<BffSession | null> {
    let p = inflight.get(s.id);
    if (!p) {
      p = refresh(s).finally(() => inflight.delete(s.id));
      inflight.set(s.id, p);
    }
    return p;
  }

  return {
    async create(userId, tokens, accessExpiresAt, data = {}, opts = {}) {
      const t = now();
      const s: BffSession = {
        id: randomBytes(32).toString('base64url'),
        userId,
        tokens: await seal(tokens),
        accessExpiresAt,
        version: 1,
        createdAt: t,
        lastSeenAt: t,
        expiresAt: opts.expiresAt ?? t + config.ttl.session * 1000,
        revokedAt: null,
        refreshLockUntil: null,
        refreshAttempt: null,
        data,
      };
      await store.bffSessions.create(s);
      return s;
    },

    async load(id) {
      const t = now();
      const hit = cache.get(id);
      if (hit && hit.until > Date.now()) {
        const { session } = hit.value;
        if (!expired(session, t) && session.accessExpiresAt - t > config.bffRefreshMargin * 1000 && t - session.lastSeenAt <= touchEvery) return hit.value;
        forget(id);
      }
      let s = await store.bffSessions.find(id);
      if (!s || expired(s, t)) return null;
      if (s.accessExpiresAt - t <= config.bffRefreshMargin * 1000) {
        s = await singleFlight(s);
        if (!s || expired(s, now())) return null;
      }
      const user = await store.users.findById(s.userId);
      if (!user || user.disabled) {
        await store.bffSessions.revoke(s.id, now());
        await changed(s.id);
        return null;
      }
      // Idle-timeout bookkeeping without a write on every request.
      if (t - s.lastSeenAt > touchEvery) {
        await store.bffSessions.touch(s.id, t);
        s = { ...s, lastSeenAt: t };
      }
      const value = { session: s, user };
      if (config.sessionCacheMs > 0) {
        if (cache.size >= CACHE_MAX) cache.delete(cache.keys().next().value!);
        cache.set(id, { value, until: Date.now() + config.sessionCacheMs });
      }
      return value;
    },

    tokens: (s) => unseal(s.tokens),

    async revoke(id) {
      await store.bffSessions.revoke(id, now());
      await changed(id);
    },

    async revokeAllForUser(userId, exceptId) {
      const n = await store.bffSessions.revokeAllForUser(userId, now(), exceptId);
      for (const [id, entry] of cache) if (entry.value.session.userId === userId) cache.delete(id);
      await announce(`user:${userId}`);
      return n;
    },

    forget,

    updateTokens(id, key, fresh, update) {
      const k = `${id}\n${key}`;
      let p = updates.get(k);
      if (!p) {
        p = updateTokens(id, fresh, update).finally(() => updates.delete(k));
        updates.set(k, p);
      }
      return p;
    },
  };
}
