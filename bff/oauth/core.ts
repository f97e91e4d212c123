/**
 * The core operations every front door shares: /oauth itself, the BFF, and the
 * compatibility translators (WorkOS, SaG, Zenith). Tokens are only ever minted
 * by oidc-provider: codes through its AuthorizationCode model, tokens through
 * its real token endpoint (called over loopback), so every rule (single use,
 * PKCE, rotation, reuse detection, extra claims) applies whatever the door.
 */
import type { Deps } from '../deps.ts';
import { PORTAL_RESOURCE } from './resource.ts';
import { applyScopes } from './grants.ts';
import { noneUnlessOutage } from '../http/error-handler.ts';

export interface IssueCodeInput {
  clientId: string;
  accountId: string;
  scopes: string[];
  redirectUri: string;
  /** Authentication methods references: ['pwd'], ['imp'], ['fed'] … */
  amr: string[];
  acr?: string;
  codeChallenge?: string;
  codeChallengeMethod?: 'S256';
  nonce?: string;
  /** Reuse an existing grant (remembered consent) instead of creating one. */
  grantId?: string;
}

/** Mints a single-use authorization code through oidc-provider's own model. */
export async function issueCode(deps: Deps, input: IssueCodeInput): Promise<{ code: string; grantId: string }> {
  const { provider } = deps;
  const client = await provider.Client.find(input.clientId);
  if (!client) throw new Error(`unknown client ${input.clientId}`);
  const grant = (input.grantId && (await provider.Grant.find(input.grantId))) || new provider.Grant({ accountId: input.accountId, clientId: input.clientId });
  applyScopes(grant, input.scopes, []);
  const grantId = await grant.save();
  const code = new provider.AuthorizationCode({
    accountId: input.accountId,
    client,
    grantId,
    scope: input.scopes.join(' '),
    redirectUri: input.redirectUri,
    amr: input.amr,
    acr: input.acr,
    authTime: Math.floor(Date.now() / 1000),
    codeChallenge: input.codeChallenge,
    codeChallengeMethod: input.codeChallengeMethod,
    nonce: input.nonce,
    resource: PORTAL_RESOURCE,
  } as ConstructorParameters<typeof provider.AuthorizationCode>[0]);
  return { code: await code.save(), grantId };
}

export interface TokenResult {
  status: number;
  body: Record<string, unknown>;
}

/**
 * Calls this instance's own /oauth/token with the given form parameters and
 * optional HTTP Basic client credentials, and returns what it answered.
 */
export async function tokenRequest(
  deps: Deps,
  params: Record<string, string | undefined>,
  basic?: { clientId: string; clientSecret: string },
): Promise<TokenResult> {
  const base = deps.selfOrigin() ?? deps.config.publicUrl;
  const form = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined) form.set(k, v);
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' };
  if (basic) {
    const enc = (s: string) => encodeURIComponent(s);
    headers.authorization = `Basic ${Buffer.from(`${enc(basic.clientId)}:${enc(basic.clientSecret)}`).toString('base64')}`;
  }
  const res = await fetch(`${base}/oauth/token`, { method: 'POST', headers, body: form });
  const body = (await res.json().catch(() => ({ error: 'server_error' }))) as Record<string, unknown>;
  return { status: res.status, body };
}

export interface RefreshInput {
  clientId: string;
  /** The client's secret (HTTP Basic), or null for a public client. */
  clientSecret: string | null;
  refreshToken: string;
  /** Narrows the new access token to these scopes (RFC 6749 §6); omitted or empty: all the token has. */
  scope?: string[];
}

/**
 * Redeems a refresh token at this instance's own /oauth/token, so rotation,
 * reuse detection (and its window) and scope narrowing are exactly the
 * token endpoint's, whatever the door the client came through.
 */
export async function refreshGrant(deps: Deps, input: RefreshInput): Promise<TokenResult> {
  const { clientId, clientSecret } = input;
  const params = {
    grant_type: 'refresh_token',
    refresh_token: input.refreshToken,
    scope: input.scope?.length ? input.scope.join(' ') : undefined,
    client_id: clientSecret === null ? clientId : undefined,
  };
  return tokenRequest(deps, params, clientSecret === null ? undefined : { clientId, clientSecret });
}

export interface Introspection {
  active: true;
  sub: string;
  clientId: string;
  scope: string;
  exp: number;
  grantId: string;
  jti: string;
}

/**
 * Whether an access token (JWT) is live: signed by us, stored, unexpired, its grant not revoked.
 * A DPoP-bound token is live only with the thumbprint of its verified proof's key (dpop.ts).
 */
export async function introspectAccessToken(deps: Deps, token: string, proofJkt?: string): Promise<Introspection | null> {
  const at = await deps.provider.AccessToken.find(token).catch(noneUnlessOutage);
  if (!at || at.isExpired || !at.accountId) return null;
  if (at.jkt !== proofJkt) return null;
  const grant = at.grantId ? await deps.provider.Grant.find(at.grantId).catch(noneUnlessOutage) : undefined;
  if (!grant) return null;
  return { active: true, sub: at.accountId, clientId: at.clientId!, scope: at.scope ?? '', exp: at.exp!, grantId: at.grantId!, jti: at.jti };
}

/** Upstream issuers WorkOS names as social sign-ins; any other upstream is `SSO`. */
const SOCIAL_ISSUERS: ReadonlyArray<[RegExp, string]> = [
  [/^https:\/\/accounts\.google\.com\/?$/, 'GoogleOAuth'],
  [/^https:\/\/login\.(microsoftonline\.com|live\.com|microsoft\.com)\//, 'MicrosoftOAuth'],
  [/^https:\/\/(github\.com|token\.actions\.githubusercontent\.com)\/?$/, 'GitHubOAuth'],
  [/^https:\/\/appleid\.apple\.com\/?$/, 'AppleOAuth'],
];

/**
 * The authentication method a token's source recorded, inside WorkOS's enum:
 * `Impersonation`, `MagicAuth` (an emailed code), `Passkey`, `Password`, or for an upstream sign-in the social provider
 * its connection's issuer names (Google, Microsoft, GitHub, Apple), else `SSO`.
 */
export function authenticationMethod(amr: string[] | undefined, acr: string | undefined, upstreamIssuer?: string | null): string {
  if (amr?.includes('imp')) return 'Impersonation';
  // A code sent by mail was the only factor (bff/sign-in/email-code.ts).
  if (amr?.includes('email') && !amr.includes('pwd')) return 'MagicAuth';
  // A passkey was the first factor (decision 0014): hwk or swk without a password.
  if ((amr?.includes('hwk') || amr?.includes('swk')) && !amr.includes('pwd')) return 'Passkey';
  if (amr?.includes('fed')) {
    if (acr?.startsWith('social:') && upstreamIssuer) return SOCIAL_ISSUERS.find(([re]) => re.test(upstreamIssuer))?.[1] ?? 'SSO';
    return 'SSO';
  }
  return 'Password';
}
