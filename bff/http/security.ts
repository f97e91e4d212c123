/**
 * Security primitives, in one place: constant-time compare, safe redirects,
 * cross-site request checks and response headers. Nobody writes these twice.
 */
import { timingSafeEqual, createHash } from 'node:crypto';
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import proxyAddr from 'proxy-addr';
import type { Request, Response, NextFunction, RequestHandler } from 'express';
import { AppError } from './errors.ts';

/** Constant-time string comparison (hashes first so lengths do not leak). */
export function safeEqual(a: string, b: string): boolean {
  const ha = createHash('sha256').update(a).digest();
  const hb = createHash('sha256').update(b).digest();
  return timingSafeEqual(ha, hb) && a.length === b.length;
}

/**
 * A same-site relative path to send the browser to after sign-in, or '/'.
 * Refuses absolute URLs, protocol-relative `//evil`, backslash tricks, encoded
 * slashes and control characters (open-redirect matrix O1).
 */
export function safeReturnTo(value: unknown): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > 2048) return '/';
  if (!value.startsWith('/') || value.startsWith('//') || value.startsWith('/\\')) return '/';
  if (/[\u0000-\u001f\u007f\\]/.test(value)) return '/';
  let decoded: string;
  try {
    decoded = decodeURIComponent(value);
  } catch {
    return '/';
  }
  if (decoded.startsWith('//') || decoded.startsWith('/\\') || /[\u0000-\u001f\u007f\\]/.test(decoded)) return '/';
  // The URL parser is the final judge: it must stay on our (dummy) origin.
  const parsed = new URL(value, 'http://portal.invalid');
  if (parsed.origin !== 'http://portal.invalid') return '/';
  // Dot segments can empty the first segment: `/..//evil` and `/.//evil` parse to the path
  // `//evil`, which a browser reads as a protocol-relative URL to another site.
  if (parsed.pathname.startsWith('//')) return '/';
  return parsed.pathname + parsed.search + parsed.hash;
}

export const CSRF_HEADER = 'x-portal-csrf';

/**
 * Refuses state-changing requests that are not same-origin: they must carry
 * the custom header (which a cross-site form cannot set without a CORS
 * preflight we never answer) and a same-origin Sec-Fetch-Site or Origin.
 */
export function requireSameOrigin(publicUrl: string): RequestHandler {
  const origin = new URL(publicUrl).origin;
  return (req: Request, _res: Response, next: NextFunction) => {
    if (req.method === 'GET' || req.method === 'HEAD' || req.method === 'OPTIONS') return next();
    if (!isSameOriginRequest(req.headers, origin) || req.get(CSRF_HEADER) !== '1') {
      return next(new AppError('csrf_rejected', 'This request did not come from the portal itself and was refused.', { status: 403 }));
    }
    next();
  };
}

/** Takes node's headers, so the gateway (which runs without Express) asks the same question. */
export function isSameOriginRequest(headers: IncomingHttpHeaders, origin: string): boolean {
  const site = headers['sec-fetch-site'] as string | undefined;
  if (site && site !== 'same-origin' && site !== 'none') return false;
  const o = headers.origin;
  if (o && o !== origin) return false;
  // Browsers without Fetch Metadata send Origin on POST; require one of the two.
  return Boolean(site || o);
}

/**
 * For server-to-server APIs (the compat adapters): refuses what a browser sends
 * from a page on another site (a foreign Origin, or Sec-Fetch-Site cross-site
 * or same-site) with 403 `forbidden_origin`; callers without either header pass.
 */
export function refuseCrossSiteBrowsers(publicUrl: string): RequestHandler {
  const origin = new URL(publicUrl).origin;
  return (req: Request, _res: Response, next: NextFunction) => {
    const o = req.get('origin');
    const site = req.get('sec-fetch-site');
    if ((o && o !== origin) || site === 'cross-site' || site === 'same-site') {
      return next(new AppError('forbidden_origin', 'This endpoint does not accept cross-site browser requests.', { status: 403 }));
    }
    next();
  };
}

/**
 * Whether a WebSocket upgrade's Origin may connect: browsers always send one, and a
 * foreign one is cross-site WebSocket hijacking; non-browser clients send none, or
 * `*` as in Zenith's own example.
 */
export function allowedWebSocketOrigin(origin: string | undefined, publicUrl: string): boolean {
  return origin === undefined || origin === '*' || origin === new URL(publicUrl).origin;
}

/**
 * The gateway's WebSocket handshakes (first-party pages' APIs): the portal's own Origin, or none
 * (not a browser). Unlike Zenith's, `*` is foreign here: no page of the portal sends it.
 */
export function ownOriginWebSocket(origin: string | undefined, publicOrigin: string): boolean {
  return origin === undefined || origin === publicOrigin;
}

/** Headers for every response; HTML gets a strict CSP that forbids framing. */
export function securityHeaders(opts: { https: boolean }): RequestHandler {
  const csp = [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' https: data:",
    "connect-src 'self'",
    "font-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
  return (_req, res, next) => {
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('X-Frame-Options', 'DENY');
    res.setHeader('Referrer-Policy', 'no-referrer');
    res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
    res.setHeader('Content-Security-Policy', csp);
    if (opts.https) res.setHeader('Strict-Transport-Security', 'max-age=31536000; includeSubDomains');
    next();
  };
}

/** The caller's IP as Express resolved it (honours TRUST_PROXY hops only). */
export function clientIp(req: Request): string | null {
  return req.ip ?? null;
}

/** Which hops' X-Forwarded-For to believe: the app's compiled `trust proxy` setting (Express's `trust proxy fn`). */
export type TrustProxy = (addr: string, hop: number) => boolean;

/**
 * clientIp() for a request Express never saw (the gateway, WebSocket upgrades): the nearest address
 * not trusted as a proxy, as Express's req.ip (a peer that is not one needs no header parsed).
 */
export function clientAddress(req: IncomingMessage, trust: TrustProxy): string | null {
  const peer = req.socket.remoteAddress;
  if (peer === undefined) return null;
  return trust(peer, 0) ? proxyAddr(req, trust) : peer;
}
