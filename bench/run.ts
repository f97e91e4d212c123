/**
 * `npm run bench`: one run, every server and the load generator in processes
 * of their own, loopback only, each scenario bounded: a warm-up, then
 * `--duration` seconds split into `--rounds` slices that are interleaved
 * across scenarios (a b c d e f, a b c d e f, …), so that other work on the
 * machine weighs on every scenario alike and the ratios stay fair. Single-use
 * inputs (codes, refresh tokens) are minted before each slice, sized from the
 * rate measured so far, and each is sent exactly once.
 * The token scenarios (d, e) run on every store named by `--store`: SQLite
 * (d, e) and PostgreSQL (d.pg, e.pg, in a throwaway schema), each with the
 * statements its store sent per request. `--compare=<dir>` also runs d and e
 * on the portal of another checkout (d@, e@), interleaved with the rest, to
 * measure a change A/B in one run.
 * Prints req/s, p50 and p99 per scenario, the ratios and their targets. Exits 0
 * when a target is missed (this is a measurement), 1 when any response was
 * not the expected 200.
 *
 *   npm run bench [-- --only=a,b,d] [--store=sqlite,postgres] [--duration=6] [--rounds=3] [--warmup=2] [--connections=10]
 *                 [--profile=portal|portal-pg|peer|bare] [--compare=<checkout>]
 */
import { parseArgs } from 'node:util';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir, cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { Child } from './ipc.ts';
import type { LoadJob, LoadResult } from './load.ts';
import { mergeResults, printByStore, printReport, type Row, type Target } from './report.ts';
import type { Meter } from './query-count.ts';
import { Agent, authorizeThrough } from '../bff/testing/agent.ts';
import { printVerdicts, signInScenarios, type Verdict } from './sign-ins.ts';
import { STORM, SOCKETS_WANTED, zenithScenarios } from './zenith.ts';
import { gatewayJobs } from './gateway.ts';

const { values: opts } = parseArgs({
  options: {
    only: { type: 'string', default: 'a,b,c,d,e,f,g,h,i,j,k' },
    duration: { type: 'string', default: '6' },
    rounds: { type: 'string', default: '3' },
    warmup: { type: 'string', default: '2' },
    connections: { type: 'string', default: '10' },
    'sign-in-clients': { type: 'string', default: '16' },
    sockets: { type: 'string', default: String(SOCKETS_WANTED) },
    storm: { type: 'string', default: String(STORM) },
    profile: { type: 'string' },
    store: { type: 'string', default: 'sqlite,postgres' },
    compare: { type: 'string' },
  },
});
const STORES = new Set(opts.store!.split(','));
/** The PostgreSQL database the bench makes its throwaway schema in. */
const PG_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
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
function start(name: string, script: string, args: string[] = [], execArgv: string[] = []): Child {
  const c = new Child(
    name,
    script.startsWith('/') ? script : here(script),
    [...execArgv, ...(opts.profile === name ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [])],
    args,
  );
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
  /** Store statements and server CPU µs per timed request so far, when the server reports them. */
  perRequest?(): { queries: number; cpuMicros: number } | null;
}

/** A scenario with reusable requests: fixed-duration runs. */
/** With `meter`, the servers' CPU time (and store statements) over the timed slices are summed per request. */
function timed(id: string, name: string, job: Omit<LoadJob, 'connections' | 'duration'>, note = '', meter?: () => Promise<Meter>): Scenario {
  let statements = 0;
  let cpu = 0;
  let requests = 0;
  return {
    id,
    name,
    note,
    warm: () => runLoad({ ...job, connections: CONNECTIONS, duration: WARMUP }),
    async slice() {
      const before = await meter?.();
      const r = await runLoad({ ...job, connections: CONNECTIONS, duration: SLICE });
      if (before && meter) {
        const after = await meter();
        statements += after.statements - before.statements;
        cpu += after.cpuMicros - before.cpuMicros;
        requests += r.requests;
      }
      return r;
    },
    perRequest: () => (meter && requests ? { queries: statements / requests, cpuMicros: cpu / requests } : null),
  };
}

/**
 * A scenario with single-use inputs: each slice mints a pool sized to last about SLICE seconds.
 * With `meter`, the store statements and server CPU time of the timed slices (not the minting) are summed.
 */
function pooled(
  id: string,
  name: string,
  mint: (n: number) => Promise<string[]>,
  job: Omit<LoadJob, 'connections' | 'bodies'>,
  toBody: (item: string) => string,
  meter?: () => Promise<Meter>,
): Scenario {
  let rate = 0;
  let minted = 0;
  let warmed = 0;
  let statements = 0;
  let cpu = 0;
  let requests = 0;
  const go = async (n: number, timed: boolean) => {
    const items = await mint(n);
    const before = timed ? await meter?.() : undefined;
    const r = await runLoad({ ...job, connections: CONNECTIONS, bodies: items.map(toBody) });
    if (before && meter) {
      const after = await meter();
      statements += after.statements - before.statements;
      cpu += after.cpuMicros - before.cpuMicros;
      requests += r.requests;
    }
    rate = r.rps;
    return r;
  };
  const s: Scenario = {
    id,
    name,
    note: '',
    // Small enough to be spent inside the codes' 30 s even on a slow store.
    warm: () => go((warmed = Math.max(POOL_MIN, Math.round(250 * WARMUP))), false),
    async slice() {
      const n = Math.max(POOL_MIN, Math.min(POOL_MAX, Math.round(rate * SLICE)));
      minted += n;
      s.note = `${minted} minted ahead (+${warmed} warm-up), each sent once`;
      return go(n, true);
    },
    perRequest: () => (meter && requests ? { queries: statements / requests, cpuMicros: cpu / requests } : null),
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
const tokenHeaders = (info: PortalInfo) => ({
  'content-type': 'application/x-www-form-urlencoded',
  accept: 'application/json',
  authorization: basic(info.clientId, info.clientSecret),
});
const codeBody = (info: PortalInfo) => (code: string) =>
  `grant_type=authorization_code&code=${encodeURIComponent(code)}&redirect_uri=${encodeURIComponent(info.redirectUri)}&code_verifier=${verifier}`;

/** d (code exchange) and e (refresh) on one running portal; `tag` marks the store or checkout in the id. */
async function tokenScenarios(portal: Child, tag: string, label: string): Promise<Scenario[]> {
  const pi = await portal.call<PortalInfo>('info');
  // An older checkout's server may not report.
  const meter = () => portal.call<Meter>('meter').catch(() => ({ statements: Number.NaN, transactions: 0, cpuMicros: Number.NaN }));
  const out: Scenario[] = [];
  if (ONLY.has('d')) {
    const mint = async (n: number) => (await portal.call<{ codes: string[] }>('mintCodes', { n, codeChallenge: challenge })).codes;
    out.push(
      pooled(
        `d${tag}`,
        `portal POST /oauth/token code (${label})`,
        mint,
        { origin: pi.url, path: '/oauth/token', method: 'POST', headers: tokenHeaders(pi), expectBody: '"id_token"' },
        codeBody(pi),
        meter,
      ),
    );
  }
  if (ONLY.has('e')) {
    const mint = async (n: number) => (await portal.call<{ tokens: string[] }>('mintRefreshTokens', { n })).tokens;
    out.push(
      pooled(
        `e${tag}`,
        `portal POST /oauth/token refresh (${label})`,
        mint,
        { origin: pi.url, path: '/oauth/token', method: 'POST', headers: tokenHeaders(pi), expectBody: '"refresh_token"' },
        (rt) => `grant_type=refresh_token&refresh_token=${encodeURIComponent(rt)}`,
        meter,
      ),
    );
  }
  return out;
}

async function main(): Promise<void> {
  const t0 = performance.now();
  const load1 = () => loadavg()[0]!.toFixed(1);
  say(
    `portal bench — Node ${process.version}, ${cpus().length} CPUs, ${CONNECTIONS} connections, loopback; server and load generator in separate processes; load average ${load1()}`,
  );
  const scenarios: Scenario[] = [];

  if (ONLY.has('a')) {
    const bare = start('bare', './servers/bare.ts');
    const { url } = await bare.call<{ url: string }>('info');
    scenarios.push(timed('a', 'bare Express 5, GET /json', { origin: url, path: '/json', method: 'GET', headers: {}, expectBody: '"hello"' }));
  }
  const verdicts: Array<(rows: Row[]) => Verdict[]> = [];
  if (['b', 'c', 'd', 'e', 'f', 'g', 'i', 'j', 'k'].some((s) => ONLY.has(s))) {
    const portal = start('portal', './servers/portal.ts');
    const pi = await portal.call<PortalInfo>('info');
    if (ONLY.has('b')) {
      const cookie = await signIn(pi);
      scenarios.push(
        timed(
          'b',
          'portal GET /bff/session (signed in)',
          { origin: pi.url, path: '/bff/session', method: 'GET', headers: { cookie, accept: 'application/json' }, expectBody: '"authenticated":true' },
          'iron cookie + SQLite session row',
        ),
      );
    }
    if (ONLY.has('c'))
      scenarios.push(
        timed('c', 'portal GET /healthz', { origin: pi.url, path: '/healthz', method: 'GET', headers: {}, expectBody: '"status":"ok"' }, 'SELECT 1'),
      );
    if (STORES.has('sqlite')) scenarios.push(...(await tokenScenarios(portal, '', 'SQLite')));
    if (ONLY.has('i') || ONLY.has('j') || ONLY.has('k')) {
      const { proxied, direct, bare, upstream } = await gatewayJobs(start, portal, pi.url, await signIn(pi), ONLY.has('k'));
      // CPU per request of every server the call crosses: the portal and the API for i, the API alone for j.
      const upstreamMeter = () => upstream.call<Meter>('meter');
      /** The CPU of `front` (the portal, or the bare proxy) and of the API behind it, summed. */
      const withUpstream = (front: Child) => async (): Promise<Meter> => {
        const [p, u] = await Promise.all([front.call<Meter>('meter'), upstreamMeter()]);
        return { ...p, cpuMicros: p.cpuMicros + u.cpuMicros };
      };
      if (ONLY.has('i'))
        scenarios.push(
          timed(
            'i',
            'portal gateway GET /api/orders/… (signed in)',
            proxied,
            'session + cached API token + streamed proxy; CPU: portal + API',
            withUpstream(portal),
          ),
        );
      if (ONLY.has('j'))
        scenarios.push(timed('j', 'the same API called directly (bearer)', direct, 'JWT verified against the portal JWKS; CPU: API', upstreamMeter));
      if (bare) {
        const { meter: proxy, ...job } = bare;
        scenarios.push(
          timed('k', 'the same API behind a bare proxy (no checks)', job, 'the floor: undici stream, nothing else; CPU: proxy + API', withUpstream(proxy)),
        );
      }
    }
    if (ONLY.has('f')) {
      const peer = start('peer', './servers/peer.ts');
      const { url } = await peer.call<{ url: string }>('setup', { user: pi.user, clientMetadata: pi.clientMetadata });
      const target = { clientId: pi.clientId, accountId: pi.user.id, redirectUri: pi.redirectUri, scopes: pi.scopes };
      const mint = async (n: number) => (await peer.call<{ codes: string[] }>('mintCodes', { n, codeChallenge: challenge, ...target })).codes;
      const meter = () => peer.call<Meter>('meter');
      scenarios.push(
        pooled(
          'f',
          'peer oidc-provider (memory) code',
          mint,
          { origin: url, path: '/oauth/token', method: 'POST', headers: tokenHeaders(pi), expectBody: '"id_token"' },
          codeBody(pi),
          meter,
        ),
      );
    }
    if (ONLY.has('g')) {
      const g = await signInScenarios({
        start,
        origin: pi.url,
        serverPid: portal.proc.pid!,
        email: pi.user.email,
        password: pi.user.password,
        concurrency: Number(opts['sign-in-clients']),
        probeRate: 100,
        warmup: WARMUP,
        slice: SLICE,
      });
      scenarios.push(...g.scenarios);
      verdicts.push(g.verdicts);
    }
  }

  if (ONLY.has('h')) {
    const h = await zenithScenarios({ start, sockets: Number(opts.sockets), storm: Number(opts.storm), probeRate: 100 });
    scenarios.push(...h.scenarios);
    verdicts.push(h.verdicts);
  }

  if ((ONLY.has('d') || ONLY.has('e')) && STORES.has('postgres')) {
    const pg = start('portal-pg', './servers/portal.ts', [PG_URL]);
    try {
      scenarios.push(...(await tokenScenarios(pg, '.pg', 'PostgreSQL')));
    } catch (e) {
      say(`PostgreSQL scenarios left out: ${e instanceof Error ? e.message.split('\n')[0] : e} (set BENCH_DATABASE_URL, or --store=sqlite)`);
    }
  }
  if ((ONLY.has('d') || ONLY.has('e')) && opts.compare) {
    const other = start('portal-compare', join(opts.compare, 'bench/servers/portal.ts'));
    scenarios.push(...(await tokenScenarios(other, '@', `SQLite, ${opts.compare}`)));
  }

  const parts = new Map<string, LoadResult[]>(scenarios.map((s) => [s.id, []]));
  for (const s of scenarios) {
    say(`warm-up ${s.id}: ${s.name}`);
    const w = await s.warm();
    // Failures in the warm-up count too: a benchmark of errors is worthless.
    if (w.failures)
      parts.get(s.id)!.push({ ...w, requests: 0, seconds: 0, ok: 0, times: new Float64Array(0), samples: w.samples.map((x) => `(warm-up) ${x}`) });
  }
  for (let r = 1; r <= ROUNDS; r++) {
    say(`round ${r}/${ROUNDS}: ${scenarios.map((s) => s.id).join(' ')} (${SLICE.toFixed(1)} s each)`);
    for (const s of scenarios) parts.get(s.id)!.push(await s.slice());
  }
  for (const c of children.slice(1)) await c.stop();
  await load.stop();
  const rows: Row[] = scenarios.map((s) => ({ id: s.id, name: s.name, note: s.note, result: mergeResults(parts.get(s.id)!), ...s.perRequest?.() }));

  const byId = (id: string) => rows.find((r) => r.id === id)?.result.rps ?? null;
  const ratio = (x: string, y: string) => (byId(x) !== null && byId(y) ? (100 * byId(x)!) / byId(y)! : null);
  const targets: Target[] = [];
  if (ONLY.has('a') && ONLY.has('b')) targets.push({ label: '/bff/session ÷ bare Express (b/a)', value: ratio('b', 'a'), unit: '%', min: 50 });
  if (ONLY.has('d')) targets.push({ label: 'code exchange (d)', value: byId('d'), unit: 'req/s', min: 2000 });
  if (ONLY.has('f')) {
    if (ONLY.has('d')) targets.push({ label: 'code exchange ÷ in-memory peer (d/f)', value: ratio('d', 'f'), unit: '%', min: 80 });
    if (ONLY.has('e')) targets.push({ label: 'refresh ÷ in-memory peer (e/f)', value: ratio('e', 'f'), unit: '%', min: 80 });
    // PostgreSQL is a network hop per statement: reported beside SQLite, without a target of its own.
    for (const id of ['d.pg', 'e.pg', 'd@', 'e@'])
      if (byId(id) !== null) targets.push({ label: `${rows.find((r) => r.id === id)!.name} ÷ peer (${id}/f)`, value: ratio(id, 'f'), unit: '%' });
    // The same ratio from server CPU per request (the peer's over the portal's): what req/s would say on an otherwise idle machine.
    const cpu = (id: string) => rows.find((r) => r.id === id)?.cpuMicros;
    for (const id of ['d', 'e', 'd.pg', 'e.pg', 'd@', 'e@']) {
      const [mine, peer] = [cpu(id), cpu('f')];
      if (mine && peer && !Number.isNaN(mine)) targets.push({ label: `server CPU per request, peer ÷ ${id}`, value: (100 * peer) / mine, unit: '%' });
    }
  }
  if (ONLY.has('i') && ONLY.has('j')) {
    targets.push({ label: 'gateway ÷ direct API call (i/j)', value: ratio('i', 'j'), unit: '%', min: 60 });
    // The same from the servers' CPU per call (the API's alone over the API's plus the portal's): what a machine with nothing else to do would show.
    const cpuI = rows.find((r) => r.id === 'i')?.cpuMicros;
    const cpuJ = rows.find((r) => r.id === 'j')?.cpuMicros;
    if (cpuI && cpuJ) targets.push({ label: 'server CPU per call, j ÷ i', value: (100 * cpuJ) / cpuI, unit: '%' });
  }
  if (ONLY.has('k') && ONLY.has('j')) targets.push({ label: 'bare proxy ÷ direct API call (k/j): the ceiling for i/j', value: ratio('k', 'j'), unit: '%' });
  printReport(rows, targets);
  printVerdicts(verdicts.flatMap((v) => v(rows)));
  printByStore(rows);
  // Other work on the machine takes CPU from both processes: say so next to the numbers.
  if (loadavg()[0]! > cpus().length)
    say(`\nnote: load average ${load1()} on ${cpus().length} CPUs at the end: other processes compete for the CPU; expect noisy numbers.`);
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
