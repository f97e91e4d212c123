/**
 * What crosses the gateway in each direction: hop-by-hop headers stay on their
 * hop (RFC 9110 §7.6.1), the portal's own cookies, CSRF header and any bearer
 * the browser sent never reach an upstream, and an upstream can never set or
 * clear the portal's cookies.
 */
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';
import { CSRF_HEADER } from '../http/security.ts';

const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);
/** The portal's cookies: the session (`portal`, `__Host-portal`), its sign-in cookies and the provider's (`portal_op…`). */
const PORTAL_COOKIE = /^(__Host-|__Secure-)?portal($|[-_.])/;

function hopByHop(headers: IncomingHttpHeaders): Set<string> {
  // The usual Connection values name no other header: no new set per call.
  const connection = headers.connection;
  if (connection === undefined || connection === 'keep-alive' || connection === 'close') return HOP_BY_HOP;
  const named = String(connection)
    .toLowerCase()
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  return new Set([...HOP_BY_HOP, ...named]);
}

/** Never forwarded as the browser sent them: the portal's own credentials, and what the portal sets afresh. */
const NOT_FORWARDED = new Set(['host', 'cookie', 'authorization', CSRF_HEADER, 'forwarded']);

/** The cookie header without the portal's cookies, or undefined when nothing is left (one pass, no arrays). */
function foreignCookies(header: string | undefined): string | undefined {
  if (!header) return undefined;
  let kept = '';
  let start = 0;
  while (start <= header.length) {
    let end = header.indexOf(';', start);
    if (end < 0) end = header.length;
    const c = header.slice(start, end).trim();
    start = end + 1;
    if (!c) continue;
    const eq = c.indexOf('=');
    if (PORTAL_COOKIE.test(eq < 0 ? c : c.slice(0, eq).trim())) continue;
    kept = kept ? `${kept}; ${c}` : c;
  }
  return kept || undefined;
}

// X-Forwarded-Proto and -Host of the portal's public URL, worked out once.
const forwardedOf = new WeakMap<URL, { proto: string; host: string }>();
function forwardedFor(publicUrl: URL): { proto: string; host: string } {
  let f = forwardedOf.get(publicUrl);
  if (!f) {
    f = { proto: publicUrl.protocol.replace(':', ''), host: publicUrl.host };
    forwardedOf.set(publicUrl, f);
  }
  return f;
}

export interface Forwarding {
  clientIp: string | null;
  publicUrl: URL;
  requestId: string;
  token: string | null;
  /** Keep Upgrade/Connection (a WebSocket handshake). */
  upgrade?: boolean;
}

export function upstreamRequestHeaders(incoming: IncomingHttpHeaders, f: Forwarding): OutgoingHttpHeaders {
  const skip = hopByHop(incoming);
  const out: OutgoingHttpHeaders = {};
  for (const name in incoming) {
    const value = incoming[name];
    if (value === undefined || skip.has(name) || NOT_FORWARDED.has(name) || name.startsWith('x-forwarded-')) continue;
    out[name] = value;
  }
  const cookie = foreignCookies(incoming.cookie);
  if (cookie) out.cookie = cookie;
  if (f.token) out.authorization = `Bearer ${f.token}`;
  // Set afresh, never trusted from the browser: what the portal itself saw.
  if (f.clientIp) out['x-forwarded-for'] = f.clientIp;
  const forwarded = forwardedFor(f.publicUrl);
  out['x-forwarded-proto'] = forwarded.proto;
  out['x-forwarded-host'] = forwarded.host;
  out['x-request-id'] = f.requestId;
  if (f.upgrade) {
    out.connection = 'Upgrade';
    out.upgrade = incoming.upgrade;
  }
  return out;
}

/**
 * The upstream's response headers minus hop-by-hop ones and any Set-Cookie for a portal cookie,
 * after the gateway's X-Request-Id (an X-Request-Id of the upstream's own replaces it).
 */
export function browserResponseHeaders(incoming: IncomingHttpHeaders, requestId?: string): OutgoingHttpHeaders {
  const skip = hopByHop(incoming);
  const upstreamId = incoming['x-request-id'] !== undefined && !skip.has('x-request-id');
  const out: OutgoingHttpHeaders = requestId === undefined || upstreamId ? {} : { 'X-Request-Id': requestId };
  for (const name in incoming) {
    const value = incoming[name];
    if (value === undefined || skip.has(name)) continue;
    if (name === 'set-cookie') {
      const kept = (value as string[]).filter((c) => !PORTAL_COOKIE.test(c.split('=')[0]!.trim()));
      if (kept.length) out[name] = kept;
      continue;
    }
    out[name] = value;
  }
  // An API's answer is served from the portal's origin: it must never run as a page there.
  out['x-content-type-options'] = 'nosniff';
  if (!out['content-security-policy']) out['content-security-policy'] = "default-src 'none'; frame-ancestors 'none'; sandbox";
  return out;
}

/** Whether a request carries a body (which then cannot be sent twice). */
export function hasBody(headers: IncomingHttpHeaders): boolean {
  return headers['transfer-encoding'] !== undefined || (headers['content-length'] !== undefined && headers['content-length'] !== '0');
}
