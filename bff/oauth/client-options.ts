/**
 * Optional client settings beyond the authorization code flow (issue 15):
 * private_key_jwt with a registered JWKS (inline or by URL), and the per-client
 * flags requiring DPoP-bound tokens (RFC 9449) or pushed authorization requests
 * (RFC 9126), and OpenID Connect Back-Channel Logout (where logout tokens go).
 * Checked here; clients.ts maps them onto oidc-provider metadata.
 */
import type { ClientRecord } from '../store/store.ts';
import { badRequest } from '../http/errors.ts';
import { clientMetadata, logoUrlProblem, redirectUriProblem } from './clients.ts';
import { RESOURCE_SCOPES_PROPERTY } from './client-settings.ts';
import { DEVICE_GRANT } from './device.ts';
import { TOKEN_EXCHANGE_GRANT } from './token-exchange.ts';

export interface ClientOptionsInput {
  /** A JWKS (`{ keys: [...] }`) of public keys, for private_key_jwt. */
  jwks?: unknown;
  /** Where the client publishes its JWKS, for private_key_jwt. */
  jwksUri?: string | null;
  requireDpop?: boolean;
  requirePar?: boolean;
  /** Also the device authorization grant (RFC 8628). */
  device?: boolean;
  /** Where logout tokens are posted (OpenID Connect Back-Channel Logout 1.0). */
  backchannelLogoutUri?: string | null;
  /** Every logout token must name the session (`sid`). */
  backchannelLogoutSessionRequired?: boolean;
}

export type ClientOptions = Pick<
  ClientRecord,
  'jwks' | 'jwksUri' | 'requireDpop' | 'requirePar' | 'device' | 'backchannelLogoutUri' | 'backchannelLogoutSessionRequired'
>;

/**
 * Why a back-channel logout URI is unacceptable, or null: the redirect URIs' rules (https, `http:`
 * only on loopback, no fragment as the specification requires, no credentials).
 */
export function backchannelLogoutUriProblem(uri: string): string | null {
  const p = redirectUriProblem(uri);
  return p ? `The back-channel logout URI ${p}.` : null;
}

/** Private members (RFC 7518 §6): a client registers public keys only. */
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];

function jwksProblem(jwks: unknown): string | null {
  const keys = (jwks as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(keys) || keys.length === 0) return 'The JWKS must be a JSON object with a non-empty "keys" array.';
  for (const k of keys) {
    if (!k || typeof k !== 'object' || typeof (k as { kty?: unknown }).kty !== 'string') return 'Every key of the JWKS needs a "kty".';
    if (PRIVATE_MEMBERS.some((m) => m in k)) return 'The JWKS holds a private or symmetric key: register the public keys only.';
  }
  return null;
}

/** Validates the options; only what was asked for is set, so existing records stay as they were. */
export function validateClientOptions(input: ClientOptionsInput, isPublic: boolean): ClientOptions {
  const fields: Record<string, string> = {};
  const jwksUri = input.jwksUri?.trim() || null;
  if (input.jwks !== undefined && input.jwks !== null) {
    const p = jwksProblem(input.jwks);
    if (p) fields.jwks = p;
  }
  if (jwksUri) {
    const p = logoUrlProblem(jwksUri);
    if (p) fields.jwksUri = `The JWKS URI ${p}.`;
  }
  const logoutUri = input.backchannelLogoutUri?.trim() || null;
  if (logoutUri) {
    const p = backchannelLogoutUriProblem(logoutUri);
    if (p) fields.backchannelLogoutUri = p;
  }
  if (input.backchannelLogoutSessionRequired && !logoutUri)
    fields.backchannelLogoutUri = 'Requiring a session id in logout tokens needs a back-channel logout URI.';
  const keyed = (input.jwks !== undefined && input.jwks !== null) || jwksUri !== null;
  if (keyed && jwksUri && input.jwks) fields.jwks = 'Give either a JWKS or a JWKS URI, not both.';
  if (keyed && isPublic) fields.jwks = 'A public client has no client authentication: private_key_jwt needs a confidential client.';
  if (Object.keys(fields).length) throw badRequest('invalid_client_metadata', Object.values(fields)[0]!, fields);
  const out: ClientOptions = {};
  if (input.jwks) out.jwks = input.jwks as ClientOptions['jwks'];
  if (jwksUri) out.jwksUri = jwksUri;
  if (input.requireDpop) out.requireDpop = true;
  if (input.requirePar) out.requirePar = true;
  if (input.device) out.device = true;
  if (logoutUri) out.backchannelLogoutUri = logoutUri;
  if (logoutUri && input.backchannelLogoutSessionRequired) out.backchannelLogoutSessionRequired = true;
  return out;
}

/**
 * oidc-provider client metadata: clients.ts's, with the options over it. A machine client has
 * only client_credentials; its resource scopes are not OpenID scopes, so they travel apart.
 */
export function providerMetadata(c: ClientRecord): Record<string, unknown> {
  const { scope, ...base } = clientMetadata(c);
  const keyed = Boolean(c.jwks || c.jwksUri);
  return {
    ...base,
    ...(c.machine
      ? {
          grant_types: ['client_credentials'],
          response_types: [],
          redirect_uris: [],
          post_logout_redirect_uris: [],
          [RESOURCE_SCOPES_PROPERTY]: c.scopes.join(' '),
        }
      : { scope, grant_types: [...(base.grant_types as string[]), ...(c.device ? [DEVICE_GRANT] : []), ...(c.firstParty ? [TOKEN_EXCHANGE_GRANT] : [])] }),
    ...(keyed ? { token_endpoint_auth_method: 'private_key_jwt', ...(c.jwks ? { jwks: c.jwks } : { jwks_uri: c.jwksUri }) } : {}),
    ...(c.requireDpop ? { dpop_bound_access_tokens: true } : {}),
    ...(c.requirePar ? { require_pushed_authorization_requests: true } : {}),
    // oidc-provider validates these; delivery is the portal's outbox (backchannel.ts), not its fetch.
    ...(c.backchannelLogoutUri && !c.machine
      ? { backchannel_logout_uri: c.backchannelLogoutUri, backchannel_logout_session_required: c.backchannelLogoutSessionRequired === true }
      : {}),
  };
}
