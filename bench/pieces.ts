/**
 * Timing of the pieces behind the benchmarked endpoints, to say where the time
 * goes: one process, requests sent one at a time (no concurrency, so no
 * queueing in the numbers), every Store call counted and timed.
 *
 *   node bench/pieces.ts [--n=1000]
 */
import { createServer } from 'node:http';
import { createHash, createPrivateKey, randomBytes, sign as nodeSign } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { DatabaseSync } from 'node:sqlite';
import { unsealData } from 'iron-session';
import { CompactSign, importJWK } from 'jose';
import { loadConfig } from '../bff/config/config.ts';
import { openStore } from '../bff/store/open-store.ts';
import { createLogger } from '../bff/http/logger.ts';
import { createApp } from '../bff/app.ts';
import { createAccount } from '../bff/accounts/accounts.ts';
import { registerClient } from '../bff/oauth/clients.ts';
import { Agent, authorizeThrough } from '../bff/testing/agent.ts';
import type { Store } from '../bff/store/store.ts';
import { mintCodes, mintRefreshTokens, type MintTarget } from './mint.ts';

const { values } = parseArgs({ options: { n: { type: 'string', default: '1000' } } });
const N = Number(values.n);
const say = (s: string) => process.stdout.write(`${s}\n`);
const us = (ms: number) => `${(ms * 1000).toFixed(1).padStart(8)} µs`;

async function perOp(fn: () => unknown, n = N): Promise<number> {
  for (let i = 0; i < Math.min(200, n); i++) await fn();
  const t0 = performance.now();
  for (let i = 0; i < n; i++) await fn();
  return (performance.now() - t0) / n;
}

/** Wraps every method of every Store part so each call is counted and timed. */
function instrument(store: Store): Map<string, { n: number; ms: number; max: number }> {
  const stats = new Map<string, { n: number; ms: number; max: number }>();
  for (const [part, obj] of Object.entries(store)) {
    if (!obj || typeof obj !== 'object') continue;
    for (const [name, fn] of Object.entries(obj as Record<string, unknown>)) {
      if (typeof fn !== 'function') continue;
      (obj as Record<string, unknown>)[name] = async (...args: unknown[]) => {
        const t0 = performance.now();
        try {
          return await (fn as (...a: unknown[]) => Promise<unknown>).apply(obj, args);
        } finally {
          const s = stats.get(`${part}.${name}`) ?? { n: 0, ms: 0, max: 0 };
          const dt = performance.now() - t0;
          s.n++;
          s.ms += dt;
          s.max = Math.max(s.max, dt);
          stats.set(`${part}.${name}`, s);
        }
      };
    }
  }
  return stats;
}

async function storeCallsPer(
  label: string,
  stats: Map<string, { n: number; ms: number; max: number }>,
  n: number,
  one: (i: number) => Promise<void>,
): Promise<void> {
  stats.clear();
  const t0 = performance.now();
  for (let i = 0; i < n; i++) await one(i);
  const wall = (performance.now() - t0) / n;
  let calls = 0;
  let ms = 0;
  say(`\n${label}: ${us(wall)} per request end to end (client and server in this process, one at a time)`);
  for (const [k, s] of [...stats.entries()].sort((a, b) => b[1].ms - a[1].ms)) {
    calls += s.n;
    ms += s.ms;
    say(`  ${k.padEnd(36)} ${(s.n / n).toFixed(2).padStart(5)} calls ${us(s.ms / s.n)} each, slowest ${s.max.toFixed(1)} ms`);
  }
  say(`  ${'all store calls'.padEnd(36)} ${(calls / n).toFixed(2).padStart(5)} calls ${us(ms / n)} per request`);
}

const dir = mkdtempSync(join(tmpdir(), 'portal-pieces-'));
const server = createServer();
await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
const config = loadConfig({
  NODE_ENV: 'production',
  PUBLIC_URL: url,
  DATABASE_URL: `sqlite:${join(dir, 'portal.db')}`,
  COOKIE_SECRETS: `1:${randomBytes(32).toString('base64url')}`,
  AUDIT_KEYS: `1:${randomBytes(32).toString('base64url')}`,
  DATA_ENCRYPTION_KEYS: `1:${randomBytes(32).toString('base64url')}`,
  LOG_LEVEL: 'warn',
});
const store = await openStore(config.databaseUrl);
await store.migrate();
const stats = instrument(store);
const { handler, provider, setSelfOrigin } = await createApp({ config, store, logger: createLogger(config.logLevel) });
server.on('request', handler);
setSelfOrigin(url);

try {
  const password = 'correct horse battery staple 9';
  const user = await createAccount(store, { email: 'pat@example.com', password, name: 'Pat', emailVerified: true }, Date.now());
  const redirectUri = 'https://partner.example/cb';
  const scopes = ['openid', 'profile', 'email', 'offline_access'];
  const { client, secret } = await registerClient(store, { name: 'Bench', redirectUris: [redirectUri], isPublic: false, scopes }, Date.now());
  const target: MintTarget = { clientId: client.clientId, accountId: user.id, redirectUri, scopes };

  const agent = new Agent(url);
  const login = await agent.get('/bff/login');
  await authorizeThrough(agent, login.headers.get('location')!, { email: user.email, password });
  const sealed = agent.jar.get('portal')!.value;
  const cookie = agent.cookieHeader();

  say(`pieces — Node ${process.version}, n=${N}, SQLite at ${dir}`);
  say('\n/bff/session');
  const pw = { ...config.cookieSecrets };
  say(`  iron-session unsealData of the cookie      ${us(await perOp(() => unsealData(sealed, { password: pw, ttl: config.ttl.session })))}`);
  const cache = new Map([[sealed, { sid: 'x' }]]);
  say(`  Map lookup by the exact sealed string       ${us(await perOp(() => cache.get(sealed)))}`);
  await storeCallsPer('GET /bff/session', stats, N, async () => {
    const r = await fetch(`${url}/bff/session`, { headers: { cookie } });
    if (!(await r.text()).includes('"authenticated":true')) throw new Error('not signed in');
  });
  await storeCallsPer('GET /healthz', stats, N, async () => {
    await (await fetch(`${url}/healthz`)).text();
  });

  const verifier = randomBytes(32).toString('base64url');
  const challenge = createHash('sha256').update(verifier).digest('base64url');
  const auth = `Basic ${Buffer.from(`${client.clientId}:${secret}`).toString('base64')}`;
  const post = async (body: string, expect: string) => {
    const r = await fetch(`${url}/oauth/token`, {
      method: 'POST',
      headers: { authorization: auth, 'content-type': 'application/x-www-form-urlencoded' },
      body,
    });
    const text = await r.text();
    if (r.status !== 200 || !text.includes(expect)) throw new Error(`${r.status} ${text}`);
  };
  const { codes } = await mintCodes(provider, target, N, challenge);
  await storeCallsPer('POST /oauth/token (authorization_code)', stats, N, (i) =>
    post(`grant_type=authorization_code&code=${codes[i]}&redirect_uri=${encodeURIComponent(redirectUri)}&code_verifier=${verifier}`, '"id_token"'),
  );
  const { tokens } = await mintRefreshTokens(provider, target, N);
  await storeCallsPer('POST /oauth/token (refresh_token)', stats, N, (i) => post(`grant_type=refresh_token&refresh_token=${tokens[i]}`, '"refresh_token"'));

  say('\nES256 signing (two per code exchange: the JWT access token and the ID token)');
  const jwk = (await store.keys.list())[0]!.jwk;
  const cryptoKey = await importJWK(jwk as Parameters<typeof importJWK>[0], 'ES256');
  const payload = new TextEncoder().encode(JSON.stringify({ sub: user.id, iss: config.issuer, aud: client.clientId, iat: 1, exp: 2, scope: scopes.join(' ') }));
  say(
    `  jose CompactSign (WebCrypto, as oidc-provider) ${us(await perOp(() => new CompactSign(payload).setProtectedHeader({ alg: 'ES256' }).sign(cryptoKey)))}`,
  );
  const keyObject = createPrivateKey({ key: jwk as never, format: 'jwk' });
  say(`  node:crypto sign (synchronous)                 ${us(await perOp(() => nodeSign('sha256', payload, { key: keyObject, dsaEncoding: 'ieee-p1363' })))}`);

  say('\nSQLite writes, raw node:sqlite on a scratch file with the portal pragmas (WAL, synchronous=NORMAL)');
  const db = new DatabaseSync(join(dir, 'scratch.db'));
  db.exec('PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;');
  db.exec(`CREATE TABLE t (model TEXT NOT NULL, id TEXT NOT NULL, payload TEXT NOT NULL, grant_id TEXT, uid TEXT, user_code TEXT, expires_at INTEGER, consumed_at INTEGER, PRIMARY KEY (model, id));
    CREATE INDEX t_g ON t (grant_id); CREATE INDEX t_u ON t (model, uid); CREATE INDEX t_c ON t (model, user_code); CREATE INDEX t_e ON t (expires_at);`);
  const ins = db.prepare('INSERT INTO t (model, id, payload, grant_id, expires_at) VALUES (?, ?, ?, ?, ?)');
  const body = JSON.stringify({
    jti: 'x'.repeat(43),
    kind: 'RefreshToken',
    accountId: user.id,
    scope: scopes.join(' '),
    grantId: 'g'.repeat(43),
    iat: 1,
    exp: 2,
  });
  let k = 0;
  const row = () => ins.run('RefreshToken', `${k++}-${randomBytes(16).toString('hex')}`, body, randomBytes(16).toString('hex'), Date.now() + 1e6);
  say(`  one INSERT, autocommit                         ${us(await perOp(row, N * 3))}`);
  say(
    `  one INSERT inside a 100-row transaction         ${us(
      (await perOp(() => {
        db.exec('BEGIN');
        for (let i = 0; i < 100; i++) row();
        db.exec('COMMIT');
      }, N / 50)) / 100,
    )}`,
  );
  db.close();
} finally {
  server.closeAllConnections();
  server.close();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
}
