/**
 * A small HTTP load balancer for multi-process tests: one public address,
 * requests spread round-robin over the backends marked live. A backend that
 * refuses the connection (killed, not yet marked down) is skipped, as nginx's
 * proxy_next_upstream does; one that dies after taking a request cuts the
 * client's connection, so the client sees the network error a browser would.
 */
import { createServer, request, type IncomingMessage, type ServerResponse } from 'node:http';

export interface HttpBalancer {
  url: string;
  /** Adds the backend, or points it at a new port, and puts it in rotation. */
  up(name: string, port: number): void;
  /** Takes the backend out of rotation. */
  down(name: string): void;
  /** Requests each backend answered (a response started). */
  served: Map<string, number>;
  close(): Promise<void>;
}

export async function startHttpBalancer(): Promise<HttpBalancer> {
  const backends = new Map<string, { port: number; live: boolean }>();
  const served = new Map<string, number>();
  let turn = 0;

  function pick(skip: Set<string>): [string, number] | null {
    const live = [...backends].filter(([name, b]) => b.live && !skip.has(name));
    if (live.length === 0) return null;
    const [name, b] = live[turn++ % live.length]!;
    return [name, b.port];
  }

  function forward(req: IncomingMessage, res: ServerResponse, body: Buffer, tried: Set<string>): void {
    const target = pick(tried);
    if (!target) {
      res.writeHead(503, { 'content-type': 'application/json', 'retry-after': '1' }).end('{"error":"no_backend"}');
      return;
    }
    const [name, port] = target;
    tried.add(name);
    const headers = { ...req.headers, connection: 'close' };
    let connected = false;
    const up = request({ host: '127.0.0.1', port, method: req.method, path: req.url, headers, agent: false }, (upRes) => {
      served.set(name, (served.get(name) ?? 0) + 1);
      res.writeHead(upRes.statusCode ?? 502, upRes.headers);
      upRes.pipe(res);
      upRes.on('aborted', () => req.socket.destroy());
      upRes.on('error', () => req.socket.destroy());
    });
    up.on('socket', (s) => s.once('connect', () => (connected = true)));
    up.on('error', () => {
      // Nothing reached a refused backend: another may take the request. Otherwise it may have
      // acted on it, so the client is told the way a dead server tells it: the connection drops.
      if (!connected && !res.headersSent) forward(req, res, body, tried);
      else req.socket.destroy();
    });
    up.end(body);
  }

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => forward(req, res, Buffer.concat(chunks), new Set()));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;

  return {
    url: `http://127.0.0.1:${port}`,
    up(name, p) {
      backends.set(name, { port: p, live: true });
    },
    down(name) {
      const b = backends.get(name);
      if (b) b.live = false;
    },
    served,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
