/**
 * The gateway (issue 18): a signed-in browser's calls below a configured
 * `/api/...` path are forwarded to that route's upstream with an access token
 * for the route's API resource; the browser never holds the token. Checks run
 * before any upstream call: CSRF and same origin for state-changing requests
 * (as /bff's own), signed in unless the route is anonymous, the route's role,
 * the body size, the upstream's circuit breaker.
 *
 * It runs on node's own request and response, without Express (createApp's
 * `handler` sends /api here and everything else to the Express app): Express's
 * request and response objects, router and middleware cost more CPU per call
 * than the rest of the gateway. What Express did for /api is done here: the
 * edge guard's URL checks, the client address under `trust proxy`, JSON errors.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { SessionDeps } from '../session/guard.ts';
import { currentSession } from '../session/guard.ts';
import { clientAddress, CSRF_HEADER, isSameOriginRequest, type TrustProxy } from '../http/security.ts';
import { urlProblem } from '../http/input-guard.ts';
import { AppError, badRequest, forbidden, notFound, unauthorized } from '../http/errors.ts';
import { toAppError } from '../http/error-handler.ts';
import { API_PREFIX, routeTable } from './route-table.ts';
import { breakers } from './breaker.ts';
import { type Forwarding, hasBody, upstreamRequestHeaders } from './headers.ts';
import { type ForwardInput, forward, tooLarge } from './proxy.ts';
import { apiToken } from './tokens.ts';
import type { ApiRoute } from '../store/store.ts';

const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);

// Each route's upstream parsed once (route objects live as long as the table's cached list).
const bases = new WeakMap<ApiRoute, { origin: string; basePath: string }>();
function baseOf(route: ApiRoute): { origin: string; basePath: string } {
  let b = bases.get(route);
  if (!b) {
    const u = new URL(route.upstream);
    b = { origin: u.origin, basePath: u.pathname.replace(/\/$/, '') };
    bases.set(route, b);
  }
  return b;
}

const DOT_SEGMENT = /(^|\/)(\.|%2e){1,2}(\/|$)/i;

/** The upstream URL for a request path below the route, or a 400 for dot segments that could climb out of it. */
export function upstreamUrl(route: ApiRoute, originalUrl: string): URL {
  const q = originalUrl.indexOf('?');
  const pathname = q < 0 ? originalUrl : originalUrl.slice(0, q);
  const rest = pathname.slice(route.path.length);
  if (DOT_SEGMENT.test(rest)) throw badRequest('invalid_path', 'The path may not contain . or .. segments.');
  const base = baseOf(route);
  const target = new URL(`${route.upstream}${rest}${q < 0 ? '' : originalUrl.slice(q)}`);
  if (target.origin !== base.origin || !target.pathname.startsWith(base.basePath)) throw badRequest('invalid_path', 'The path leaves this API.');
  return target;
}

/** Path characters the URL parser keeps as they are (nothing it encodes, no backslash, no '#'). */
const PLAIN_PATH = /^[\w\-.~!$&'()*+,;=:@/%]*$/;
/** Query characters it keeps as they are for http(s) (it encodes space, ", #, <, > and '). */
const PLAIN_QUERY = /^[\w\-.~!$&()*+,;=:@/?%]*$/;

/**
 * upstreamUrl's answer as the origin and path (with the query) to call, without parsing a URL
 * per call when the path and query hold only characters the parser would keep as they are: then
 * the result is the route's base path followed by the rest, and cannot leave the API.
 */
export function upstreamTarget(route: ApiRoute, originalUrl: string): { origin: string; path: string } {
  const q = originalUrl.indexOf('?');
  const rest = (q < 0 ? originalUrl : originalUrl.slice(0, q)).slice(route.path.length);
  const query = q < 0 ? '' : originalUrl.slice(q + 1);
  if (!PLAIN_PATH.test(rest) || !PLAIN_QUERY.test(query)) {
    const target = upstreamUrl(route, originalUrl);
    return { origin: target.origin, path: `${target.pathname}${target.search}` };
  }
  if (DOT_SEGMENT.test(rest)) throw badRequest('invalid_path', 'The path may not contain . or .. segments.');
  const base = baseOf(route);
  const path = `${base.basePath}${rest}` || '/';
  // An empty query ('?' alone) is no query, as URL.search has it.
  return { origin: base.origin, path: query ? `${path}?${query}` : path };
}

/** Whether a request's raw URL is the gateway's: `/api`, below `/api/`, or `/api?…`. */
export function isGatewayUrl(url: string): boolean {
  if (!url.startsWith(API_PREFIX)) return false;
  const next = url.charCodeAt(API_PREFIX.length);
  // Nothing more, a '/' or a '?'.
  return Number.isNaN(next) || next === 0x2f || next === 0x3f;
}

/** A JSON answer as Express's res.json() writes it (no body for HEAD). */
function sendJson(req: IncomingMessage, res: ServerResponse, status: number, body: object): void {
  const json = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(json) });
  if (req.method === 'HEAD') res.end();
  else res.end(json);
}

/** Errors in the BFF's JSON format, with the request id the access log carries. */
function answer(req: IncomingMessage, res: ServerResponse, err: unknown, requestId: string): AppError {
  let e = toAppError(err);
  // Nothing the gateway does should look like the portal failing: an unexpected error is a bad gateway.
  if (e.status === 500)
    e = new AppError('bad_gateway', 'The portal could not forward this request. Try again in a moment.', { status: 502, expose: true, cause: err });
  if (res.headersSent) {
    res.destroy();
    return e;
  }
  res.setHeader('X-Request-Id', requestId);
  if (e.retryAfter) res.setHeader('Retry-After', String(e.retryAfter));
  res.setHeader('Cache-Control', 'no-store');
  sendJson(req, res, e.status, {
    error: e.expose ? e.code : 'server_error',
    message: e.expose ? e.message : 'Something went wrong on our side. Try again in a moment.',
    requestId,
    ...(e.retryAfter ? { retryAfter: e.retryAfter } : {}),
  });
  return e;
}

export interface GatewayOptions {
  trustProxy: TrustProxy;
}

/** Answers a request whose URL isGatewayUrl(), on node's own request and response. */
export function gatewayRoutes(deps: SessionDeps, opts: GatewayOptions): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  const table = routeTable(deps.store);
  const breakerFor = breakers();
  const publicUrl = new URL(deps.config.publicUrl);
  return async (req, res) => {
    const url = req.url!;
    // The edge guard's checks (edge-guard.ts), answered in the BFF's format as it answers them.
    const refused = urlProblem(url, req.headers.authorization);
    if (refused) {
      res.setHeader('Cache-Control', 'no-store');
      return sendJson(req, res, 400, { error: 'invalid_request', message: refused });
    }
    const q = url.indexOf('?');
    const pathname = q < 0 ? url : url.slice(0, q);
    // The access log's timing, only when it is written (the bench and quiet deployments log at warn).
    const logging = deps.logger.isLevelEnabled('info');
    const started = logging ? performance.now() : 0;
    const requestId = randomUUID();
    // X-Request-Id goes out with the upstream's headers in one writeHead (see forward), or with an error (answer):
    // a header set beforehand would send writeHead down node's slower path that validates every header twice.
    let route: ApiRoute | null = null;
    let userId: string | undefined;
    let retried = false;
    try {
      // The cached table answers without a promise; a stale one is read from the store.
      const now = table.matchCached(pathname);
      route = now === undefined ? await table.match(pathname) : now;
      if (!route) throw notFound('api_route_not_found', `No API is configured at ${pathname}.`);
      if (!SAFE.has(req.method!) && (!isSameOriginRequest(req.headers, publicUrl.origin) || req.headers[CSRF_HEADER] !== '1')) {
        throw new AppError('csrf_rejected', 'This request did not come from the portal itself and was refused.', { status: 403 });
      }
      const current = await currentSession(deps, req, res);
      if (!current && !route.anonymous) throw unauthorized('not_signed_in', 'You are not signed in.');
      userId = current?.user.id;
      if (route.requireRole && current?.user.role !== route.requireRole)
        throw forbidden('role_required', `This API is for people with the ${route.requireRole} role.`);
      const withBody = hasBody(req.headers);
      const length = Number(req.headers['content-length'] ?? 0);
      if (length > route.maxBodyBytes) throw tooLarge(route.maxBodyBytes);
      const target = upstreamTarget(route, url);
      const breaker = breakerFor(target.origin);
      if (!breaker.allow()) {
        throw new AppError('upstream_unavailable', 'The API behind this address is failing; the portal is giving it a rest. Try again shortly.', {
          status: 503,
          expose: true,
          retryAfter: breaker.retryAfter(),
        });
      }
      const sendsToken = Boolean(current && route.resource);
      let token = sendsToken ? await apiToken(deps, current!.session, route) : null;
      const forwarding: Forwarding = { clientIp: clientAddress(req, opts.trustProxy), publicUrl, requestId, token };
      const input: ForwardInput = {
        req,
        res,
        route,
        origin: target.origin,
        path: target.path,
        headers: upstreamRequestHeaders(req.headers, forwarding),
        publicOrigin: publicUrl.origin,
        requestId,
        breaker,
        // A token the API refuses gets one renewal and one retry, never more (and never with a body, which is already spent).
        retryOn401: sendsToken && !withBody,
        withBody,
      };
      let outcome = await forward(input);
      if (outcome === 'retry') {
        retried = true;
        token = await apiToken(deps, current!.session, route, token!);
        forwarding.token = token;
        input.headers = upstreamRequestHeaders(req.headers, forwarding);
        input.retryOn401 = false;
        outcome = await forward(input);
      }
    } catch (err) {
      const e = answer(req, res, err, requestId);
      if (e.status >= 500) deps.logger.warn({ requestId, err: e.cause ?? e, route: route?.path }, 'gateway request failed');
    } finally {
      if (route && logging) {
        const log = {
          requestId,
          method: req.method,
          route: route.path,
          path: pathname,
          status: res.statusCode,
          ms: Math.round(performance.now() - started),
          user: userId,
          retried,
        };
        res.once('finish', () => deps.logger.info(log, 'gateway'));
        if (res.writableFinished) deps.logger.info(log, 'gateway');
      }
    }
  };
}
