/**
 * Scenario k: the least a Node proxy can do in front of the gateway's API: no Express, no
 * session, no checks, the bearer token fixed, undici's stream() writing the answer straight
 * into the response. Not a way to run anything, only a floor: how close i can come to j on
 * this machine when the forwarding itself costs what it must.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { Agent } from 'undici';
import { serve } from '../ipc.ts';

const agent = new Agent({ connections: 512 });
let upstream = '';
let token = '';

const server = createServer((req: IncomingMessage, res: ServerResponse) => {
  agent
    .stream(
      { origin: upstream, path: req.url!, method: 'GET', opaque: res, headers: { authorization: `Bearer ${token}`, accept: 'application/json' } },
      (r) => {
        res.writeHead(r.statusCode, r.headers as Record<string, string>);
        return res;
      },
    )
    .catch(() => res.destroy());
});
await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
const { port } = server.address() as { port: number };

serve({
  setup: (o: { upstream: string; token: string }) => {
    upstream = o.upstream;
    token = o.token;
    return { url: `http://127.0.0.1:${port}` };
  },
  meter: () => {
    const { user, system } = process.cpuUsage();
    return { statements: 0, transactions: 0, cpuMicros: user + system };
  },
});
