/**
 * One forwarded exchange: the browser's request streamed to the upstream and
 * the upstream's answer streamed back, nothing buffered. Failures before the
 * answer starts become the gateway's JSON errors (502 unreachable or garbled,
 * 504 too slow, 413 too large); after it starts, the browser's connection is
 * cut, as the upstream's was.
 */
import http, { type IncomingMessage, type OutgoingHttpHeaders, type ServerResponse } from 'node:http';
import https from 'node:https';
import { Transform, type TransformCallback } from 'node:stream';
import type { ApiRoute } from '../store/store.ts';
import { AppError } from '../http/errors.ts';
import { browserResponseHeaders } from './headers.ts';
import type { Breaker } from './breaker.ts';

// Kept-alive sockets to each upstream: a TCP (and TLS) handshake per call would cost more than the call.
const AGENTS = { 'http:': new http.Agent({ keepAlive: true, maxSockets: 512 }), 'https:': new https.Agent({ keepAlive: true, maxSockets: 512 }) };

export const tooLarge = (max: number) => new AppError('body_too_large', `The request body is larger than this API accepts (${max} bytes).`, { status: 413 });
const unreachable = (cause: unknown) =>
  new AppError('upstream_unreachable', 'The API behind this address could not be reached. Try again in a moment.', { status: 502, expose: true, cause });
const garbled = (cause: unknown) =>
  new AppError('upstream_invalid_response', 'The API behind this address answered with something that is not valid HTTP.', {
    status: 502,
    expose: true,
    cause,
  });
const slow = () =>
  new AppError('upstream_timeout', 'The API behind this address did not answer in time. Try again in a moment.', { status: 504, expose: true });
const offsite = () =>
  new AppError('upstream_redirect_refused', 'The API redirected somewhere this portal does not send browsers to.', { status: 502, expose: true });

function classify(e: NodeJS.ErrnoException): AppError {
  return typeof e.code === 'string' && e.code.startsWith('HPE_') ? garbled(e) : unreachable(e);
}

/** Counts the body as it streams past and fails once it exceeds `max`. */
class Limit extends Transform {
  #seen = 0;
  readonly #max: number;
  constructor(max: number) {
    super();
    this.#max = max;
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.#seen += chunk.length;
    cb(this.#seen > this.#max ? tooLarge(this.#max) : null, chunk);
  }
}

/**
 * Where an upstream redirect may send the browser: the portal's own origin as is; the upstream
 * below this route, rewritten onto the route's path; anywhere else only if the route allows it.
 */
function redirectTarget(location: string, requested: URL, route: ApiRoute, publicOrigin: string): string | null {
  let to: URL;
  try {
    to = new URL(location, requested);
  } catch {
    return null;
  }
  const base = new URL(route.upstream);
  const basePath = base.pathname.replace(/\/$/, '');
  if (to.origin === base.origin && (to.pathname === basePath || to.pathname.startsWith(`${basePath}/`) || basePath === '')) {
    return `${publicOrigin}${route.path}${to.pathname.slice(basePath.length)}${to.search}${to.hash}`;
  }
  if (to.origin === publicOrigin) return to.href;
  return route.allowRedirects ? to.href : null;
}

export interface ForwardInput {
  req: IncomingMessage;
  res: ServerResponse;
  route: ApiRoute;
  target: URL;
  headers: OutgoingHttpHeaders;
  publicOrigin: string;
  breaker: Breaker;
  /** Answer 'retry' instead of passing on a 401 (the request has no body and a token was sent). */
  retryOn401: boolean;
  withBody: boolean;
}

/** Resolves 'done' once the answer is on its way (or the browser left), 'retry' on a 401 to retry. */
export function forward(i: ForwardInput): Promise<'done' | 'retry'> {
  const { req, res, route, target, breaker } = i;
  return new Promise((resolve, reject) => {
    let settled = false;
    const upReq = (target.protocol === 'https:' ? https : http).request(target, {
      method: req.method,
      headers: i.headers,
      agent: AGENTS[target.protocol as 'http:'],
    });
    const fail = (e: AppError) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      upReq.destroy();
      reject(e);
    };
    const timer = setTimeout(() => {
      breaker.failure();
      fail(slow());
    }, route.timeoutMs);
    upReq.on('error', (e: NodeJS.ErrnoException) => {
      if (settled) return;
      breaker.failure();
      fail(classify(e));
    });
    upReq.on('response', (upRes) => {
      clearTimeout(timer);
      if (settled) return upRes.destroy();
      breaker.success();
      const status = upRes.statusCode ?? 502;
      if (status === 401 && i.retryOn401) {
        settled = true;
        upRes.resume();
        return resolve('retry');
      }
      const headers = browserResponseHeaders(upRes.headers);
      if (status >= 300 && status < 400 && typeof upRes.headers.location === 'string') {
        const to = redirectTarget(upRes.headers.location, target, route, i.publicOrigin);
        if (!to) {
          upRes.resume();
          return fail(offsite());
        }
        headers.location = to;
      }
      settled = true;
      res.writeHead(status, headers);
      // A stalled download is cut after the route's timeout of silence, not held open forever.
      upRes.setTimeout(route.timeoutMs, () => upRes.destroy());
      upRes.on('error', () => res.destroy());
      upRes.on('aborted', () => res.destroy());
      upRes.pipe(res);
      upRes.on('end', () => resolve('done'));
      res.on('close', () => {
        if (!upRes.complete) upRes.destroy();
        resolve('done');
      });
    });
    // The browser went away before the upstream answered: stop the upstream call too.
    res.on('close', () => {
      if (!settled) {
        settled = true;
        clearTimeout(timer);
        upReq.destroy();
        resolve('done');
      }
    });
    if (!i.withBody) {
      upReq.end();
      return;
    }
    const limit = new Limit(route.maxBodyBytes);
    limit.on('error', (e) => {
      req.unpipe(limit);
      fail(e as AppError);
    });
    req.on('error', () => upReq.destroy());
    req.pipe(limit).pipe(upReq);
  });
}
