/**
 * A real API behind the gateway, for tests, the bench and the browser journey:
 * it validates each bearer token against the portal's JWKS (jose), checks the
 * issuer, the audience (RFC 8707) and a scope, and answers what it saw.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRemoteJWKSet, jwtVerify, type JWTPayload } from 'jose';
import { WebSocketServer } from 'ws';

export interface UpstreamApi {
  url: string;
  server: Server;
  /** Requests that reached the API (authenticated or not). */
  hits: number;
  /** The jti of every token it accepted, in order. */
  accepted: string[];
  /** Tokens (by jti) it answers 401 to, as if revoked on its side. */
  refuse: Set<string>;
  close(): Promise<void>;
}

export interface UpstreamOptions {
  issuer: string;
  audience: string;
  scope: string;
  /** Fixed port (the browser journey); 0 when absent. */
  port?: number;
}

const SPA_PAGE = `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>Orders</title></head>
<body><main><h1>Orders</h1><button id="load" type="button">Load my orders</button> <button id="place" type="button">Place an order</button>
<output id="result" aria-live="polite"></output></main><script src="app.js"></script></body></html>`;
// Calls the API the way a first-party SPA does: same origin, the cookie, the CSRF header on writes; never a token.
const SPA_SCRIPT = `const out = document.getElementById('result');
async function call(method) {
  const res = await fetch('/api/orders/me', { method, headers: method === 'GET' ? {} : { 'X-Portal-CSRF': '1', 'content-type': 'application/json' }, body: method === 'GET' ? undefined : '{"item":1}' });
  const body = await res.json();
  out.textContent = res.status + ' ' + method + ' ' + (body.aud || body.error);
}
document.getElementById('load').addEventListener('click', () => call('GET'));
document.getElementById('place').addEventListener('click', () => call('POST'));
`;

const json = (res: ServerResponse, status: number, body: unknown) => {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
};

export async function startUpstreamApi(opts: UpstreamOptions): Promise<UpstreamApi> {
  const jwks = createRemoteJWKSet(new URL(`${opts.issuer}/jwks`));
  const api: UpstreamApi = { url: '', server: undefined as unknown as Server, hits: 0, accepted: [], refuse: new Set(), close: async () => {} };

  async function verify(req: IncomingMessage): Promise<JWTPayload | null> {
    const m = /^Bearer (.+)$/.exec(req.headers.authorization ?? '');
    if (!m) return null;
    try {
      const { payload } = await jwtVerify(m[1]!, jwks, { issuer: opts.issuer, audience: opts.audience, typ: 'at+jwt' });
      return payload;
    } catch {
      return null;
    }
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    api.hits++;
    const url = new URL(req.url ?? '/', 'http://upstream.invalid');
    if (url.pathname === '/public') return json(res, 200, { public: true, authorization: req.headers.authorization ? 'present' : null });
    // A first-party SPA page for the browser journey, served through an anonymous route on the portal's origin.
    if (url.pathname === '/app/' || url.pathname === '/app/app.js') {
      const page = url.pathname === '/app/';
      res.writeHead(200, {
        'content-type': page ? 'text/html; charset=utf-8' : 'text/javascript',
        'content-security-policy': "default-src 'self'; script-src 'self'; frame-ancestors 'none'",
      });
      return void res.end(page ? SPA_PAGE : SPA_SCRIPT);
    }
    if (url.pathname === '/always-401') return json(res, 401, { error: 'invalid_token' });
    const claims = await verify(req);
    if (!claims || api.refuse.has(String(claims.jti))) {
      res.setHeader('www-authenticate', 'Bearer error="invalid_token"');
      return json(res, 401, { error: 'invalid_token' });
    }
    if (
      !String(claims.scope ?? '')
        .split(' ')
        .includes(opts.scope)
    )
      return json(res, 403, { error: 'insufficient_scope' });
    api.accepted.push(String(claims.jti));
    switch (url.pathname) {
      case '/upload': {
        let bytes = 0;
        for await (const chunk of req) bytes += (chunk as Buffer).length;
        return json(res, 200, { bytes });
      }
      case '/download': {
        const total = Number(url.searchParams.get('bytes') ?? 0);
        res.writeHead(200, { 'content-type': 'application/octet-stream' });
        const chunk = Buffer.alloc(64 * 1024, 120);
        for (let sent = 0; sent < total; sent += chunk.length) {
          if (!res.write(chunk.subarray(0, Math.min(chunk.length, total - sent)))) await new Promise((r) => res.once('drain', r));
        }
        return void res.end();
      }
      case '/slow':
        return; // never answers
      case '/redirect':
        res.writeHead(302, { location: url.searchParams.get('to') ?? '/' });
        return void res.end();
      case '/cookies':
        res.setHeader('set-cookie', ['portal=stolen; Path=/', '__Host-portal=stolen; Path=/; Secure', 'app_pref=dark; Path=/']);
        return json(res, 200, { ok: true });
      default:
        return json(res, 200, {
          sub: claims.sub,
          aud: claims.aud,
          scope: claims.scope,
          act: claims.act ?? null,
          method: req.method,
          path: url.pathname,
          query: url.search,
          cookie: req.headers.cookie ?? null,
          csrf: req.headers['x-portal-csrf'] ?? null,
          forwarded: {
            for: req.headers['x-forwarded-for'] ?? null,
            host: req.headers['x-forwarded-host'] ?? null,
            proto: req.headers['x-forwarded-proto'] ?? null,
          },
          requestId: req.headers['x-request-id'] ?? null,
        });
    }
  }

  const server = createServer((req, res) => {
    handle(req, res).catch(() => json(res, 500, { error: 'upstream_bug' }));
  });
  // WebSockets: the token must be on the handshake; the first message says what it saw, then it echoes.
  const wss = new WebSocketServer({ noServer: true });
  server.on('upgrade', (req, socket, head) => {
    verify(req).then(
      (claims) => {
        if (!claims) return void socket.end('HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\n\r\n');
        wss.handleUpgrade(req, socket, head, (ws) => {
          ws.send(JSON.stringify({ aud: claims.aud, sub: claims.sub, cookie: req.headers.cookie ?? null, for: req.headers['x-forwarded-for'] ?? null }));
          ws.on('message', (m) => ws.send(String(m)));
        });
      },
      () => socket.destroy(),
    );
  });
  await new Promise<void>((r) => server.listen(opts.port ?? 0, '127.0.0.1', r));
  api.server = server;
  api.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  api.close = () =>
    new Promise<void>((r) => {
      server.closeAllConnections();
      server.close(() => r());
    });
  return api;
}
