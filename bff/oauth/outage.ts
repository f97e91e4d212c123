/**
 * Database outages at /oauth. oidc-provider turns any error it does not know
 * into 500 `server_error`; a store that is down, frozen or full is a 503
 * `temporarily_unavailable` with Retry-After instead, in the endpoint's own
 * format: RFC 6749 JSON for the back-channel endpoints, a page for the
 * browser ones. Express middleware in front of the provider (client throttle,
 * userinfo, token shims) answers the same way through oauthErrorHandler.
 */
import type { ErrorRequestHandler } from 'express';
import type { Logger } from '../http/logger.ts';
import { isStoreOutage, STORE_RETRY_AFTER, toAppError } from '../http/error-handler.ts';
import { errorPage } from './pages.ts';

export const OUTAGE_ERROR = 'temporarily_unavailable';
export const OUTAGE_DESCRIPTION = 'the authorization server cannot reach its database right now; retry later';

interface KoaLike {
  status: number;
  body: unknown;
  set(field: string, value: string): void;
}

/**
 * Called from the provider's `server_error` event and from renderError: turns
 * the 500 into a 503 with Retry-After, and a JSON body into RFC 6749's.
 * Returns false (touching nothing) for errors that are not outages.
 */
export function answerOutage(ctx: KoaLike, err: unknown): boolean {
  if (!isStoreOutage(err)) return false;
  ctx.status = 503;
  ctx.set('Retry-After', String(STORE_RETRY_AFTER));
  ctx.set('Cache-Control', 'no-store');
  const body = ctx.body as { error?: unknown; state?: unknown } | null;
  if (body && typeof body === 'object' && body.error === 'server_error') {
    ctx.body = { error: OUTAGE_ERROR, error_description: OUTAGE_DESCRIPTION, ...(body.state !== undefined ? { state: body.state } : {}) };
  }
  return true;
}

/** The page a browser sees at /oauth/authorize (and the other HTML endpoints) during an outage. */
export function outagePage(publicUrl: string): string {
  return errorPage(OUTAGE_ERROR, OUTAGE_DESCRIPTION, publicUrl);
}

/** Express errors under /oauth (before or beside the provider), in RFC 6749 form rather than the BFF's. */
export function oauthErrorHandler(logger: Logger, publicUrl: string): ErrorRequestHandler {
  return (err, req, res, next) => {
    if (res.headersSent) return next(err);
    const e = toAppError(err);
    if (e.status >= 500) logger.error({ err: e.cause ?? e, method: req.method, path: req.path }, 'oauth request failed');
    const error = e.expose ? e.code : 'server_error';
    const description = e.expose ? e.message : 'unexpected error';
    if (e.retryAfter) res.setHeader('Retry-After', String(e.retryAfter));
    res.setHeader('Cache-Control', 'no-store');
    res.status(e.status);
    if (req.method === 'GET' && req.accepts(['json', 'html']) === 'html') res.type('html').send(errorPage(error, description, publicUrl));
    else res.json({ error, error_description: description });
  };
}
