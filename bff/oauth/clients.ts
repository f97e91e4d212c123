/**
 * Partner apps (OAuth clients): validation at registration, the mapping onto
 * oidc-provider client metadata, and the operations the CLI and the admin
 * screen share.
 */
import { randomBytes } from 'node:crypto';
import type { ClientRecord, Store } from '../store/store.ts';
import { badRequest, notFound } from '../http/errors.ts';
import { SCOPE_NAMES } from './scopes.ts';

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);

/** Why a redirect URI is unacceptable, or null (RFC 9700 §2.1, §4.1.3). */
export function redirectUriProblem(raw: string): string | null {
  if (typeof raw !== 'string' || raw.trim() !== raw || raw.length === 0) return 'must be a URL without surrounding spaces';
  if (raw.length > 2000) return 'is too long';
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    return 'is not a valid absolute URL';
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') return 'must use https (javascript:, data: and other schemes are refused)';
  if (u.protocol === 'http:' && !LOOPBACK.has(u.hostname)) return 'must use https (http is allowed only on localhost, 127.0.0.1 or [::1])';
  if (raw.includes('#')) return 'must not contain a fragment (#)';
  if (u.username || u.password) return 'must not contain a user name or password';
  return null;
}

export function logoUrlProblem(raw: string): string | null {
  try {
    const u = new URL(raw);
    return u.protocol === 'https:' || (u.protocol === 'http:' && LOOPBACK.has(u.hostname)) ? null : 'must be an https URL';
  } catch {
    return 'is not a valid absolute URL';
  }
}

export interface NewClientInput {
  name: string;
  redirectUris: string[];
  isPublic: boolean;
  scopes?: string[];
  logoUrl?: string | null;
  /** Space- or list-given scopes an authorization request gets when it names none; each must be one of `scopes`. */
  defaultScope?: string | string[] | null;
  /** Access-token lifetime in seconds (60 to 86400); absent: the ACCESS_TOKEN_TTL default. */
  accessTokenTtl?: number | null;
  /** Allows the weaker legacy refresh at GET /oauth?=token (seed 004); off unless true. */
  legacyRefresh?: boolean;
  /** Where RP-initiated logout may return (exact match); absent: the origin (with `/`) of each redirect URI. */
  postLogoutRedirectUris?: string[];
  /** private_key_jwt keys and the DPoP / PAR flags, already checked (client-options.ts validateClientOptions). */
  options?: Pick<ClientRecord, 'jwks' | 'jwksUri' | 'requireDpop' | 'requirePar' | 'device' | 'backchannelLogoutUri' | 'backchannelLogoutSessionRequired'>;
}

/** Bounds of a per-client access-token lifetime: a day at most, as the seed 004 document promises. */
export const ACCESS_TOKEN_TTL_RANGE = { min: 60, max: 86400 } as const;

export function newClientId(): string {
  return `app_${randomBytes(12).toString('base64url')}`;
}

export function newClientSecret(): string {
  return randomBytes(32).toString('base64url');
}

export interface ValidClientInput {
  name: string;
  redirectUris: string[];
  scopes: string[];
  logoUrl: string | null;
  defaultScope: string | null;
  accessTokenTtl: number | null;
  legacyRefresh: boolean;
  /** null: not given (registration then derives them from the redirect URIs). */
  postLogoutRedirectUris: string[] | null;
}

export function validateClientInput(input: NewClientInput): ValidClientInput {
  const fields: Record<string, string> = {};
  const name = (input.name ?? '').trim();
  if (!name) fields.name = 'A name is required.';
  else if (name.length > 100) fields.name = 'The name must be at most 100 characters.';
  const uris = [...new Set(input.redirectUris ?? [])];
  if (uris.length === 0) fields.redirectUris = 'At least one redirect URI is required.';
  for (const u of uris) {
    const p = redirectUriProblem(u);
    if (p) {
      fields.redirectUris = `The redirect URI ${JSON.stringify(u)} ${p}.`;
      break;
    }
  }
  const postLogout = input.postLogoutRedirectUris ? [...new Set(input.postLogoutRedirectUris)] : null;
  for (const u of postLogout ?? []) {
    const p = redirectUriProblem(u);
    if (p) {
      fields.postLogoutRedirectUris = `The post-logout redirect URI ${JSON.stringify(u)} ${p}.`;
      break;
    }
  }
  const scopes = [...new Set(['openid', ...(input.scopes ?? [])])];
  const unknown = scopes.filter((s) => !SCOPE_NAMES.includes(s));
  if (unknown.length) fields.scopes = `Unknown scope${unknown.length > 1 ? 's' : ''}: ${unknown.join(', ')}. Known: ${SCOPE_NAMES.join(', ')}.`;
  const logoUrl = input.logoUrl?.trim() || null;
  if (logoUrl) {
    const p = logoUrlProblem(logoUrl);
    if (p) fields.logoUrl = `The logo URL ${p}.`;
  }
  const raw = Array.isArray(input.defaultScope) ? input.defaultScope.join(' ') : (input.defaultScope ?? '');
  const defaults = [...new Set(raw.split(/\s+/).filter(Boolean))];
  const outside = defaults.filter((s) => !scopes.includes(s));
  if (outside.length) fields.defaultScope = `The default scope must be among the app's scopes (${scopes.join(', ')}); not: ${outside.join(', ')}.`;
  const ttl = input.accessTokenTtl ?? null;
  const { min, max } = ACCESS_TOKEN_TTL_RANGE;
  if (ttl !== null && !(Number.isInteger(ttl) && ttl >= min && ttl <= max))
    fields.accessTokenTtl = `The access-token lifetime must be a whole number of seconds from ${min} to ${max}.`;
  if (Object.keys(fields).length) {
    const code = fields.redirectUris ? 'invalid_redirect_uri' : 'invalid_client_metadata';
    throw badRequest(code, Object.values(fields)[0]!, fields);
  }
  return {
    name,
    redirectUris: uris,
    scopes,
    logoUrl,
    defaultScope: defaults.length ? defaults.join(' ') : null,
    accessTokenTtl: ttl,
    legacyRefresh: input.legacyRefresh === true,
    postLogoutRedirectUris: postLogout,
  };
}

export async function registerClient(store: Store, input: NewClientInput, now: number): Promise<{ client: ClientRecord; secret: string | null }> {
  const v = validateClientInput(input);
  // A client that authenticates with its keys (private_key_jwt) has no secret.
  const secret = input.isPublic || input.options?.jwks || input.options?.jwksUri ? null : newClientSecret();
  const client: ClientRecord = {
    clientId: newClientId(),
    name: v.name,
    secret,
    redirectUris: v.redirectUris,
    postLogoutRedirectUris: v.postLogoutRedirectUris ?? [...new Set(v.redirectUris.map((u) => new URL(u).origin + '/'))],
    scopes: v.scopes,
    logoUrl: v.logoUrl,
    firstParty: false,
    createdAt: now,
    defaultScope: v.defaultScope,
    accessTokenTtl: v.accessTokenTtl,
    legacyRefresh: v.legacyRefresh,
    ...input.options,
  };
  await store.clients.create(client);
  return { client, secret };
}

export async function rotateClientSecret(store: Store, clientId: string): Promise<string> {
  const c = await store.clients.find(clientId);
  if (!c || c.firstParty) throw notFound('client_not_found', `No partner app with client id ${clientId}.`);
  if (c.secret === null) throw badRequest('public_client', 'This is a public client; it has no secret to rotate.');
  const secret = newClientSecret();
  await store.clients.setSecret(clientId, secret);
  return secret;
}

export function publicClient(c: ClientRecord) {
  return {
    clientId: c.clientId,
    name: c.name,
    redirectUris: c.redirectUris,
    postLogoutRedirectUris: c.postLogoutRedirectUris,
    public: c.secret === null && !c.jwks && !c.jwksUri,
    scopes: c.scopes,
    logoUrl: c.logoUrl,
    createdAt: c.createdAt,
    defaultScope: c.defaultScope ?? null,
    accessTokenTtl: c.accessTokenTtl ?? null,
    legacyRefresh: c.legacyRefresh === true,
    machine: c.machine === true,
    privateKeyJwt: Boolean(c.jwks || c.jwksUri),
    jwksUri: c.jwksUri ?? null,
    requireDpop: c.requireDpop === true,
    requirePar: c.requirePar === true,
    device: c.device === true,
    backchannelLogoutUri: c.backchannelLogoutUri ?? null,
    backchannelLogoutSessionRequired: c.backchannelLogoutSessionRequired === true,
  };
}

/** oidc-provider metadata for a stored client. */
export function clientMetadata(c: ClientRecord): Record<string, unknown> {
  return {
    client_id: c.clientId,
    ...(c.secret !== null ? { client_secret: c.secret, token_endpoint_auth_method: 'client_secret_basic' } : { token_endpoint_auth_method: 'none' }),
    client_name: c.name,
    ...(c.logoUrl ? { logo_uri: c.logoUrl } : {}),
    redirect_uris: c.redirectUris,
    post_logout_redirect_uris: c.postLogoutRedirectUris,
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    scope: c.scopes.join(' '),
    id_token_signed_response_alg: 'ES256',
    portal_first_party: c.firstParty,
    // The BFF's ID token always says when the person last proved who they are: a silent sign-in on a
    // live provider session must not count as a fresh password or second factor (session/routes.ts).
    ...(c.firstParty ? { require_auth_time: true } : {}),
    ...(c.defaultScope ? { portal_default_scope: c.defaultScope } : {}),
    ...(c.accessTokenTtl ? { portal_access_token_ttl: c.accessTokenTtl } : {}),
  };
}
