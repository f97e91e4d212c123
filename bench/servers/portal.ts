/**
 * The real portal, built as main.ts builds it (loadConfig → openStore →
 * createApp), with production settings and a temporary SQLite file, in a
 * process of its own. Codes and refresh tokens are minted here, on the SAME
 * running app (see mint.ts), so the timed phase only ever exchanges them.
 */
import { createServer } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../bff/config/config.ts';
import { openStore } from '../../bff/store/open-store.ts';
import { createLogger } from '../../bff/http/logger.ts';
import { attachZenith, createApp } from '../../bff/app.ts';
import { createAccount } from '../../bff/accounts/accounts.ts';
import { clientMetadata, registerClient } from '../../bff/oauth/clients.ts';
import { serve } from '../ipc.ts';
import { mintCodes, mintRefreshTokens, type MintTarget } from '../mint.ts';
import { addBenchApiRoute } from '../gateway-portal.ts';

const BENCH_USER = { email: 'pat@example.com', password: 'correct horse battery staple 9', name: 'Pat Bench' };
const REDIRECT = 'https://partner.example/cb';
const SCOPES = ['openid', 'profile', 'email', 'offline_access'];

const server = createServer();
server.headersTimeout = 20_000;
server.requestTimeout = 30_000;
await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
const { port } = server.address() as { port: number };
const url = `http://127.0.0.1:${port}`;

const dir = mkdtempSync(join(tmpdir(), 'portal-bench-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

const config = loadConfig({
  NODE_ENV: 'production',
  HOST: '127.0.0.1',
  PORT: String(port),
  PUBLIC_URL: url,
  DATABASE_URL: `sqlite:${join(dir, 'portal.db')}`,
  COOKIE_SECRETS: `1:${randomBytes(32).toString('base64url')}`,
  AUDIT_KEYS: `1:${randomBytes(32).toString('base64url')}`,
  DATA_ENCRYPTION_KEYS: `1:${randomBytes(32).toString('base64url')}`,
  LOG_LEVEL: 'warn',
});
const store = await openStore(config.databaseUrl);
await store.migrate();
const { app, deps, provider, setSelfOrigin } = await createApp({ config, store, logger: createLogger(config.logLevel) });
server.on('request', app);
attachZenith(server, deps);
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
  /** `n` fresh refresh tokens, each on its own grant. */
  mintRefreshTokens: ({ n }: { n: number }) => mintRefreshTokens(provider, target, n),
  /** Scenarios g/h: a gateway route to the bench API, and a token for calling it directly. */
  addApiRoute: (r: { path: string; upstream: string; resource: string; scope: string }) => addBenchApiRoute(store, url, r),
});
