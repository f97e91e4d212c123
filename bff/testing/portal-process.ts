/**
 * A real portal as its own OS process (`node bff/main.ts`), for tests that
 * kill it the hard way. It runs on the pinned Node that runs the tests, with
 * only the environment given here (never the test runner's own).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '../..');

export interface PortalProcess {
  port: number;
  child: ChildProcess;
  /** The last lines it wrote (stdout and stderr), for a failure message. */
  output(): string;
  /** SIGKILL, and wait until it is gone. */
  kill(): Promise<void>;
}

/** A loopback port nobody listens on right now. */
export async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as { port: number };
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** Starts `bff/main.ts --no-build` and resolves once /healthz answers 200 (at most `attempts` polls). */
export async function startPortalProcess(env: Record<string, string>, attempts = 600): Promise<PortalProcess> {
  const port = await freePort();
  const child = spawn(process.execPath, ['bff/main.ts', '--no-build'], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env, PORT: String(port), HOST: '127.0.0.1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const keep = (chunk: Buffer) => {
    lines.push(...chunk.toString().split('\n').filter(Boolean));
    lines.splice(0, Math.max(0, lines.length - 40));
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  let gone = false;
  void exited.then(() => (gone = true));
  const proc: PortalProcess = {
    port,
    child,
    output: () => lines.join('\n'),
    async kill() {
      if (!gone) child.kill('SIGKILL');
      await exited;
    },
  };
  for (let i = 0; i < attempts && !gone; i++) {
    const ok = await fetch(`http://127.0.0.1:${port}/healthz`).then(
      (r) => r.status === 200,
      () => false,
    );
    if (ok) return proc;
    await new Promise((r) => setTimeout(r, 100));
  }
  await proc.kill();
  throw new Error(`portal on port ${port} did not become healthy${gone ? ' (it exited)' : ''}:\n${proc.output()}`);
}
