/**
 * Boots the real app (real provider, real store) on a loopback port for
 * integration tests. PUBLIC_URL must name the port, so the server listens
 * first and the app is attached once the port is known.
 */
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, type Config } from '../config/config.ts';
import { openStore } from '../store/open-store.ts';
import type { Store } from '../store/store.ts';
import { attachGatewayUpgrades, attachZenith, createApp, type App } from '../app.ts';
import { createLogger } from '../http/logger.ts';
import { PG_URL, TEST_SECRETS_ENV, tempDatabase } from './temp-store.ts';
import type { SessionTestHooks } from '../session/sessions.ts';

export interface TestApp extends App {
  url: string;
  config: Config;
  store: Store;
  server: Server;
  /** Advances the injected clock (ms). The provider itself keeps real time. */
  clock: { offset: number };
  close(): Promise<void>;
}

export interface TestAppOptions {
  /** 'sqlite' (a temp file, default) or 'postgres' (a temp schema at TEST_DATABASE_URL). */
  db?: 'sqlite' | 'postgres';
  /** Reuse an existing store (a second instance on the same database). */
  store?: Store;
  databaseUrl?: string;
  env?: Record<string, string>;
  /** Test seams inside the session service (see SessionTestHooks). */
  sessionTestHooks?: SessionTestHooks;
  /** A built SPA to serve (a folder with index.html); by default none. */
  webDir?: string;
}

// Many tests import these from here.
export { PG_URL, TEST_SECRETS_ENV };

export async function startTestApp(opts: TestAppOptions = {}): Promise<TestApp> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  const url = `http://127.0.0.1:${port}`;

  const cleanups: Array<() => Promise<void> | void> = [];
  async function start() {
    let databaseUrl = opts.databaseUrl;
    if (!databaseUrl && !opts.store) {
      const temp = await tempDatabase(opts.db ?? 'sqlite');
      databaseUrl = temp.url;
      cleanups.push(() => temp.remove());
    }
    const config = loadConfig({
      NODE_ENV: 'test',
      PUBLIC_URL: url,
      DATABASE_URL: databaseUrl ?? 'sqlite::memory:',
      ...TEST_SECRETS_ENV,
      LOG_LEVEL: 'silent',
      // Development mail (no SMTP_URL) lands in a throwaway folder, never in ./data/mail.
      MAIL_DIR: join(tmpdir(), 'portal-test-mail'),
      ...opts.env,
    });
    const store = opts.store ?? (await openStore(config.databaseUrl, { timeoutMs: config.databaseTimeoutMs }));
    if (!opts.store) {
      cleanups.unshift(() => store.close());
      await store.migrate();
    }
    const clock = { offset: 0 };
    const app = await createApp({
      config,
      store,
      logger: createLogger(config.logLevel),
      now: () => Date.now() + clock.offset,
      webDir: opts.webDir ?? join(tmpdir(), 'portal-no-web'),
      sessionTestHooks: opts.sessionTestHooks,
    });
    app.setSelfOrigin(url);
    server.on('request', app.handler);
    attachZenith(server, app.deps, app.trustProxy);
    attachGatewayUpgrades(server, app);
    return { app, config, clock };
  }

  // What was opened before a failure (a migration timing out under load, say) is closed again,
  // so a failed start never leaves a listening server that keeps the test process alive.
  let started: Awaited<ReturnType<typeof start>>;
  try {
    started = await start();
  } catch (e) {
    server.close();
    await runAll(cleanups).catch(() => undefined);
    throw e;
  }
  const { app, config, clock } = started;

  return {
    ...app,
    url,
    config,
    // The app's own view of the store: client secrets and signing keys decrypted.
    store: app.deps.store,
    server,
    clock,
    async close() {
      await app.mail.close();
      await app.partnerLogout.stop();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
      await runAll(cleanups);
    },
  };
}

/** Runs every cleanup even when one fails (so none is left open), then throws the first failure. */
export async function runAll(cleanups: Array<() => Promise<unknown> | unknown>): Promise<void> {
  let first: unknown = null;
  for (const c of cleanups) {
    try {
      await c();
    } catch (e) {
      first ??= e;
    }
  }
  if (first !== null) throw first;
}
