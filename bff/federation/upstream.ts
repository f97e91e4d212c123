/**
 * The BFF as a relying party of each upstream OpenID Provider, with
 * openid-client: discovery (cached per connection), the authorization URL
 * (PKCE S256, state, nonce), the code exchange with every ID token check
 * (signature, iss, aud, nonce, exp), userinfo when the ID token carries no
 * email, and the sorting of failures into the reasons the error screen shows.
 */
import * as oidc from 'openid-client';
import type { Store } from '../store/store.ts';
import type { Connection } from '../store/federation.ts';
import { clientSecretSealer } from './crypto.ts';
import { guardedFetch, UpstreamUnreachable } from './egress.ts';

const DISCOVERY_TIMEOUT = 10;
const CACHE_MS = 60 * 60 * 1000;

/** Loopback http issuers are allowed (validated at creation); everything else is https. */
function insecure(issuer: string): boolean {
  return new URL(issuer).protocol === 'http:';
}

/**
 * Fetches the issuer's discovery document (issuer equality is checked by openid-client), through
 * the egress guard; the returned Configuration keeps using it for JWKS, token and userinfo.
 * Any failure is an UpstreamUnreachable with one text (egress.ts).
 */
export async function discover(issuer: string, clientId: string, allowPrivate: boolean): Promise<oidc.Configuration> {
  const fetchImpl = guardedFetch(allowPrivate) as unknown as oidc.CustomFetch;
  try {
    const cfg = await oidc.discovery(new URL(issuer), clientId, undefined, undefined, {
      execute: insecure(issuer) ? [oidc.allowInsecureRequests] : [],
      timeout: DISCOVERY_TIMEOUT,
      [oidc.customFetch]: fetchImpl,
    });
    cfg[oidc.customFetch] = fetchImpl;
    return cfg;
  } catch (e) {
    throw e instanceof UpstreamUnreachable ? e : new UpstreamUnreachable(e);
  }
}

interface Cached {
  key: string;
  at: number;
  config: Promise<oidc.Configuration>;
}

// Per store, so several apps in one process (tests) never share a Configuration.
const caches = new WeakMap<Store, Map<string, Cached>>();

export interface UpstreamDeps {
  store: Store;
  config: { cookieSecrets: Readonly<Record<number, string>>; federationAllowPrivate: boolean };
  now: () => number;
}

/**
 * The openid-client Configuration for a connection: discovered once an hour
 * (and again whenever the connection changes), with the client secret
 * decrypted and the client authentication the provider supports.
 */
export function upstreamConfig(deps: UpstreamDeps, connection: Connection): Promise<oidc.Configuration> {
  let cache = caches.get(deps.store);
  if (!cache) caches.set(deps.store, (cache = new Map()));
  const key = `${connection.issuer}\n${connection.clientId}\n${connection.updatedAt}`;
  const hit = cache.get(connection.id);
  if (hit && hit.key === key && Date.now() - hit.at < CACHE_MS) return hit.config;

  const config = (async () => {
    const sealer = clientSecretSealer(deps.config.cookieSecrets);
    const secret = sealer.open(connection.clientSecret, connection.id);
    if (secret === null) throw new Error(`the client secret of connection ${connection.id} cannot be decrypted (was its cookie secret removed?)`);
    if (sealer.stale(connection.clientSecret)) {
      // Re-encrypt under the newest cookie secret, so the old one can be retired.
      await deps.store.federation.setConnectionSecret(connection.id, sealer.seal(secret, connection.id), connection.updatedAt);
    }
    const discovered = await discover(connection.issuer, connection.clientId, deps.config.federationAllowPrivate);
    const server = discovered.serverMetadata();
    const methods = server.token_endpoint_auth_methods_supported;
    // RFC 8414: absent means client_secret_basic.
    const auth = !methods || methods.includes('client_secret_basic') ? oidc.ClientSecretBasic(secret) : oidc.ClientSecretPost(secret);
    const cfg = new oidc.Configuration(server, connection.clientId, { client_secret: secret }, auth);
    cfg.timeout = DISCOVERY_TIMEOUT;
    cfg[oidc.customFetch] = discovered[oidc.customFetch]!;
    if (insecure(connection.issuer)) oidc.allowInsecureRequests(cfg);
    // Verify ID token signatures against the provider's JWKS too, not only TLS (loopback issuers have none).
    oidc.enableNonRepudiationChecks(cfg);
    return cfg;
  })();
  cache.set(connection.id, { key, at: Date.now(), config });
  // A failed discovery is not remembered: the next attempt tries again.
  config.catch(() => {
    if (cache.get(connection.id)?.config === config) cache.delete(connection.id);
  });
  return config;
}

/**
 * The Configuration, after checking that the provider answers right now: a
 * cached Configuration alone would send the browser to a provider that is
 * down, to a browser error page instead of the portal's explanation.
 */
export async function liveUpstreamConfig(deps: UpstreamDeps, connection: Connection): Promise<oidc.Configuration> {
  const before = caches.get(deps.store)?.get(connection.id)?.config;
  const cfg = await upstreamConfig(deps, connection);
  if (before !== undefined && before === caches.get(deps.store)?.get(connection.id)?.config) {
    const url = new URL(`${connection.issuer.replace(/\/$/, '')}/.well-known/openid-configuration`);
    const res = await guardedFetch(deps.config.federationAllowPrivate)(url, {
      signal: AbortSignal.timeout(DISCOVERY_TIMEOUT * 1000),
      headers: { accept: 'application/json' },
    });
    await res.body?.cancel();
    if (!res.ok) throw new Error(`discovery answered ${res.status}`);
  }
  return cfg;
}

export interface StartParams {
  redirectUri: string;
  scopes: string[];
  loginHint?: string;
}

export interface StartTransaction {
  url: URL;
  state: string;
  nonce: string;
  verifier: string;
}

export async function buildStart(cfg: oidc.Configuration, p: StartParams): Promise<StartTransaction> {
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const nonce = oidc.randomNonce();
  const url = oidc.buildAuthorizationUrl(cfg, {
    redirect_uri: p.redirectUri,
    scope: p.scopes.join(' '),
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    nonce,
    ...(p.loginHint ? { login_hint: p.loginHint } : {}),
  });
  return { url, state, nonce, verifier };
}

export interface UpstreamProfile {
  sub: string;
  email: string | null;
  emailVerified: boolean;
  name: string | null;
}

export interface UpstreamResult {
  profile: UpstreamProfile;
  tokens: oidc.TokenEndpointResponse;
}

/** Redeems the code and verifies everything openid-client can verify; throws otherwise. */
export async function exchange(
  cfg: oidc.Configuration,
  currentUrl: URL,
  checks: { redirectUri: string; state: string; nonce: string; verifier: string },
): Promise<UpstreamResult> {
  const tokens = await oidc.authorizationCodeGrant(
    cfg,
    currentUrl,
    { pkceCodeVerifier: checks.verifier, expectedState: checks.state, expectedNonce: checks.nonce, idTokenExpected: true },
    { redirect_uri: checks.redirectUri },
  );
  const claims = tokens.claims()!;
  let source: Record<string, unknown> = claims;
  if (typeof claims.email !== 'string' && cfg.serverMetadata().userinfo_endpoint) {
    // Many providers keep email claims for userinfo; the subject must match the ID token's.
    source = { ...(await oidc.fetchUserInfo(cfg, tokens.access_token, claims.sub)), sub: claims.sub };
  }
  const verified = source.email_verified === true || source.email_verified === 'true';
  return {
    profile: {
      sub: claims.sub,
      email: typeof source.email === 'string' ? source.email : null,
      emailVerified: verified,
      name: typeof source.name === 'string' ? source.name : null,
    },
    tokens,
  };
}

export type FailureReason = 'provider_unavailable' | 'state_mismatch' | 'access_denied' | 'invalid_id_token' | 'upstream_error';

/** Sorts an openid-client failure into the reason the error screen explains. */
export function classifyFailure(e: unknown): FailureReason {
  if (e instanceof oidc.AuthorizationResponseError) return e.error === 'access_denied' ? 'access_denied' : 'upstream_error';
  if (e instanceof oidc.ResponseBodyError) return 'upstream_error';
  // openid-client wraps oauth4webapi's errors: read the whole cause chain.
  const chain: Array<{ name?: string; code?: string; message?: string }> = [];
  for (let c: unknown = e; c && typeof c === 'object' && chain.length < 5; c = (c as { cause?: unknown }).cause) chain.push(c as never);
  const codes = new Set(chain.map((c) => c.code));
  const text = chain.map((c) => c.message ?? '').join(' | ');
  if (
    chain.some((c) => c.name === 'TimeoutError' || c.name === 'AbortError' || c.name === 'UpstreamUnreachable') ||
    (e instanceof TypeError && /fetch failed/i.test(e.message))
  ) {
    return 'provider_unavailable';
  }
  if (/"state" response parameter/.test(text)) return 'state_mismatch';
  if (codes.has('OAUTH_JWT_CLAIM_COMPARISON_FAILED') || codes.has('OAUTH_JWT_TIMESTAMP_CHECK_FAILED') || codes.has('OAUTH_KEY_SELECTION_FAILED')) {
    return 'invalid_id_token';
  }
  if (/signature|ID Token|JWT/i.test(text)) return 'invalid_id_token';
  return 'upstream_error';
}
