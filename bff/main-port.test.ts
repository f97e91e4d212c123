/**
 * Starting the portal on a port that is taken: it exits with a sentence that
 * says so and how to pick another port (PORT), not a bare EADDRINUSE.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

describe('start-up on a busy port', () => {
  let blocker: Server;
  let port: number;
  let dir: string;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'portal-port-'));
    blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
    port = (blocker.address() as { port: number }).port;
  });
  after(() => {
    blocker.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('exits 1 with the port, the reason and the PORT hint', () => {
    const run = spawnSync(process.execPath, ['bff/main.ts', '--no-build'], {
      env: {
        PATH: process.env.PATH,
        HOME: dir,
        NODE_ENV: 'development',
        PORT: String(port),
        HOST: '127.0.0.1',
        PUBLIC_URL: `http://127.0.0.1:${port}`,
        DATABASE_URL: `sqlite:${join(dir, 'portal.db')}`,
        LOG_LEVEL: 'error',
      },
      encoding: 'utf8',
      timeout: 60_000,
    });
    assert.equal(run.status, 1, run.stderr);
    assert.match(
      run.stderr,
      new RegExp(
        `port ${port} on 127\\.0\\.0\\.1 is already in use \\(another portal, or another program, listens there\\)\\. Stop it, or choose a free port: PORT=${port + 1} npm start`,
      ),
    );
    assert.doesNotMatch(run.stderr, /EADDRINUSE/);
  });
});
