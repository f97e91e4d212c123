/**
 * Machine clients and the API resources they get tokens for (issue 15):
 * `client_credentials` with RFC 8707 `resource`, audience-restricted JWT access
 * tokens whose scopes are the resource's own, narrowed to what the client was
 * registered for. oidc-provider's resourceIndicators feature does the work;
 * this file says which resources exist and what each client may get.
 */
import { errors, type Client, type ResourceServer } from 'oidc-provider';
import { ConflictError, type ApiResource, type ClientRecord, type Store } from '../store/store.ts';
import { badRequest, conflict, notFound } from '../http/errors.ts';
import { PORTAL_RESOURCE } from './resource.ts';
import { SCOPE_NAMES } from './scopes.ts';
import { RESOURCE_SCOPES_PROPERTY, clientMetadataOf } from './client-settings.ts';
import { ACCESS_TOKEN_TTL_RANGE, logoUrlProblem, newClientId, newClientSecret } from './clients.ts';
import { validateClientOptions, type ClientOptionsInput } from './client-options.ts';

/** RFC 6749 §3.3 scope-token characters, kept to a sensible length. */
const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]{1,100}$/;

export interface NewResourceInput {
  identifier: string;
  name?: string;
  scopes?: string[];
}

/** Checks a resource definition: an absolute https URI without a fragment, and scope tokens that are not OpenID scopes. */
export function validateResourceInput(input: NewResourceInput): Omit<ApiResource, 'createdAt'> {
  const identifier = (input.identifier ?? '').trim();
  const fields: Record<string, string> = {};
  const uriProblem = !identifier ? 'is required' : identifier.includes('#') ? 'must not contain a fragment (#)' : logoUrlProblem(identifier);
  if (uriProblem || identifier === PORTAL_RESOURCE)
    fields.identifier = `The resource identifier ${uriProblem ?? 'is reserved'} (an absolute https URI, like https://orders.example).`;
  const scopes = [...new Set(input.scopes ?? [])];
  const bad = scopes.filter((s) => !SCOPE_TOKEN.test(s) || SCOPE_NAMES.includes(s));
  if (bad.length) fields.scopes = `Not usable as a resource scope: ${bad.join(', ')} (no spaces or quotes, and not one of ${SCOPE_NAMES.join(', ')}).`;
  const name = (input.name ?? '').trim() || identifier;
  if (name.length > 100) fields.name = 'The name must be at most 100 characters.';
  if (Object.keys(fields).length) throw badRequest('invalid_resource', Object.values(fields)[0]!, fields);
  return { identifier, name, scopes };
}

export async function createResource(store: Store, input: NewResourceInput, now: number): Promise<ApiResource> {
  const resource = { ...validateResourceInput(input), createdAt: now };
  try {
    await store.resources.create(resource);
  } catch (e) {
    if (e instanceof ConflictError) throw conflict('resource_exists', `A resource ${resource.identifier} already exists.`);
    throw e;
  }
  return resource;
}

export async function deleteResource(store: Store, identifier: string): Promise<void> {
  if (!(await store.resources.delete(identifier))) throw notFound('resource_not_found', `No resource ${identifier}.`);
}

/** A machine client's scopes must each be a scope of some resource. */
async function machineScopesProblem(store: Store, scopes: string[]): Promise<string | null> {
  if (scopes.length === 0) return 'A machine client needs at least one resource scope (define them with `portal resource create`).';
  const known = new Set((await store.resources.list()).flatMap((r) => r.scopes));
  const unknown = scopes.filter((s) => !known.has(s));
  return unknown.length ? `No resource has the scope${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')}. Known: ${[...known].join(', ') || 'none'}.` : null;
}

export interface NewMachineClientInput extends ClientOptionsInput {
  name: string;
  /** Resource scopes it may be given; each must belong to a registered resource. */
  scopes: string[];
  accessTokenTtl?: number | null;
}

/**
 * Registers a machine client: confidential (a secret, or private_key_jwt with its JWKS),
 * client_credentials only, no redirect URIs.
 */
export async function registerMachineClient(store: Store, input: NewMachineClientInput, now: number): Promise<{ client: ClientRecord; secret: string | null }> {
  const fields: Record<string, string> = {};
  const name = (input.name ?? '').trim();
  if (!name || name.length > 100) fields.name = 'A name of at most 100 characters is required.';
  const scopes = [...new Set(input.scopes ?? [])];
  const scopeProblem = await machineScopesProblem(store, scopes);
  if (scopeProblem) fields.scopes = scopeProblem;
  const ttl = input.accessTokenTtl ?? null;
  const { min, max } = ACCESS_TOKEN_TTL_RANGE;
  if (ttl !== null && !(Number.isInteger(ttl) && ttl >= min && ttl <= max))
    fields.accessTokenTtl = `The access-token lifetime must be a whole number of seconds from ${min} to ${max}.`;
  if (Object.keys(fields).length) throw badRequest('invalid_client_metadata', Object.values(fields)[0]!, fields);
  const options = validateClientOptions(input, false);
  const secret = options.jwks || options.jwksUri ? null : newClientSecret();
  const client: ClientRecord = {
    clientId: newClientId(),
    name,
    secret,
    redirectUris: [],
    postLogoutRedirectUris: [],
    scopes,
    logoUrl: null,
    firstParty: false,
    createdAt: now,
    defaultScope: null,
    accessTokenTtl: ttl,
    legacyRefresh: false,
    machine: true,
    ...options,
  };
  await store.clients.create(client);
  return { client, secret };
}

const isMachine = (client: Client | undefined) => !!client && typeof clientMetadataOf(client)[RESOURCE_SCOPES_PROPERTY] === 'string';

type ResourceServerInfo = Pick<ResourceServer, 'scope' | 'audience' | 'accessTokenTTL' | 'accessTokenFormat' | 'jwt'>;

/**
 * oidc-provider's getResourceServerInfo: the portal's own resource for
 * people's clients; a registered API resource for machine clients, its scopes
 * narrowed to the client's, refused (invalid_target) when nothing is left.
 */
export async function resourceServerInfo(store: Store, identifier: string, client: Client | undefined, accessTokenTTL: number): Promise<ResourceServerInfo> {
  const jwt = { sign: { alg: 'ES256' as const } };
  if (!isMachine(client)) {
    if (identifier !== PORTAL_RESOURCE) throw new errors.InvalidTarget('unknown resource');
    // No `audience`: oidc-provider lets a token without one reach userinfo.
    return { scope: SCOPE_NAMES.join(' '), accessTokenFormat: 'jwt', accessTokenTTL, jwt };
  }
  const resource = identifier === PORTAL_RESOURCE ? null : await store.resources.find(identifier);
  if (!resource) throw new errors.InvalidTarget('unknown resource');
  const allowed = new Set(String(clientMetadataOf(client!)[RESOURCE_SCOPES_PROPERTY]).split(' '));
  const scope = resource.scopes.filter((s) => allowed.has(s)).join(' ');
  if (!scope) throw new errors.InvalidTarget('this client may not use this resource');
  return { scope, audience: resource.identifier, accessTokenFormat: 'jwt', accessTokenTTL, jwt };
}

/** oidc-provider's defaultResource: the portal's own, except a machine client must name its resource. */
export function defaultResourceFor(client: Client | undefined): string {
  if (isMachine(client)) throw new errors.InvalidTarget('a machine client must name the resource (RFC 8707 `resource` parameter)');
  return PORTAL_RESOURCE;
}
