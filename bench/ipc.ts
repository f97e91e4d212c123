/**
 * A small request/reply channel over Node's IPC, so the orchestrator can ask a
 * server child to mint codes on its own running app, and the load child to
 * run a scenario, without sharing an event loop with either.
 */
import { fork, type ChildProcess } from 'node:child_process';

interface Call {
  id: number;
  op: string;
  args?: unknown;
}
interface Reply {
  id: number;
  ok: boolean;
  value?: unknown;
  error?: string;
}

export type Handlers = Record<string, (args: any) => Promise<unknown> | unknown>;

/** In a child: answers calls from the parent, then says it is ready. `stop` exits after replying. */
export function serve(handlers: Handlers): void {
  const send = (m: Reply | { ready: true }) => new Promise<void>((r) => process.send!(m, undefined, undefined, () => r()));
  process.on('message', async (m: Call) => {
    if (m.op === 'stop') {
      // Cleanup first (a throwaway database schema), but exit whatever it says.
      await Promise.resolve(handlers.stop?.(undefined)).catch(() => undefined);
      await send({ id: m.id, ok: true });
      // A normal exit, so --cpu-prof writes its profile.
      process.exit(0);
    }
    const h = handlers[m.op];
    try {
      if (!h) throw new Error(`unknown op ${m.op}`);
      await send({ id: m.id, ok: true, value: await h(m.args) });
    } catch (e) {
      await send({ id: m.id, ok: false, error: e instanceof Error ? (e.stack ?? e.message) : String(e) });
    }
  });
  void send({ ready: true });
}

export class Child {
  readonly proc: ChildProcess;
  readonly name: string;
  #next = 1;
  #pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  #ready: Promise<void>;

  constructor(name: string, script: string, execArgv: string[] = [], args: string[] = []) {
    this.name = name;
    this.proc = fork(script, args, { execArgv: [...process.execArgv, ...execArgv], stdio: ['ignore', 'inherit', 'inherit', 'ipc'], serialization: 'advanced' });
    this.#ready = new Promise((resolve, reject) => {
      this.proc.once('exit', (code) => reject(new Error(`${name} exited early (code ${code})`)));
      this.proc.on('message', (m: Reply | { ready: true }) => {
        if ('ready' in m) return resolve();
        const p = this.#pending.get(m.id);
        if (!p) return;
        this.#pending.delete(m.id);
        if (m.ok) p.resolve(m.value);
        else p.reject(new Error(`${name}: ${m.error}`));
      });
    });
    this.#ready.catch(() => undefined);
    this.proc.on('exit', (code) => {
      for (const p of this.#pending.values()) p.reject(new Error(`${name} exited (code ${code})`));
      this.#pending.clear();
    });
  }

  async call<T>(op: string, args?: unknown): Promise<T> {
    await this.#ready;
    const id = this.#next++;
    return new Promise<T>((resolve, reject) => {
      this.#pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.proc.send({ id, op, args } satisfies Call);
    });
  }

  /** Asks the child to exit cleanly, and waits until it has. */
  async stop(): Promise<void> {
    if (this.proc.exitCode !== null || this.proc.signalCode !== null) return;
    const exited = new Promise<void>((r) => this.proc.once('exit', () => r()));
    await this.call('stop').catch(() => undefined);
    const timer = setTimeout(() => this.proc.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  }
}
