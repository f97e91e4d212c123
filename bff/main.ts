/**
 * The only file with side effects: loadConfig → openStore → createApp → listen.
 */
import { createServer } from 'node:http';
import { ConfigError, loadConfig } from './config/config.ts';
import { openStore } from './store/open-store.ts';
import { createLogger } from './http/logger.ts';
import { prettyDestination, wantsPrettyLogs } from './http/pretty-log.ts';
import { attachGatewayUpgrades, attachZenith, createApp } from './app.ts';
import { expireImpersonations } from './impersonation/impersonation.ts';
import { createSetupLink } from './accounts/setup.ts';
import { buildSpa, spaIsStale } from './build-spa.ts';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (e) {
    if (e instanceof ConfigError) {
      console.error(e.message);
      process.exit(2);
    }
    throw e;
  }
  const logger = createLogger(config.logLevel, wantsPrettyLogs(config.env, process.stdout.isTTY) ? prettyDestination(process.stdout) : undefined);
  if (config.generatedSecretFile) {
    logger.warn(
      { file: config.generatedSecretFile },
      'COOKIE_SECRETS, AUDIT_KEYS or DATA_ENCRYPTION_KEYS is not set: generated a development secret and stored it beside the database. Set all three in production.',
    );
  }
  // `npm run dev` serves the SPA from Vite instead, so it passes --no-build.
  if (!process.argv.includes('--no-build') && spaIsStale()) {
    logger.info('building the web app (dist/web is missing or older than web/)');
    buildSpa();
  }

  const store = await openStore(config.databaseUrl, { timeoutMs: config.databaseTimeoutMs });
  await store.migrate();
  const { handler, deps, mail, partnerLogout, setSelfOrigin, trustProxy } = await createApp({ config, store, logger });
  if (config.mail.mode === 'off') {
    logger.warn(
      'mail is off: NODE_ENV=production and no SMTP_URL, so password reset, email verification, emailed sign-in codes, sign-up and invitation mails are unavailable. Set SMTP_URL to turn them on.',
    );
  }
  // Retries, and messages another instance or the CLI queued.
  mail.worker?.start(5_000);
  // Logout tokens for partners (back-channel logout): new ones, retries, and what other instances queued.
  partnerLogout.start(2_000);

  const server = createServer(handler);
  const zenith = attachZenith(server, deps, trustProxy);
  attachGatewayUpgrades(server, { deps, trustProxy });
  server.headersTimeout = 20_000;
  server.requestTimeout = 30_000;
  await new Promise<void>((resolveListen, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      // The most common first-run failure: say what it means and what to do, not just the code.
      if (err.code === 'EADDRINUSE') {
        reject(
          new Error(
            `port ${config.port} on ${config.host} is already in use (another portal, or another program, listens there). Stop it, or choose a free port: PORT=${config.port + 1} npm start`,
          ),
        );
      } else reject(err);
    });
    // Node's default backlog (511) overflows when thousands of Zenith terminals reconnect at once
    // after a deploy; the overflow costs each a SYN retransmit (1 s, then 3 s). The kernel caps
    // it at net.core.somaxconn.
    server.listen({ port: config.port, host: config.host, backlog: 8192 }, () => resolveListen());
  });
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : config.port;
  const host = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;
  setSelfOrigin(`http://${host.includes(':') ? `[${host}]` : host}:${port}`);
  logger.info({ url: config.publicUrl, store: store.kind, port }, 'portal listening');

  const link = await createSetupLink(store, config.publicUrl, Date.now());
  if (link) {
    // Printed, not logged: a person must see it once; it is not a log event.
    process.stdout.write(`\n  No administrator exists yet. Create the first one here (the link works once):\n\n    ${link}\n\n`);
  }

  const sweep = setInterval(() => {
    store.oidc.sweep(Date.now()).catch((err) => logger.warn({ err }, 'sweeping expired tokens failed'));
    // Lapsed WorkOS pending tokens, MFA challenges and magic-auth pointers.
    store.settings.sweep(Date.now()).catch((err) => logger.warn({ err }, 'sweeping expired settings failed'));
  }, 10 * 60_000);
  sweep.unref();
  // Impersonations end at their time limit even when no browser comes back to notice.
  const impersonationSweep = setInterval(() => {
    expireImpersonations(deps).catch((err) => logger.warn({ err }, 'ending expired impersonations failed'));
  }, 15_000);
  impersonationSweep.unref();

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    clearInterval(sweep);
    clearInterval(impersonationSweep);
    void mail.close();
    void partnerLogout.stop();
    // Open WebSockets would otherwise hold server.close() until the forced exit.
    zenith.close();
    server.close(() => {
      store.close().finally(() => process.exit(0));
    });
    server.closeIdleConnections();
    setTimeout(() => process.exit(0), 10_000).unref();
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((e) => {
  console.error('portal failed to start:', e instanceof Error ? e.message : e);
  process.exit(1);
});
