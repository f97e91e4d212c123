/**
 * The Zenith endpoint on the HTTP server: `GET /Zenith?version=1.1` upgraded
 * to a WebSocket speaking `ZenithJson`. Everything that can be refused is
 * refused before the 101: a foreign browser Origin (403), an unknown version
 * or subprotocol (400), an invalid `Authorization: <Provider> <token>` header (401).
 */
import type { IncomingMessage, Server } from 'node:http';
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import type { Deps } from '../../deps.ts';
import { allowedWebSocketOrigin, clientAddress, type TrustProxy } from '../../http/security.ts';
import { decodeAccessToken, MAX_PAYLOAD, parseVersion, PATH, SUBPROTOCOL } from './schema.ts';
import { throttleFor, type Identity } from './auth.ts';
import { identityFromAuthToken } from './renewal.ts';
import { LIMITS, serveConnection, type Connection } from './connection.ts';
import { createHeartbeat } from './heartbeat.ts';

export interface ZenithServer {
  /** Closes every Zenith socket (1001, going away). */
  close(): void;
}

/** Handles the server's 'upgrade' event for /Zenith. */
/** `trustProxy` is the app's (App.trustProxy), so a socket's address is the one Express would give its HTTP calls. */
export function attachZenith(server: Server, deps: Deps, trustProxy: TrustProxy): ZenithServer {
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: MAX_PAYLOAD,
    perMessageDeflate: false,
    // The heartbeat wheel already holds every connection: no second set of them.
    clientTracking: false,
    handleProtocols: (offered) => (offered.has(SUBPROTOCOL) ? SUBPROTOCOL : false),
  });
  const heartbeat = createHeartbeat<Connection>(LIMITS.heartbeat);

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = new URL(req.url ?? '/', 'http://zenith.invalid');
    if (url.pathname !== PATH) {
      // Nobody else takes upgrades: answer instead of leaving the socket hanging.
      if (server.listenerCount('upgrade') === 1) refuse(socket, 404, 'Not found.');
      return;
    }
    socket.on('error', destroySocket);
    upgrade(req, socket, head, url).catch((err: unknown) => {
      deps.logger.error({ err }, 'zenith upgrade failed');
      refuse(socket, 503, 'The server cannot accept this connection right now.');
    });
  });

  async function upgrade(req: IncomingMessage, socket: Duplex, head: Buffer, url: URL): Promise<void> {
    if (!allowedWebSocketOrigin(req.headers.origin, deps.config.publicUrl)) {
      refuse(socket, 403, 'This origin may not open a Zenith connection.');
      return;
    }
    const version = parseVersion(url.searchParams.get('version'));
    if (!version || url.searchParams.getAll('version').length > 1) {
      refuse(socket, 400, 'Unsupported version: use version=1.1 or version=2.0.');
      return;
    }
    const offered = (req.headers['sec-websocket-protocol'] ?? '')
      .split(',')
      .map((p) => p.trim())
      .filter(Boolean);
    if (offered.length > 0 && !offered.includes(SUBPROTOCOL)) {
      refuse(socket, 400, `Unsupported subprotocol: use ${SUBPROTOCOL}.`);
      return;
    }
    const ip = clientAddress(req, trustProxy) ?? 'unknown';
    let identity: Identity | null = null;
    const authorization = req.headers.authorization;
    if (authorization !== undefined) {
      const throttle = throttleFor(deps, ip);
      const wait = await throttle.blocked();
      if (wait !== null) {
        refuse(socket, 429, 'Too many failed authentication attempts.', { 'Retry-After': String(wait) });
        return;
      }
      // "Provider as the Scheme and AccessToken as the Token": the same operation as Auth:AuthToken.
      const m = /^(\S{1,64}) +(\S{1,16384})$/.exec(authorization.trim());
      identity = m ? await identityFromAuthToken(deps, m[1]!, decodeAccessToken(m[2]!), null) : null;
      if (!identity) {
        await throttle.failed();
        refuse(socket, 401, 'The access token is not valid.', { 'WWW-Authenticate': 'Bearer error="invalid_token"' });
        return;
      }
      await throttle.succeeded();
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      serveConnection(ws, { deps, echoTopic: version.echoTopic, ip, identity, heartbeat });
    });
  }

  return {
    close() {
      for (const c of [...heartbeat.all()]) c.ws.close(1001, 'Server shutting down');
      heartbeat.stop();
    },
  };
}

/** One function for every socket's 'error' listener, not a closure each. */
function destroySocket(this: Duplex): void {
  this.destroy();
}

/** Writes a plain HTTP answer on a socket that was never upgraded, then closes it. */
function refuse(socket: Duplex, status: number, message: string, headers: Record<string, string> = {}): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const body = `${message}\n`;
  const lines = [
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}`,
    'Connection: close',
    'Content-Type: text/plain; charset=utf-8',
    `Content-Length: ${Buffer.byteLength(body)}`,
    'Cache-Control: no-store',
    ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`),
  ];
  socket.once('finish', () => socket.destroy());
  socket.end(`${lines.join('\r\n')}\r\n\r\n${body}`);
}
