/**
 * Access tokens for the APIs behind the gateway: obtained on first use by token
 * exchange (RFC 8693; decision 0020) from the session's own access token,
 * cached sealed in the server-side session, and renewed single-flight across
 * tabs and instances through the session's own refresh lock. Never sent to the
 * browser.
 */
import * as oidc from 'openid-client';
import type { SessionDeps } from '../session/guard.ts';
import type { SessionTokens } from '../session/sessions.ts';
import type { ApiRoute, BffSession } from '../store/store.ts';
import { AppError } from '../http/errors.ts';
import { ACCESS_TOKEN_TYPE, TOKEN_EXCHANGE_GRANT } from '../oauth/token-exchange.ts';

const sessionEnded = (cause?: unknown) => new AppError('session_expired', 'Your session has expired. Sign in again.', { status: 401, cause });
const providerDown = (cause: unknown) =>
  new AppError('provider_unavailable', 'The portal could not get a token for this API right now. Try again in a moment.', {
    status: 503,
    expose: true,
    retryAfter: 5,
    cause,
  });

// Worked out once per route object (they live as long as the route table's cached list).
const keys = new WeakMap<ApiRoute, string>();
function keyOf(route: ApiRoute): string {
  let key = keys.get(route);
  if (key === undefined) {
    key = `${route.resource} ${[...route.scopes].sort().join(' ')}`;
    keys.set(route, key);
  }
  return key;
}

/**
 * The access token the route's API gets for this session. `rejected`: a token the API just
 * refused (401), which must not be handed out again.
 */
export async function apiToken(deps: SessionDeps, session: BffSession, route: ApiRoute, rejected?: string): Promise<string> {
  const key = keyOf(route);
  const margin = deps.config.bffRefreshMargin * 1000;
  const usable = (t: SessionTokens) => {
    const e = t.resources?.[key];
    return Boolean(e && e.expires_at - margin > deps.now() && e.access_token !== rejected);
  };
  // The common case: a cached token in the session this request already loaded.
  const loaded = await unsealedTokens(deps, session);
  if (usable(loaded)) return loaded.resources![key]!.access_token;
  const tokens = await deps.sessions.updateTokens(session.id, rejected ? `${key} ${rejected.slice(-16)}` : key, usable, async (t) => {
    let r: oidc.TokenEndpointResponse;
    try {
      r = await oidc.genericGrantRequest(deps.oidcConfig(), TOKEN_EXCHANGE_GRANT, {
        subject_token: t.access_token,
        subject_token_type: ACCESS_TOKEN_TYPE,
        resource: route.resource!,
        ...(route.scopes.length ? { scope: route.scopes.join(' ') } : {}),
      });
    } catch (e) {
      // The session's token or grant is gone (logout elsewhere, revoked): so is the session.
      if (e instanceof oidc.ResponseBodyError && e.error === 'invalid_grant') throw sessionEnded(e);
      if (e instanceof oidc.ResponseBodyError && e.status < 500) {
        throw new AppError('api_token_refused', 'The portal may not get a token for this API (its resource or scopes changed). Ask an administrator.', {
          status: 502,
          expose: true,
          cause: e,
        });
      }
      throw providerDown(e);
    }
    const entry = {
      access_token: r.access_token,
      expires_at: deps.now() + (r.expires_in ?? deps.config.ttl.accessToken) * 1000,
      ...(r.scope ? { scope: r.scope } : {}),
    };
    return { ...t, resources: { ...pruned(t.resources, deps.now()), [key]: entry } };
  });
  const entry = tokens.resources?.[key];
  if (!entry) throw sessionEnded();
  return entry.access_token;
}

// Unsealing (iron: key derivation, decryption, MAC) on every proxied call would cost more than the
// call itself: this process keeps what it unsealed, keyed by the sealed value, so any refresh or
// new API token (a new sealed value) misses it.
const UNSEALED_MAX = 5_000;
const unsealed = new Map<string, SessionTokens>();

async function unsealedTokens(deps: SessionDeps, session: BffSession): Promise<SessionTokens> {
  const hit = unsealed.get(session.tokens);
  if (hit) return hit;
  const t = await deps.sessions.tokens(session);
  if (unsealed.size >= UNSEALED_MAX) unsealed.delete(unsealed.keys().next().value!);
  unsealed.set(session.tokens, t);
  return t;
}

/** Expired entries are dropped as new ones are stored, so the sealed session does not grow without bound. */
function pruned(resources: SessionTokens['resources'], now: number): NonNullable<SessionTokens['resources']> {
  return Object.fromEntries(Object.entries(resources ?? {}).filter(([, v]) => v.expires_at > now));
}
