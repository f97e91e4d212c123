/**
 * The real portal, built as main.ts builds it (loadConfig → open the store →
 * createApp), with production settings, in a process of its own: on a
 * temporary SQLite file, or (argument `postgres://…`) in a throwaway schema of
 * that PostgreSQL database. Codes and refresh tokens are minted here, on the
 * SAME running app (see mint.ts), so the timed phase only ever exchanges them.
 * Every statement the store sends is counted (query-count.ts).
 */
import { createServer } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../bff/config/config.ts';
import { SqlStore } from '../../bff/store/sql/sql-store.ts';
import { openSqlite } from '../../bff/store/sqlite/sqlite-driver.ts';
import { openPostgres } from '../../bff/store/postgres/pg-driver.ts';
import { withTempPgSchema } from '../../bff/testing/pg-schema.ts';
import { createLogger } from '../../bff/http/logger.ts';
import { attachZenith, createApp } from '../../bff/app.ts';
import { createAccount } from '../../bff/accounts/accounts.ts';
import { clientMetadata, registerClient } from '../../bff/oauth/clients.ts';
import { serve } from '../ipc.ts';
import { mintCodes, mintRefreshTokens, type MintTarget } from '../mint.ts';
import { countingDriver, meter, saveProfileWindows, type QueryCounts } from '../query-count.ts';
import { addBenchApiRoute } from '../gateway-portal.ts';

const BENCH_USER = { email: 'pat@example.com', password: 'correct horse battery staple 9', name: 'Pat Bench' };
const REDIRECT = 'https://partner.example/cb';
const SCOPES = ['openid', 'profile', 'email', 'offline_access'];

const server = createServer();
server.headersTimeout = 20_000;
server.requestTimeout = 30_000;
// As main.ts listens: a backlog that absorbs a reconnect storm.
await new Promise<void>((r) => server.listen({ port: 0, host: '127.0.0.1', backlog: 8192 }, r));
const { port } = server.address() as { port: number };
const url = `http://127.0.0.1:${port}`;

const dir = mkdtempSync(join(tmpdir(), 'portal-bench-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
const pgBase = process.argv[2]?.startsWith('postgres') ? process.argv[2] : null;
const pgSchema = pgBase ? await withTempPgSchema(pgBase) : null;

const config = loadConfig({
  NODE_ENV: 'production',
  HOST: '127.0.0.1',
  PORT: String(port),
  PUBLIC_URL: url,
  DATABASE_URL: pgSchema?.url ?? `sqlite:${join(dir, 'portal.db')}`,
  COOKIE_SECRETS: `1:${randomBytes(32).toString('base64url')}`,
  AUDIT_KEYS: `1:${randomBytes(32).toString('base64url')}`,
  DATA_ENCRYPTION_KEYS: `1:${randomBytes(32).toString('base64url')}`,
  LOG_LEVEL: 'warn',
});
// As open-store.ts opens it, with a counter at the driver seam.
const counts: QueryCounts = { statements: 0, transactions: 0 };
const driver = pgSchema
  ? openPostgres(pgSchema.url, { timeoutMs: config.databaseTimeoutMs })
  : openSqlite(config.databaseUrl.slice('sqlite:'.length), { timeoutMs: config.databaseTimeoutMs });
const store = new SqlStore(countingDriver(driver, counts));
await store.migrate();
const { handler, deps, provider, setSelfOrigin, trustProxy } = await createApp({ config, store, logger: createLogger(config.logLevel) });
server.on('request', handler);
attachZenith(server, deps, trustProxy);
setSelfOrigin(url);

const user = await createAccount(store, { ...BENCH_USER, emailVerified: true }, Date.now());
const { client, secret } = await registerClient(store, { name: 'Bench Partner', redirectUris: [REDIRECT], isPublic: false, scopes: SCOPES }, Date.now());

const target: MintTarget = { clientId: client.clientId, accountId: user.id, redirectUri: REDIRECT, scopes: SCOPES };

serve({
  info: () => ({
    url,
    user: { ...BENCH_USER, id: user.id, emailVerified: user.emailVerified, updatedAt: user.updatedAt },
    clientId: client.clientId,
    clientSecret: secret,
    clientMetadata: clientMetadata(client),
    redirectUri: REDIRECT,
    scopes: SCOPES,
  }),
  /** `n` fresh codes, each with its own grant (one sign-in each), PKCE S256 with the given challenge. */
  mintCodes: ({ n, codeChallenge }: { n: number; codeChallenge: string }) => mintCodes(provider, target, n, codeChallenge),
  /** Memory after a full collection when the process runs with --expose-gc (the Zenith scenario's). */
  memory: () => {
    (globalThis as { gc?: () => void }).gc?.();
    return process.memoryUsage();
  },
  /** `n` fresh refresh tokens, each on its own grant. */
  mintRefreshTokens: ({ n }: { n: number }) => mintRefreshTokens(provider, target, n),
  /** Statements and transactions the store has sent so far, and this process's CPU time. */
  meter: () => meter(counts),
  async stop() {
    saveProfileWindows();
    await store.close();
    await pgSchema?.drop();
  },
  /** Scenarios i/j: a gateway route to the bench API, and a token for calling it directly. */
  addApiRoute: (r: { path: string; upstream: string; resource: string; scope: string }) => addBenchApiRoute(store, url, r),
});
