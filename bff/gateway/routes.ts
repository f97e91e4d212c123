/**
 * The gateway (issue 18): a signed-in browser's calls below a configured
 * `/api/...` path are forwarded to that route's upstream with an access token
 * for the route's API resource; the browser never holds the token. Checks run
 * before any upstream call: CSRF and same origin for state-changing requests
 * (as /bff's own), signed in unless the route is anonymous, the route's role,
 * the body size, the upstream's circuit breaker.
 */
import { randomUUID } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import type { SessionDeps } from '../session/guard.ts';
import { currentSession } from '../session/guard.ts';
import { CSRF_HEADER, clientIp, isSameOriginRequest } from '../http/security.ts';
import { AppError, badRequest, forbidden, notFound, unauthorized } from '../http/errors.ts';
import { toAppError } from '../http/error-handler.ts';
import { API_PREFIX, routeTable } from './route-table.ts';
import { breakers } from './breaker.ts';
import { hasBody, upstreamRequestHeaders } from './headers.ts';
import { forward, tooLarge } from './proxy.ts';
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

/** Errors in the BFF's JSON format, with the request id the access log carries. */
function answer(res: Response, err: unknown, requestId: string): AppError {
  let e = toAppError(err);
  // Nothing the gateway does should look like the portal failing: an unexpected error is a bad gateway.
  if (e.status === 500)
    e = new AppError('bad_gateway', 'The portal could not forward this request. Try again in a moment.', { status: 502, expose: true, cause: err });
  if (res.headersSent) {
    res.destroy();
    return e;
  }
  if (e.retryAfter) res.setHeader('Retry-After', String(e.retryAfter));
  res.setHeader('Cache-Control', 'no-store');
  res.status(e.status).json({
    error: e.expose ? e.code : 'server_error',
    message: e.expose ? e.message : 'Something went wrong on our side. Try again in a moment.',
    requestId,
    ...(e.retryAfter ? { retryAfter: e.retryAfter } : {}),
  });
  return e;
}

export function gatewayRoutes(deps: SessionDeps): (req: Request, res: Response, next: NextFunction) => Promise<void> {
  const table = routeTable(deps.store);
  const breakerFor = breakers();
  const publicUrl = new URL(deps.config.publicUrl);
  return async (req, res, next) => {
    const pathname = req.originalUrl.split('?')[0]!;
    if (pathname !== API_PREFIX && !pathname.startsWith(`${API_PREFIX}/`)) return next();
    const started = performance.now();
    const requestId = randomUUID();
    res.setHeader('X-Request-Id', requestId);
    let route: ApiRoute | null = null;
    let userId: string | undefined;
    let retried = false;
    try {
      route = await table.match(pathname);
      if (!route) throw notFound('api_route_not_found', `No API is configured at ${pathname}.`);
      if (!SAFE.has(req.method) && (!isSameOriginRequest(req, publicUrl.origin) || req.get(CSRF_HEADER) !== '1')) {
        throw new AppError('csrf_rejected', 'This request did not come from the portal itself and was refused.', { status: 403 });
      }
      const current = await currentSession(deps, req, res);
      if (!current && !route.anonymous) throw unauthorized('not_signed_in', 'You are not signed in.');
      userId = current?.user.id;
      if (route.requireRole && current?.user.role !== route.requireRole)
        throw forbidden('role_required', `This API is for people with the ${route.requireRole} role.`);
      const withBody = hasBody(req.headers);
      const length = Number(req.get('content-length') ?? 0);
      if (length > route.maxBodyBytes) throw tooLarge(route.maxBodyBytes);
      const target = upstreamUrl(route, req.originalUrl);
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
      const headersFor = (t: string | null) => upstreamRequestHeaders(req.headers, { clientIp: clientIp(req), publicUrl, requestId, token: t });
      const base = { req, res, route, target, publicOrigin: publicUrl.origin, breaker, withBody };
      // A token the API refuses gets one renewal and one retry, never more (and never with a body, which is already spent).
      let outcome = await forward({ ...base, headers: headersFor(token), retryOn401: sendsToken && !withBody });
      if (outcome === 'retry') {
        retried = true;
        token = await apiToken(deps, current!.session, route, token!);
        outcome = await forward({ ...base, headers: headersFor(token), retryOn401: false });
      }
    } catch (err) {
      const e = answer(res, err, requestId);
      if (e.status >= 500) deps.logger.warn({ requestId, err: e.cause ?? e, route: route?.path }, 'gateway request failed');
    } finally {
      if (route && deps.logger.isLevelEnabled('info')) {
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
