/**
 * Zenith authentication, translated onto the core: AuthToken is an
 * introspection (or a refresh, see renewal.ts), AuthCode a code redemption at
 * this instance's own token endpoint (auth-code.ts). Nothing here mints a
 * token or checks a password.
 */
import * as oidc from 'openid-client';
import type { Deps } from '../../deps.ts';
import { connectionByProvider } from '../../federation/public.ts';
import { upstreamConfig } from '../../federation/upstream.ts';
import { introspectAccessToken } from '../../oauth/core.ts';

/** Who a connection is, and until when. */
export interface Identity {
  /** The access token (JWT) the identity rests on; re-checked while the socket lives. */
  token: string;
  userId: string;
  displayName: string;
  clientId: string;
  grantId: string;
  /** The scopes the client is told it has. The token carries exactly these, unless it is withheld. */
  scope: string[];
  /** Expiry, epoch seconds. */
  exp: number;
  /** Set when the token is an upstream provider's (Provider = a connection's name), not the portal's. */
  upstream?: string;
  /**
   * The token carries more than the client asked for and could not be narrowed (nothing asked
   * was granted), so it stays server side: replies carry no AccessToken.
   */
  tokenWithheld?: boolean;
  /** What this connection keeps server side to renew itself with a refresh token. Never sent. */
  renewal?: Renewal;
}

/**
 * A refresh token a connection holds (from AuthCode's exchange, or the successor of one the
 * client sent in AuthToken), with the client credentials the token endpoint needs for it.
 * Zenith has no field to carry a refresh token, so it never leaves the server.
 */
export interface Renewal {
  clientId: string;
  /** The secret the client proved in AuthCode, or null for a public client. */
  clientSecret: string | null;
  refreshToken: string;
  /** The refresh token the client itself sent in AuthToken (spent by rotation), if any. */
  presented?: string;
}

/** How long an upstream token is trusted before it is checked at the provider again, seconds. */
export const UPSTREAM_RECHECK_S = 300;

/**
 * `AuthToken` with `Provider` naming a federation connection: the token is
 * that provider's access token. It is checked at the provider's userinfo
 * endpoint, and the subject must be linked to a live portal account.
 * Re-checked every UPSTREAM_RECHECK_S while the socket lives.
 */
export async function identityFromUpstream(deps: Deps, provider: string, token: string): Promise<Identity | null> {
  const connection = await connectionByProvider(deps.store, provider);
  if (!connection) return null;
  let sub: string;
  try {
    const cfg = await upstreamConfig(deps, connection);
    sub = (await oidc.fetchUserInfo(cfg, token, oidc.skipSubjectCheck)).sub;
  } catch {
    return null;
  }
  const link = await deps.store.federation.findIdentity(connection.id, sub);
  const user = link ? await deps.store.users.findById(link.userId) : null;
  if (!user || user.disabled) return null;
  return {
    token,
    userId: user.id,
    displayName: user.name,
    clientId: `upstream:${connection.id}`,
    grantId: '',
    scope: connection.scopes,
    exp: Math.floor(Date.now() / 1000) + UPSTREAM_RECHECK_S,
    upstream: provider,
  };
}

/** A live token of a live account, or null. */
export async function identityFromToken(deps: Deps, token: string): Promise<Identity | null> {
  const at = await introspectAccessToken(deps, token);
  if (!at) return null;
  const user = await deps.store.users.findById(at.sub);
  if (!user || user.disabled) return null;
  return {
    token,
    userId: user.id,
    displayName: user.name,
    clientId: at.clientId,
    grantId: at.grantId,
    scope: at.scope.split(' ').filter(Boolean),
    exp: at.exp,
  };
}

/** Failed AuthCode/AuthToken attempts count per remote address, like browser sign-ins count per account. */
export function throttleKey(ip: string): string {
  return `zenith:${ip}`;
}

export interface Throttle {
  /** Seconds to wait when the address is locked out, else null. */
  blocked(): Promise<number | null>;
  failed(): Promise<void>;
  succeeded(): Promise<void>;
}

export function throttleFor(deps: Deps, ip: string): Throttle {
  const key = throttleKey(ip);
  const { loginPerAccount, window } = deps.config.rateLimit;
  // Whether blocked() saw failures on record: a success with none to clear writes nothing, which
  // in a reconnect storm is one write less for each of thousands of upgrades.
  let recorded = true;
  return {
    async blocked() {
      const now = deps.now();
      const s = await deps.store.throttle.peek(key, now);
      recorded = s !== null;
      return s && s.count >= loginPerAccount && s.resetAt > now ? Math.ceil((s.resetAt - now) / 1000) : null;
    },
    async failed() {
      recorded = true;
      await deps.store.throttle.hit(key, deps.now(), window * 1000);
    },
    async succeeded() {
      if (recorded) await deps.store.throttle.reset(key);
    },
  };
}
