/**
 * The gateway's remote API routes (issue 18): what an admin may configure, and
 * the table every instance answers from. Routes live in the Store; a change is
 * announced on a store channel so every instance sees it at once.
 */
import type { ApiRoute, Role, Store } from '../store/store.ts';
import { ConflictError } from '../store/store.ts';
import { badRequest, conflict, notFound } from '../http/errors.ts';

export const API_ROUTES_CHANNEL = 'portal_api_routes';
/** This process's route tables: told at once (SQLite has no notifications; PostgreSQL's tell the others). */
const localTables = new Set<() => void>();

async function announceChange(store: Store): Promise<void> {
  for (const drop of localTables) drop();
  await store.events.publish(API_ROUTES_CHANNEL, 'changed').catch(() => undefined);
}
/** Every route lives below this prefix: it can never shadow /bff, /oauth or a screen. */
export const API_PREFIX = '/api';

export const DEFAULT_MAX_BODY_BYTES = 10 * 1024 * 1024;
export const DEFAULT_TIMEOUT_MS = 30_000;
const MAX_BODY_LIMIT = 10 * 1024 * 1024 * 1024;
const TIMEOUT_RANGE = { min: 1_000, max: 600_000 };
const PATH_RE = /^\/api(\/[A-Za-z0-9_~-][A-Za-z0-9._~-]*)+$/;

export interface ApiRouteInput {
  path: string;
  upstream: string;
  resource?: string | null;
  scopes?: string[];
  requireRole?: Role | null;
  anonymous?: boolean;
  allowRedirects?: boolean;
  maxBodyBytes?: number;
  timeoutMs?: number;
}

function upstreamProblem(raw: string): string | null {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    return 'The upstream must be an absolute URL, like https://orders.internal.';
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') return 'The upstream must be an http or https URL.';
  if (u.username || u.password) return 'The upstream must not contain a user name or password.';
  if (u.search || u.hash || raw.includes('?') || raw.includes('#')) return 'The upstream must not have a query or fragment.';
  return null;
}

/** Checks a route and fills in its defaults; the resource must exist and hold the scopes. */
export async function validateApiRoute(store: Store, input: ApiRouteInput, now: number): Promise<ApiRoute> {
  const fields: Record<string, string> = {};
  const path = (input.path ?? '').trim().replace(/\/+$/, '');
  if (path.length > 200 || !PATH_RE.test(path) || path.split('/').some((s) => s === '.' || s === '..')) {
    fields.path = 'The path must start with /api/ and hold only letters, digits and - . _ ~ between slashes, like /api/orders.';
  }
  const upstream = (input.upstream ?? '').trim().replace(/\/+$/, '');
  const up = upstreamProblem(upstream);
  if (up) fields.upstream = up;
  const anonymous = input.anonymous === true;
  const requireRole = input.requireRole ?? null;
  if (requireRole !== null && requireRole !== 'admin' && requireRole !== 'user') fields.requireRole = 'The required role must be admin or user.';
  if (anonymous && requireRole) fields.requireRole = 'An anonymous route cannot require a role.';
  const resourceId = input.resource?.trim() || null;
  let scopes = [...new Set(input.scopes ?? [])];
  if (!resourceId && !anonymous) fields.resource = 'A signed-in route needs the API resource its tokens are for (see the APIs screen or `portal resource`).';
  if (resourceId) {
    const resource = await store.resources.find(resourceId);
    if (!resource) fields.resource = `No API resource ${resourceId}: create it first.`;
    else {
      if (scopes.length === 0) scopes = resource.scopes;
      const unknown = scopes.filter((s) => !resource.scopes.includes(s));
      if (unknown.length) fields.scopes = `The resource has no scope ${unknown.join(', ')}. It has: ${resource.scopes.join(', ') || 'none'}.`;
    }
  } else if (scopes.length) fields.scopes = 'Scopes need a resource.';
  const maxBodyBytes = input.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  if (!Number.isSafeInteger(maxBodyBytes) || maxBodyBytes < 0 || maxBodyBytes > MAX_BODY_LIMIT)
    fields.maxBodyBytes = 'The body size limit must be from 0 bytes to 10 GB.';
  const timeoutMs = input.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  if (!Number.isInteger(timeoutMs) || timeoutMs < TIMEOUT_RANGE.min || timeoutMs > TIMEOUT_RANGE.max)
    fields.timeoutMs = 'The timeout must be from 1 second to 10 minutes.';
  if (Object.keys(fields).length) throw badRequest('invalid_api_route', Object.values(fields)[0]!, fields);
  return {
    path,
    upstream,
    resource: resourceId,
    scopes,
    requireRole,
    anonymous,
    allowRedirects: input.allowRedirects === true,
    maxBodyBytes,
    timeoutMs,
    createdAt: now,
  };
}

export async function createApiRoute(store: Store, input: ApiRouteInput, now: number): Promise<ApiRoute> {
  const route = await validateApiRoute(store, input, now);
  try {
    await store.apiRoutes.create(route);
  } catch (e) {
    if (e instanceof ConflictError) throw conflict('api_route_exists', `A route for ${route.path} already exists.`, { path: 'This path is taken.' });
    throw e;
  }
  await announceChange(store);
  return route;
}

export async function deleteApiRoute(store: Store, path: string): Promise<void> {
  if (!(await store.apiRoutes.delete(path))) throw notFound('api_route_not_found', `No route for ${path}.`);
  await announceChange(store);
}

/** Parses `10mb`, `512kb`, `1gb` or a plain number of bytes; NaN when it is none of those. */
export function parseSize(raw: string): number {
  const m = /^(\d+)\s*(b|kb|mb|gb)?$/i.exec(raw.trim());
  if (!m) return NaN;
  const unit = { b: 1, kb: 1024, mb: 1024 ** 2, gb: 1024 ** 3 }[(m[2] ?? 'b').toLowerCase() as 'b'];
  return Number(m[1]) * unit;
}

export interface RouteTable {
  /** The route whose path is the longest prefix (at a segment boundary) of `pathname`, or null. */
  match(pathname: string): Promise<ApiRoute | null>;
  /** match() from the cached routes, with no promise in between; undefined when they must be read again. */
  matchCached(pathname: string): ApiRoute | null | undefined;
}

/** The routes, read from the Store at most every few seconds and at once when an instance announces a change. */
export function routeTable(store: Store, ttlMs = 5_000): RouteTable {
  let cached: { routes: ApiRoute[]; until: number } | null = null;
  const drop = () => {
    cached = null;
  };
  store.events.subscribe(API_ROUTES_CHANNEL, drop);
  localTables.add(drop);
  const find = (routes: ApiRoute[], pathname: string) =>
    routes.find((r) => pathname.startsWith(r.path) && (pathname.length === r.path.length || pathname.charCodeAt(r.path.length) === 0x2f)) ?? null;
  return {
    async match(pathname) {
      if (!cached || cached.until < Date.now()) {
        const routes = (await store.apiRoutes.list()).sort((a, b) => b.path.length - a.path.length);
        cached = { routes, until: Date.now() + ttlMs };
      }
      return find(cached.routes, pathname);
    },
    matchCached(pathname) {
      return !cached || cached.until < Date.now() ? undefined : find(cached.routes, pathname);
    },
  };
}
