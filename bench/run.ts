/**
 * `npm run bench`: one run, every server and the load generator in processes
 * of their own, loopback only, each scenario bounded: a warm-up, then
 * `--duration` seconds split into `--rounds` slices that are interleaved
 * across scenarios (a b c d e f, a b c d e f, …), so that other work on the
 * machine weighs on every scenario alike and the ratios stay fair. Single-use
 * inputs (codes, refresh tokens) are minted before each slice, sized from the
 * rate measured so far, and each is sent exactly once.
 * Prints req/s and p99 per scenario, the ratios and their targets. Exits 0
 * when a target is missed (this is a measurement), 1 when any response was
 * not the expected 200.
 *
 *   npm run bench [-- --only=a,b,d] [--duration=6] [--rounds=3] [--warmup=2] [--connections=10] [--profile=portal|peer|bare]
 */
import { parseArgs } from 'node:util';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir, cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { Child } from './ipc.ts';
import type { LoadJob, LoadResult } from './load.ts';
import { mergeResults, printReport, type Row, type Target } from './report.ts';
import { Agent, authorizeThrough } from '../bff/testing/agent.ts';
import { gatewayJobs } from './gateway.ts';

const { values: opts } = parseArgs({
  options: {
    only: { type: 'string', default: 'a,b,c,d,e,f,g,h' },
    duration: { type: 'string', default: '6' },
    rounds: { type: 'string', default: '3' },
    warmup: { type: 'string', default: '2' },
    connections: { type: 'string', default: '10' },
    profile: { type: 'string' },
  },
});
const ONLY = new Set(opts.only!.split(','));
const DURATION = Number(opts.duration);
const ROUNDS = Math.max(1, Number(opts.rounds));
const SLICE = DURATION / ROUNDS;
const WARMUP = Number(opts.warmup);
const CONNECTIONS = Number(opts.connections);
/** Codes live 30 s (CODE_TTL): a pool must be minted and spent well inside that. */
const POOL_MIN = 300;
const POOL_MAX = 60_000;

const here = (p: string) => new URL(p, import.meta.url).pathname;
const profileDir = opts.profile ? mkdtempSync(join(tmpdir(), 'portal-bench-prof-')) : null;
const children: Child[] = [];
function start(name: string, script: string): Child {
  const c = new Child(name, here(script), opts.profile === name ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : []);
  children.push(c);
  return c;
}

const load = start('load', './load.ts');
const runLoad = (job: LoadJob) => load.call<LoadResult>('run', job);
const say = (s: string) => process.stdout.write(`${s}\n`);

interface Scenario {
  id: string;
  name: string;
  note: string;
  warm(): Promise<LoadResult>;
  slice(): Promise<LoadResult>;
}

/** A scenario with reusable requests: fixed-duration runs. */
function timed(id: string, name: string, job: Omit<LoadJob, 'connections' | 'duration'>, note = ''): Scenario {
  return {
    id,
    name,
    note,
    warm: () => runLoad({ ...job, connections: CONNECTIONS, duration: WARMUP }),
    slice: () => runLoad({ ...job, connections: CONNECTIONS, duration: SLICE }),
  };
}

/** A scenario with single-use inputs: each slice mints a pool sized to last about SLICE seconds. */
function pooled(id: string, name: string, mint: (n: number) => Promise<string[]>, job: Omit<LoadJob, 'connections' | 'bodies'>, toBody: (item: string) => string): Scenario {
  let rate = 0;
  let minted = 0;
  let warmed = 0;
  const go = async (n: number) => {
    const items = await mint(n);
    const r = await runLoad({ ...job, connections: CONNECTIONS, bodies: items.map(toBody) });
    rate = r.rps;
    return r;
  };
  const s: Scenario = {
    id,
    name,
    note: '',
    warm: () => go((warmed = Math.max(POOL_MIN, Math.round(1000 * WARMUP)))),
    async slice() {
      const n = Math.max(POOL_MIN, Math.min(POOL_MAX, Math.round(rate * SLICE)));
      minted += n;
      s.note = `${minted} minted ahead (+${warmed} warm-up), each sent once`;
      return go(n);
    },
  };
  return s;
}

interface PortalInfo {
  url: string;
  user: { id: string; email: string; password: string; name: string; emailVerified: boolean; updatedAt: number };
  clientId: string;
  clientSecret: string;
  clientMetadata: Record<string, unknown>;
  redirectUri: string;
  scopes: string[];
}

/** A real browser-style sign-in through the BFF: /bff/login → login interaction → callback. */
async function signIn(info: PortalInfo): Promise<string> {
  const agent = new Agent(info.url);
  const login = await agent.get('/bff/login');
  const location = login.headers.get('location');
  if (login.status !== 303 || !location) throw new Error(`/bff/login answered ${login.status}`);
  await authorizeThrough(agent, location, { email: info.user.email, password: info.user.password });
  const check = (await (await agent.api('GET', '/bff/session')).json()) as { authenticated?: boolean };
  if (check.authenticated !== true) throw new Error('sign-in did not produce a session');
  return agent.cookieHeader();
}

const verifier = randomBytes(32).toString('base64url');
const challenge = createHash('sha256').update(verifier).digest('base64url');
const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;
const tokenHeaders = (info: PortalInfo) => ({ 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json', authorization: basic(info.clientId, info.clientSecret) });
const codeBody = (info: PortalInfo) => (code: string) =>
  `grant_type=authorization_code&code=${encodeURIComponent(code)}&redirect_uri=${encodeURIComponent(info.redirectUri)}&code_verifier=${verifier}`;

async function main(): Promise<void> {
  const t0 = performance.now();
  const load1 = () => loadavg()[0]!.toFixed(1);
  say(`portal bench — Node ${process.version}, ${cpus().length} CPUs, ${CONNECTIONS} connections, loopback; server and load generator in separate processes; load average ${load1()}`);
  const scenarios: Scenario[] = [];

  if (ONLY.has('a')) {
    const bare = start('bare', './servers/bare.ts');
    const { url } = await bare.call<{ url: string }>('info');
    scenarios.push(timed('a', 'bare Express 5, GET /json', { origin: url, path: '/json', method: 'GET', headers: {}, expectBody: '"hello"' }));
  }
  if (['b', 'c', 'd', 'e', 'f', 'g', 'h'].some((s) => ONLY.has(s))) {
    const portal = start('portal', './servers/portal.ts');
    const pi = await portal.call<PortalInfo>('info');
    if (ONLY.has('b')) {
      const cookie = await signIn(pi);
      scenarios.push(timed('b', 'portal GET /bff/session (signed in)', { origin: pi.url, path: '/bff/session', method: 'GET', headers: { cookie, accept: 'application/json' }, expectBody: '"authenticated":true' }, 'iron cookie + SQLite session row'));
    }
    if (ONLY.has('c')) scenarios.push(timed('c', 'portal GET /healthz', { origin: pi.url, path: '/healthz', method: 'GET', headers: {}, expectBody: '"status":"ok"' }, 'SELECT 1'));
    if (ONLY.has('d')) {
      const mint = async (n: number) => (await portal.call<{ codes: string[] }>('mintCodes', { n, codeChallenge: challenge })).codes;
      scenarios.push(pooled('d', 'portal POST /oauth/token code (SQLite)', mint, { origin: pi.url, path: '/oauth/token', method: 'POST', headers: tokenHeaders(pi), expectBody: '"id_token"' }, codeBody(pi)));
    }
    if (ONLY.has('e')) {
      const mint = async (n: number) => (await portal.call<{ tokens: string[] }>('mintRefreshTokens', { n })).tokens;
      scenarios.push(pooled('e', 'portal POST /oauth/token refresh', mint, { origin: pi.url, path: '/oauth/token', method: 'POST', headers: tokenHeaders(pi), expectBody: '"refresh_token"' }, (rt) => `grant_type=refresh_token&refresh_token=${encodeURIComponent(rt)}`));
    }
    if (ONLY.has('g') || ONLY.has('h')) {
      const { proxied, direct } = await gatewayJobs(start, portal, pi.url, await signIn(pi));
      if (ONLY.has('g')) scenarios.push(timed('g', 'portal gateway GET /api/orders/… (signed in)', proxied, 'session + cached API token + streamed proxy'));
      if (ONLY.has('h')) scenarios.push(timed('h', 'the same API called directly (bearer)', direct, 'JWT verified against the portal JWKS'));
    }
    if (ONLY.has('f')) {
      const peer = start('peer', './servers/peer.ts');
      const { url } = await peer.call<{ url: string }>('setup', { user: pi.user, clientMetadata: pi.clientMetadata });
      const target = { clientId: pi.clientId, accountId: pi.user.id, redirectUri: pi.redirectUri, scopes: pi.scopes };
      const mint = async (n: number) => (await peer.call<{ codes: string[] }>('mintCodes', { n, codeChallenge: challenge, ...target })).codes;
      scenarios.push(pooled('f', 'peer oidc-provider (memory) code', mint, { origin: url, path: '/oauth/token', method: 'POST', headers: tokenHeaders(pi), expectBody: '"id_token"' }, codeBody(pi)));
    }
  }

  const parts = new Map<string, LoadResult[]>(scenarios.map((s) => [s.id, []]));
  for (const s of scenarios) {
    say(`warm-up ${s.id}: ${s.name}`);
    const w = await s.warm();
    // Failures in the warm-up count too: a benchmark of errors is worthless.
    if (w.failures) parts.get(s.id)!.push({ ...w, requests: 0, seconds: 0, ok: 0, times: new Float64Array(0), samples: w.samples.map((x) => `(warm-up) ${x}`) });
  }
  for (let r = 1; r <= ROUNDS; r++) {
    say(`round ${r}/${ROUNDS}: ${scenarios.map((s) => s.id).join(' ')} (${SLICE.toFixed(1)} s each)`);
    for (const s of scenarios) parts.get(s.id)!.push(await s.slice());
  }
  for (const c of children.slice(1)) await c.stop();
  await load.stop();
  const rows: Row[] = scenarios.map((s) => ({ id: s.id, name: s.name, note: s.note, result: mergeResults(parts.get(s.id)!) }));

  const byId = (id: string) => rows.find((r) => r.id === id)?.result.rps ?? null;
  const ratio = (x: string, y: string) => (byId(x) !== null && byId(y) ? (100 * byId(x)!) / byId(y)! : null);
  const targets: Target[] = [];
  if (ONLY.has('a') && ONLY.has('b')) targets.push({ label: '/bff/session ÷ bare Express (b/a)', value: ratio('b', 'a'), unit: '%', min: 50 });
  if (ONLY.has('d')) targets.push({ label: 'code exchange (d)', value: byId('d'), unit: 'req/s', min: 2000 });
  if (ONLY.has('d') && ONLY.has('f')) targets.push({ label: 'code exchange ÷ in-memory peer (d/f)', value: ratio('d', 'f'), unit: '%', min: 80 });
  if (ONLY.has('g') && ONLY.has('h')) targets.push({ label: 'gateway ÷ direct API call (g/h)', value: ratio('g', 'h'), unit: '%', min: 60 });
  printReport(rows, targets);
  // Other work on the machine takes CPU from both processes: say so next to the numbers.
  if (loadavg()[0]! > cpus().length) say(`\nnote: load average ${load1()} on ${cpus().length} CPUs at the end: other processes compete for the CPU; expect noisy numbers.`);
  say(`\ntotal ${((performance.now() - t0) / 1000).toFixed(0)} s${profileDir ? `; CPU profile of ${opts.profile} in ${profileDir}` : ''}`);
  process.exitCode = rows.some((r) => r.result.failures > 0) ? 1 : 0;
}

main()
  .catch((e) => {
    console.error('bench failed:', e instanceof Error ? e.message : e);
    process.exitCode = 2;
  })
  .finally(async () => {
    for (const c of children) await c.stop().catch(() => undefined);
  });
