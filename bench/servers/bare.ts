/**
 * The baseline: Express 5 as it comes, answering a small JSON body. Same Node,
 * same machine, its own process, like the portal.
 */
import { createServer } from 'node:http';
import express from 'express';
import { serve } from '../ipc.ts';

const app = express();
app.get('/json', (_req, res) => {
  res.json({ hello: 'world', ok: true });
});

const server = createServer(app);
await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
const { port } = server.address() as { port: number };

serve({ info: () => ({ url: `http://127.0.0.1:${port}` }) });
