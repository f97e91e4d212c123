/**
 * A TCP relay in front of a real server (PostgreSQL), for outage tests. It
 * can freeze (connections stay open, nothing moves: what a SIGSTOPped or
 * partitioned server looks like) and go down (connections cut, the port
 * refuses), then come back, without touching the shared server itself.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';

export interface TcpProxy {
  port: number;
  /** Holds every byte in both directions, on open and new connections, until thaw(). */
  freeze(): void;
  thaw(): void;
  /** Cuts every connection and stops listening: connecting is refused. */
  down(): Promise<void>;
  up(): Promise<void>;
  close(): Promise<void>;
}

export async function startTcpProxy(host: string, port: number): Promise<TcpProxy> {
  let frozen = false;
  const held: Array<() => void> = [];
  const sockets = new Set<Socket>();

  function relay(from: Socket, to: Socket): void {
    from.on('data', (chunk: Buffer) => {
      if (frozen) held.push(() => to.write(chunk));
      else to.write(chunk);
    });
    from.on('close', () => to.destroy());
    from.on('error', () => to.destroy());
  }

  function onConnection(client: Socket): void {
    const upstream = connect(port, host);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
    }
    relay(client, upstream);
    relay(upstream, client);
  }

  let server: Server = createServer(onConnection);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const local = (server.address() as { port: number }).port;

  const listen = () =>
    new Promise<void>((resolve, reject) => {
      server = createServer(onConnection);
      server.once('error', reject);
      server.listen(local, '127.0.0.1', () => resolve());
    });
  const stop = () =>
    new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      held.length = 0;
      if (!server.listening) return resolve();
      server.close(() => resolve());
    });

  return {
    port: local,
    freeze() {
      frozen = true;
    },
    thaw() {
      frozen = false;
      for (const flush of held.splice(0)) flush();
    },
    down: stop,
    up: listen,
    close: stop,
  };
}
