/**
 * Scenario h, Zenith sockets on one portal process of their own:
 *   h   holds as many authenticated sockets as the process may open (100,000
 *       wanted; the server's file-descriptor limit decides), opened from
 *       holder processes (zenith-load.ts) over several 127.0.0.x source
 *       addresses, and reports the server's resident memory per socket
 *       beyond its baseline;
 *   h2  each round, a reconnect storm: 10,000 of them dropped and reconnected
 *       at once; every one must open, within 3 s;
 *   h3  `/bff/session` meanwhile, probed at a fixed rate from its own process.
 */
import { readFileSync } from 'node:fs';
import type { Child } from './ipc.ts';
import type { LoadResult } from './load.ts';
import type { ProbeJob } from './sign-in-load.ts';
import type { HoldJob } from './zenith-load.ts';
import { mergeResults } from './report.ts';
import { cpuSeconds, empty, SESSION_P99_MS, type BenchScenario, type Verdict } from './sign-ins.ts';

export const SOCKETS_WANTED = 100_000;
export const KIB_PER_SOCKET = 12;
export const STORM = 10_000;
export const STORM_MS = 3000;
/** Sockets per holder process: well under a process's usual 20,000 descriptors. */
const PER_HOLDER = 15_000;

export interface ZenithOptions {
  start(name: string, script: string, args?: string[], execArgv?: string[]): Child;
  sockets: number;
  storm: number;
  probeRate: number;
}

interface PortalInfo {
  url: string;
  user: { email: string; password: string };
  clientId: string;
  clientSecret: string;
}

/** A process's soft limit on open files, from /proc. */
function maxFiles(pid: number): number {
  const files = /Max open files\s+(\d+|unlimited)/.exec(readFileSync(`/proc/${pid}/limits`, 'utf8'));
  return files?.[1] === 'unlimited' ? Infinity : Number(files?.[1] ?? 1024);
}

/** Access tokens for the bench user, each from its own grant: refresh tokens minted in the server, exchanged at /oauth/token. */
async function accessTokens(portal: Child, pi: PortalInfo, n: number): Promise<string[]> {
  const { tokens } = await portal.call<{ tokens: string[] }>('mintRefreshTokens', { n });
  const basic = `Basic ${Buffer.from(`${encodeURIComponent(pi.clientId)}:${encodeURIComponent(pi.clientSecret)}`).toString('base64')}`;
  const out: string[] = [];
  for (const rt of tokens) {
    const res = await fetch(`${pi.url}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic },
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: rt }),
    });
    const body = (await res.json()) as { access_token?: string };
    if (res.status !== 200 || !body.access_token) throw new Error(`the token endpoint answered ${res.status}`);
    out.push(body.access_token);
  }
  return out;
}

export async function zenithScenarios(
  o: ZenithOptions,
): Promise<{ scenarios: BenchScenario[]; verdicts(rows: Array<{ id: string; result: LoadResult }>): Verdict[] }> {
  // --expose-gc: memory is read after a full collection, so uncollected garbage does not count.
  const portal = o.start('zenith-portal', './servers/portal.ts', [], ['--expose-gc']);
  const memory = () => portal.call<NodeJS.MemoryUsage>('memory');
  const pi = await portal.call<PortalInfo>('info');
  const pid = portal.proc.pid!;
  const tokens = await accessTokens(portal, pi, 50);
  const prober = o.start('zenith-probe', './sign-in-load.ts');
  const cookie = await prober.call<string>('cookie', { origin: pi.url, email: pi.user.email, password: pi.user.password });
  const probe = (duration: number): ProbeJob => ({
    origin: pi.url,
    path: '/bff/session',
    headers: { cookie, accept: 'application/json' },
    rate: o.probeRate,
    duration,
    expectBody: '"authenticated":true',
  });

  const limit = maxFiles(pid);
  // What the server may hold: its descriptor limit, less what its store, logs and listeners use.
  const sockets = Math.max(0, Math.min(o.sockets, limit - 300));
  const storm = Math.min(o.storm, sockets);
  const holders = Array.from({ length: Math.max(1, Math.ceil(sockets / PER_HOLDER)) }, (_, k) => o.start(`zenith-holder-${k + 1}`, './zenith-load.ts'));
  const share = (total: number, k: number) => Math.floor(total / holders.length) + (k < total % holders.length ? 1 : 0);
  // Four source addresses per holder: 4 × ~28k ephemeral ports each, whatever the count.
  const sources = (k: number) => Array.from({ length: 4 }, (_, j) => `127.0.0.${10 + 4 * k + j}`);
  const url = `${pi.url.replace(/^http/, 'ws')}/Zenith?version=1.1`;

  let kib = 0;
  let filled = false;
  let lastProbe: LoadResult | null = null;
  let stormMs = 0;
  let stormCpu = 0;
  let stormed = 0;
  const openCount = async () => (await Promise.all(holders.map((c) => c.call<number>('open')))).reduce((a, b) => a + b, 0);
  const fillTo = (total: number) =>
    Promise.all(
      holders.map((c, k) => c.call<LoadResult>('hold', { url, tokens, sources: sources(k), count: share(total, k), inFlight: 64 } satisfies HoldJob)),
    );
  /**
   * Fills in two halves and reads memory (after a full collection) before, between and after.
   * The second half's growth per socket is the marginal cost, what 100,000 would cost each: the
   * first half also pays once for what any load grows (V8's young generation, code, pools).
   */
  const fill = async (): Promise<LoadResult> => {
    const m0 = await memory();
    const first = await fillTo(Math.floor(sockets / 2));
    const n1 = await openCount();
    const m1 = await memory();
    const second = await fillTo(sockets - Math.floor(sockets / 2));
    const n2 = await openCount();
    const m2 = await memory();
    const result = mergeResults([...first, ...second]);
    result.seconds = Math.max(...first.map((p) => p.seconds)) + Math.max(...second.map((p) => p.seconds));
    result.rps = result.ok / result.seconds;
    const per = (a: NodeJS.MemoryUsage, b: NodeJS.MemoryUsage, n: number, k: keyof NodeJS.MemoryUsage) => (b[k] - a[k]) / 1024 / Math.max(1, n);
    kib = per(m1, m2, n2 - n1, 'rss');
    const mib = (b: number) => (b / 2 ** 20).toFixed(0);
    h.note =
      `${n2.toLocaleString('en-US')} open${sockets < o.sockets ? ` (fd limit ${limit.toLocaleString('en-US')}; ${o.sockets.toLocaleString('en-US')} wanted)` : ''}; ` +
      `RSS ${mib(m0.rss)} → ${mib(m1.rss)} → ${mib(m2.rss)} MiB: second half ${kib.toFixed(1)} KiB/socket (JS heap ${per(m1, m2, n2 - n1, 'heapUsed').toFixed(1)} used, ${per(m1, m2, n2 - n1, 'heapTotal').toFixed(1)} reserved), ` +
      `all ${per(m0, m2, n2, 'rss').toFixed(1)}; ${tokens.length} tokens`;
    return result;
  };
  const h: BenchScenario = {
    id: 'h',
    name: 'zenith: authenticated sockets held',
    note: '',
    warm: async () => empty(),
    async slice() {
      if (!filled) {
        filled = true;
        return fill();
      }
      // The fill is the measurement; later rounds only check that every socket is still open.
      const lost = sockets - (await openCount());
      return { ...empty(), failures: lost, samples: lost > 0 ? [`${lost} held sockets closed`] : [] };
    },
  };
  const h2: BenchScenario = {
    id: 'h2',
    name: `zenith: reconnect storm of ${storm.toLocaleString('en-US')}`,
    note: '',
    warm: async () => empty(),
    async slice() {
      const c0 = cpuSeconds(pid);
      const [p, ...parts] = await Promise.all([
        prober.call<LoadResult>('probe', probe(STORM_MS / 1000 + 1)),
        ...holders.map((c, k) => c.call<LoadResult>('storm', share(storm, k))),
      ]);
      const c1 = cpuSeconds(pid);
      lastProbe = p;
      const r = mergeResults(parts);
      if (c0 !== null && c1 !== null) {
        // The probe's share is small (about 0.1 ms a request) and left in.
        stormCpu += c1 - c0;
        stormed += r.ok;
      }
      const ms = Math.max(...parts.map((x) => x.seconds)) * 1000;
      stormMs = Math.max(stormMs, ms);
      r.seconds = ms / 1000;
      r.rps = r.ok / r.seconds;
      const per = stormed ? (1000 * stormCpu) / stormed : 0;
      h2.note = `slowest ${(stormMs / 1000).toFixed(2)} s; server CPU ${per.toFixed(2)} ms per reconnect (2 free cores: ${per ? Math.round(2000 / per).toLocaleString('en-US') : '?'}/s)`;
      return r;
    },
  };
  const h3: BenchScenario = {
    id: 'h3',
    name: 'portal GET /bff/session during h2',
    note: `open loop at ${o.probeRate}/s from its own process`,
    warm: async () => empty(),
    slice: async () => lastProbe ?? empty(),
  };
  return {
    scenarios: [h, h2, h3],
    verdicts: (rows) => [
      { label: `zenith memory per socket (${rows.find((r) => r.id === 'h')?.result.ok ?? 0} held)`, value: kib || null, unit: 'KiB', max: KIB_PER_SOCKET },
      { label: 'zenith sockets held on one process', value: rows.find((r) => r.id === 'h')?.result.ok ?? null, unit: '', min: SOCKETS_WANTED },
      { label: `zenith reconnect storm of ${storm.toLocaleString('en-US')}, slowest`, value: stormMs || null, unit: 'ms', max: STORM_MS },
      { label: '/bff/session p99 during the storms (h3)', value: rows.find((r) => r.id === 'h3')?.result.p99 ?? null, unit: 'ms', max: SESSION_P99_MS },
    ],
  };
}
