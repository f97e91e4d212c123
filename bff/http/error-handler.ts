/**
 * The one error handler (four arguments, or Express never calls it). Exposed
 * errors go out as `{error, message, fields?, retryAfter?}`; anything else is
 * a generic server_error and a log line with the cause. No stack leaves.
 */
import type { ErrorRequestHandler } from 'express';
import { isClientAbort, type Logger } from './logger.ts';
import { AppError } from './errors.ts';
import { bodyError } from './body-errors.ts';
import { StoreUnavailableError } from '../store/store.ts';

/** Seconds a client should wait before retrying while the database is unavailable (the Retry-After header). */
export const STORE_RETRY_AFTER = 5;

/** True when the store is unavailable, even if a library wrapped that error in its own (as `cause`). */
export function isStoreOutage(err: unknown): boolean {
  for (let e = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    if (e instanceof StoreUnavailableError) return true;
  }
  return false;
}

/**
 * For `.catch()` on a lookup whose failure means "there is none" (oidc-provider's
 * `find` on a malformed or refused value): undefined, except that a store outage
 * is rethrown, so it reaches the 503 + Retry-After answer instead of "not found".
 */
export function noneUnlessOutage(err: unknown): undefined {
  if (isStoreOutage(err)) throw err;
  return undefined;
}

export function toAppError(err: unknown): AppError {
  if (err instanceof AppError) return err;
  const body = bodyError(err);
  if (body) return new AppError(body.code, body.message, { status: body.status, cause: err });
  const status = (err as { status?: unknown })?.status;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    // http-errors from Express itself (static files, routing): keep the status, not the text.
    return new AppError(status === 404 ? 'not_found' : 'bad_request', status === 404 ? 'Not found.' : 'The request is not valid.', { status, cause: err });
  }
  if (isStoreOutage(err)) {
    return new AppError('temporarily_unavailable', 'The portal cannot reach its database right now. Try again in a moment.', {
      status: 503,
      expose: true,
      cause: err,
      retryAfter: STORE_RETRY_AFTER,
    });
  }
  return new AppError('server_error', 'Something went wrong on our side. Try again in a moment.', { status: 500, expose: false, cause: err });
}

export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (err, req, res, _next) => {
    if (isClientAbort(err, req)) {
      logger.debug({ method: req.method, path: req.path }, 'client closed the connection mid-request');
      if (!res.headersSent && !res.destroyed) res.status(400).end();
      return;
    }
    const e = toAppError(err);
    // `busy` is load shedding (the password-hashing queue is full), not a fault: no log line per refusal.
    if (e.status >= 500 && !(e.code === 'busy' && e.status === 503)) logger.error({ err: e.cause ?? e, method: req.method, path: req.path }, 'request failed');
    if (res.headersSent) {
      res.end();
      return;
    }
    if (e.retryAfter) res.setHeader('Retry-After', String(e.retryAfter));
    res.setHeader('Cache-Control', 'no-store');
    res.status(e.status).json({
      error: e.expose ? e.code : 'server_error',
      message: e.expose ? e.message : 'Something went wrong on our side. Try again in a moment.',
      ...(e.expose && e.fields ? { fields: e.fields } : {}),
      ...(e.retryAfter ? { retryAfter: e.retryAfter } : {}),
    });
  };
}
