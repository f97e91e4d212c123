/**
 * One forwarded exchange: the browser's request streamed to the upstream and
 * the upstream's answer streamed back, nothing buffered. Failures before the
 * answer starts become the gateway's JSON errors (502 unreachable or garbled,
 * 504 too slow, 413 too large); after it starts, the browser's connection is
 * cut, as the upstream's was.
 */
import type { IncomingHttpHeaders, IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { EventEmitter } from 'node:events';
import { type Readable, Transform, type TransformCallback, Writable } from 'node:stream';
import { Agent, type Dispatcher, errors } from 'undici';
import type { ApiRoute } from '../store/store.ts';
import { AppError } from '../http/errors.ts';
import { browserResponseHeaders } from './headers.ts';
import type { Breaker } from './breaker.ts';

// Kept-alive sockets to each upstream: a TCP (and TLS) handshake per call would cost more than the call.
// undici (the engine of Node's own fetch) rather than node:http, and its stream() that writes the answer
// straight into the browser's response: the portal's CPU per proxied call went from about 450 to 260 µs
// together with the other changes of that commit (bench scenario i).
const AGENT = new Agent({ connections: 512, keepAliveTimeout: 10_000 });

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
  return e instanceof errors.HTTPParserError || (typeof e.code === 'string' && e.code.startsWith('HPE_')) ? garbled(e) : unreachable(e);
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
function redirectTarget(location: string, requested: string, route: ApiRoute, publicOrigin: string): string | null {
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
  /** The upstream's origin, and the path (with the query) asked of it. */
  origin: string;
  path: string;
  headers: OutgoingHttpHeaders;
  publicOrigin: string;
  /** Sent to the browser as X-Request-Id (unless the upstream sends its own, as before). */
  requestId: string;
  breaker: Breaker;
  /** Answer 'retry' instead of passing on a 401 (the request has no body and a token was sent). */
  retryOn401: boolean;
  withBody: boolean;
}

/** An abort signal for undici, which takes an EventEmitter as well as an AbortSignal: far cheaper than an AbortController per call. */
class Abort extends EventEmitter {
  aborted = false;
  abort(): void {
    if (this.aborted) return;
    this.aborted = true;
    this.emit('abort');
  }
}

/** Resolves 'done' once the answer is on its way (or the browser left), 'retry' on a 401 to retry. */
export function forward(i: ForwardInput): Promise<'done' | 'retry'> {
  const { req, res, route, breaker } = i;
  const abort = new Abort();
  // The browser went away before the upstream answered (or while it streams): stop the upstream call too.
  const onClose = () => {
    if (!res.writableFinished) abort.abort();
  };
  res.once('close', onClose);
  let limitError: AppError | null = null;
  let body: Readable | undefined;
  if (i.withBody) {
    const limit = new Limit(route.maxBodyBytes);
    limit.on('error', (e) => {
      limitError = e as AppError;
      req.unpipe(limit);
    });
    req.on('error', () => abort.abort());
    body = req.pipe(limit);
  }
  let outcome: 'done' | 'retry' = 'done';
  // undici's stream(): the answer is written straight into the browser's response, no stream in between.
  return AGENT.stream(
    {
      origin: i.origin,
      path: i.path,
      method: req.method as Dispatcher.HttpMethod,
      headers: i.headers as Record<string, string | string[]>,
      body,
      signal: abort,
      headersTimeout: route.timeoutMs,
      // A stalled download is cut after the route's timeout of silence, not held open forever.
      bodyTimeout: route.timeoutMs,
    },
    ({ statusCode: status, headers: upHeaders }) => {
      breaker.success();
      if (status === 401 && i.retryOn401) {
        outcome = 'retry';
        return new Writable({ write: (_c, _e, cb) => cb() });
      }
      const headers = browserResponseHeaders(upHeaders as IncomingHttpHeaders, i.requestId);
      const location = upHeaders.location;
      if (status >= 300 && status < 400 && typeof location === 'string') {
        const to = redirectTarget(location, `${i.origin}${i.path}`, route, i.publicOrigin);
        if (!to) throw offsite();
        headers.location = to;
      }
      res.writeHead(status, headers);
      return res;
    },
  ).then(
    () => {
      res.off('close', onClose);
      return outcome;
    },
    (e: NodeJS.ErrnoException) => {
      res.off('close', onClose);
      if (limitError) throw limitError;
      if (e instanceof AppError) throw e;
      // The browser left: nobody to answer.
      if (abort.aborted || res.destroyed) return 'done' as const;
      // Cut after the answer started: the browser's connection is cut too (the caller sees headers sent).
      if (res.headersSent) throw classify(e);
      breaker.failure();
      if (e.code === 'UND_ERR_HEADERS_TIMEOUT' || e.code === 'UND_ERR_CONNECT_TIMEOUT') throw slow();
      throw classify(e);
    },
  );
}
