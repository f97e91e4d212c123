/**
 * WebSocket upgrades through a gateway route: the same checks as an HTTP call
 * (route, same-origin browser, signed in, role), then the handshake is sent to
 * the upstream with the API token on it and, once the upstream answers 101,
 * both sockets are joined. The browser never sees the token; everything that
 * can be refused is refused before the 101, as JSON with a request id.
 */
import http, { STATUS_CODES, type IncomingMessage, type Server } from 'node:http';
import https from 'node:https';
import { randomUUID } from 'node:crypto';
import type { Duplex } from 'node:stream';
import type { SessionDeps } from '../session/guard.ts';
import { toAppError } from '../http/error-handler.ts';
import { clientAddress, ownOriginWebSocket, type TrustProxy } from '../http/security.ts';
import { API_PREFIX, routeTable } from './route-table.ts';
import { upstreamRequestHeaders } from './headers.ts';
import { upstreamUrl } from './routes.ts';
import { apiToken } from './tokens.ts';

const PORTAL_COOKIE = /^(__Host-|__Secure-)?portal($|[-_.])/i;

function refuse(socket: Duplex, status: number, error: string, message: string, requestId: string, retryAfter?: number): void {
  if (socket.destroyed) return;
  const body = JSON.stringify({ error, message, requestId, ...(retryAfter ? { retryAfter } : {}) });
  const wait = retryAfter ? `Retry-After: ${retryAfter}\r\n` : '';
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nX-Request-Id: ${requestId}\r\n${wait}Connection: close\r\n\r\n${body}`,
  );
}

/**
 * Handles the server's 'upgrade' event below /api; `otherPaths` are upgrades someone else answers (Zenith).
 * `trustProxy` is the app's, so the upstream is told the same client address as for an HTTP call.
 */
export function attachGateway(server: Server, deps: SessionDeps, otherPaths: string[], trustProxy: TrustProxy): void {
  const table = routeTable(deps.store);
  const publicUrl = new URL(deps.config.publicUrl);

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const pathname = (req.url ?? '/').split('?')[0]!;
    const requestId = randomUUID();
    if (pathname !== API_PREFIX && !pathname.startsWith(`${API_PREFIX}/`)) {
      if (!otherPaths.includes(pathname)) refuse(socket, 404, 'not_found', 'Not found.', requestId);
      return;
    }
    socket.on('error', () => socket.destroy());
    upgrade(req, socket, head, pathname, requestId).catch((err: unknown) => {
      const e = toAppError(err);
      const status = e.status === 500 ? 502 : e.status;
      if (status >= 500) deps.logger.warn({ requestId, err: e.cause ?? e }, 'gateway upgrade failed');
      refuse(
        socket,
        status,
        e.expose && status !== 502 ? e.code : 'bad_gateway',
        e.expose && status !== 502 ? e.message : 'The portal could not open this connection.',
        requestId,
        e.retryAfter,
      );
    });
  });

  async function upgrade(req: IncomingMessage, socket: Duplex, head: Buffer, pathname: string, requestId: string): Promise<void> {
    const route = await table.match(pathname);
    if (!route) return refuse(socket, 404, 'api_route_not_found', `No API is configured at ${pathname}.`, requestId);
    // Browsers always send Origin on a WebSocket handshake: a foreign one is cross-site WebSocket hijacking.
    if (!ownOriginWebSocket(req.headers.origin, publicUrl.origin)) {
      return refuse(socket, 403, 'csrf_rejected', 'This connection did not come from the portal itself and was refused.', requestId);
    }
    const sid = await deps.sealCache.sid(req, deps.cookies.session.cookieName);
    const current = sid ? await deps.sessions.load(sid) : null;
    if (!current && !route.anonymous) return refuse(socket, 401, 'not_signed_in', 'You are not signed in.', requestId);
    if (route.requireRole && current?.user.role !== route.requireRole)
      return refuse(socket, 403, 'role_required', `This API is for people with the ${route.requireRole} role.`, requestId);
    const target = upstreamUrl(route, req.url ?? pathname);
    const token = current && route.resource ? await apiToken(deps, current.session, route) : null;
    const headers = upstreamRequestHeaders(req.headers, { clientIp: clientAddress(req, trustProxy), publicUrl, requestId, token, upgrade: true });
    const upReq = (target.protocol === 'https:' ? https : http).request(target, { method: 'GET', headers });
    const timer = setTimeout(() => {
      upReq.destroy();
      refuse(socket, 504, 'upstream_timeout', 'The API behind this address did not answer in time.', requestId);
    }, route.timeoutMs);
    upReq.on('error', () => {
      clearTimeout(timer);
      refuse(socket, 502, 'upstream_unreachable', 'The API behind this address could not be reached.', requestId);
    });
    upReq.on('response', (res) => {
      clearTimeout(timer);
      res.resume();
      refuse(socket, 502, 'upstream_refused_upgrade', `The API answered ${res.statusCode} instead of opening the connection.`, requestId);
    });
    upReq.on('upgrade', (res, upSocket, upHead) => {
      clearTimeout(timer);
      if (socket.destroyed) return upSocket.destroy();
      const lines = [`HTTP/1.1 101 Switching Protocols`];
      for (let i = 0; i < res.rawHeaders.length; i += 2) {
        const [name, value] = [res.rawHeaders[i]!, res.rawHeaders[i + 1]!];
        if (name.toLowerCase() === 'set-cookie' && PORTAL_COOKIE.test(value.split('=')[0]!.trim())) continue;
        lines.push(`${name}: ${value}`);
      }
      socket.write(`${lines.join('\r\n')}\r\n\r\n`);
      if (upHead.length) socket.write(upHead);
      if (head.length) upSocket.write(head);
      upSocket.on('error', () => socket.destroy());
      socket.on('close', () => upSocket.destroy());
      upSocket.on('close', () => socket.destroy());
      upSocket.pipe(socket).pipe(upSocket);
      deps.logger.info({ requestId, method: 'GET', route: route.path, path: pathname, status: 101, user: current?.user.id }, 'gateway');
    });
    upReq.end();
  }
}
