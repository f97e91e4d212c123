import { createServer } from 'node:http';
import type { IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  /** Path and query, e.g. `/bff/setup?token=abc`. */
  url: string;
  headers: IncomingHttpHeaders;
  /** The raw request body ('' when none). */
  rawBody: string;
  /** The body parsed as JSON, or undefined. */
  json: unknown;
}

export interface Reply {
  status?: number;
  /** Sent as JSON unless `raw` is given. */
  body?: unknown;
  raw?: string;
  headers?: Record<string, string>;
}

export type Handler = (request: RecordedRequest) => Reply;

export interface TestServer {
  origin: string;
  requests: RecordedRequest[];
  close: () => Promise<void>;
}

/** A real HTTP server on 127.0.0.1:<random port>, answering from `handler`. */
export async function startServer(handler: Handler): Promise<TestServer> {
  const requests: RecordedRequest[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const rawBody = Buffer.concat(chunks).toString('utf8');
      let json: unknown;
      try {
        json = rawBody === '' ? undefined : JSON.parse(rawBody);
      } catch {
        json = undefined;
      }
      const recorded: RecordedRequest = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, rawBody, json };
      requests.push(recorded);
      let reply: Reply;
      try {
        reply = handler(recorded);
      } catch (error) {
        reply = { status: 500, raw: String(error) };
      }
      const status = reply.status ?? 200;
      if (reply.raw !== undefined) {
        res.writeHead(status, { 'Content-Type': 'text/html', ...reply.headers });
        res.end(reply.raw);
      } else if (reply.body === undefined) {
        res.writeHead(status, reply.headers);
        res.end();
      } else {
        res.writeHead(status, { 'Content-Type': 'application/json', ...reply.headers });
        res.end(JSON.stringify(reply.body));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
