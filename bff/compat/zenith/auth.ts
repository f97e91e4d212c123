/**
 * Zenith authentication, translated onto the core: AuthToken is an
 * introspection, AuthCode a code redemption at this instance's own token
 * endpoint. Nothing here mints a token or checks a password.
 */
import * as oidc from 'openid-client';
import type { Deps } from '../../deps.ts';
import { connectionByProvider } from '../../federation/public.ts';
import { upstreamConfig } from '../../federation/upstream.ts';
import { introspectAccessToken, tokenRequest } from '../../oauth/core.ts';
import type { AuthCodeData } from './schema.ts';

/** Who a connection is, and until when. */
export interface Identity {
  /** The access token (JWT) the identity rests on; re-checked while the socket lives. */
  token: string;
  userId: string;
  displayName: string;
  clientId: string;
  grantId: string;
  scope: string[];
  /** Expiry, epoch seconds. */
  exp: number;
  /** Set when the token is an upstream provider's (Provider = a connection's name), not the portal's. */
  upstream?: string;
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

/**
 * Redeems an authorization code issued to `ClientID`. The code is read
 * first (without consuming it) for its redirect URI; a code of another
 * client or one bound to a PKCE challenge (whose verifier Zenith cannot
 * carry) is refused without reaching the token endpoint, so it stays
 * usable by its rightful owner. A replayed code does reach it, so the
 * provider's reuse rule (revoke what the code issued) applies here too.
 */
export async function redeemAuthCode(deps: Deps, data: AuthCodeData): Promise<Identity | null> {
  const code = await deps.provider.AuthorizationCode.find(data.AuthGrant).catch(() => undefined);
  if (!code || code.clientId !== data.ClientID || code.codeChallenge || !code.redirectUri) return null;
  const client = await deps.store.clients.find(data.ClientID);
  if (!client || client.firstParty) return null;
  const params = { grant_type: 'authorization_code', code: data.AuthGrant, redirect_uri: code.redirectUri };
  let res;
  if (client.secret === null) {
    res = await tokenRequest(deps, { ...params, client_id: data.ClientID });
  } else {
    if (!data.ClientSecret) return null;
    res = await tokenRequest(deps, params, { clientId: data.ClientID, clientSecret: data.ClientSecret });
  }
  const { access_token: accessToken, refresh_token: refreshToken } = res.body;
  if (res.status !== 200 || typeof accessToken !== 'string') return null;
  // Zenith has no field to hand a refresh token over: nobody could ever hold this one.
  if (typeof refreshToken === 'string') {
    const rt = await deps.provider.RefreshToken.find(refreshToken).catch(() => undefined);
    await rt?.destroy();
  }
  return identityFromToken(deps, accessToken);
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
  return {
    async blocked() {
      const now = deps.now();
      const s = await deps.store.throttle.peek(key, now);
      return s && s.count >= loginPerAccount && s.resetAt > now ? Math.ceil((s.resetAt - now) / 1000) : null;
    },
    async failed() {
      await deps.store.throttle.hit(key, deps.now(), window * 1000);
    },
    async succeeded() {
      await deps.store.throttle.reset(key);
    },
  };
}
