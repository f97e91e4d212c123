/**
 * The whole-sign-in load generator, a process of its own: `concurrency`
 * cookie-keeping clients each sign in through the BFF again and again, the
 * way a browser does it (the SPA's own calls included, its static files left
 * out), and every step's answer is checked:
 *
 *   GET /bff/login → 303 /oauth/authorize → 303 /interaction/:uid
 *   GET /bff/interaction/:uid                 (the SPA asks what to show)
 *   POST /bff/interaction/:uid/login          (email + password: argon2id verify)
 *   {redirectTo} → /oauth/auth/:uid → 303 /bff/callback?code → the BFF's code exchange → 303 /account
 *   GET /bff/session                          (the SPA confirms it is signed in)
 *
 * A sign-in counts once /bff/session says `authenticated: true`.
 */
import { request, Agent as HttpAgent } from 'node:http';
import { serve } from './ipc.ts';
import { percentile } from './report.ts';
import type { LoadResult } from './load.ts';
import { Agent } from '../bff/testing/agent.ts';
import { hashPassword, verifyPassword } from '../bff/accounts/passwords.ts';

export interface SignInJob {
  origin: string;
  email: string;
  password: string;
  concurrency: number;
  /** Seconds. */
  duration: number;
}

/** Past the BFF and the provider (the SPA's pages): where a browser would render instead of following. */
const onPage = (u: URL) => !u.pathname.startsWith('/oauth/') && !u.pathname.startsWith('/bff/');

async function signInOnce(job: SignInJob, agent = new Agent(job.origin)): Promise<void> {
  const { url } = await agent.follow('/bff/login?returnTo=/account', onPage);
  if (!url.pathname.startsWith('/interaction/')) throw new Error(`/bff/login led to ${url.pathname}, not an interaction`);
  const uid = url.pathname.split('/')[2]!;
  const info = await agent.api('GET', `/bff/interaction/${uid}`);
  const prompt = ((await info.json()) as { prompt?: string }).prompt;
  if (info.status !== 200 || prompt !== 'login') throw new Error(`interaction answered ${info.status} ${prompt}`);
  const login = await agent.api('POST', `/bff/interaction/${uid}/login`, { email: job.email, password: job.password });
  const body = await login.text();
  if (login.status !== 200) throw new Error(`login answered ${login.status} ${body.slice(0, 200)}`);
  const { redirectTo } = JSON.parse(body) as { redirectTo: string };
  const end = await agent.follow(redirectTo, onPage);
  if (end.url.pathname !== '/account') throw new Error(`the callback led to ${end.url.pathname}${end.url.search.slice(0, 120)}`);
  const session = await agent.api('GET', '/bff/session');
  const s = (await session.json()) as { authenticated?: boolean };
  if (session.status !== 200 || s.authenticated !== true) throw new Error(`/bff/session answered ${session.status} without a session`);
}

async function run(job: SignInJob): Promise<LoadResult> {
  const times: number[] = [];
  const samples: string[] = [];
  const statusCounts: Record<string, number> = {};
  let failures = 0;
  const t0 = performance.now();
  const until = t0 + job.duration * 1000;
  let tLast = t0;
  await Promise.all(
    Array.from({ length: job.concurrency }, async () => {
      while (performance.now() < until) {
        const s = performance.now();
        try {
          await signInOnce(job);
          times.push(performance.now() - s);
          statusCounts['200'] = (statusCounts['200'] ?? 0) + 1;
        } catch (e) {
          failures++;
          const m = e instanceof Error ? e.message : String(e);
          const status = /answered (\d{3})/.exec(m)?.[1] ?? 'error';
          statusCounts[status] = (statusCounts[status] ?? 0) + 1;
          if (samples.length < 5) samples.push(m);
        }
        tLast = performance.now();
      }
    }),
  );
  const sorted = Float64Array.from(times).sort();
  const seconds = (tLast - t0) / 1000;
  const requests = times.length + failures;
  return {
    requests,
    seconds,
    rps: seconds > 0 ? times.length / seconds : 0,
    p50: percentile(sorted, 0.5),
    p99: percentile(sorted, 0.99),
    times: sorted,
    ok: times.length,
    failures,
    statusCounts,
    samples,
  };
}

export interface ProbeJob {
  origin: string;
  path: string;
  headers: Record<string, string>;
  /** Requests per second, sent on schedule whether or not earlier ones were answered (open loop). */
  rate: number;
  duration: number;
  expectBody: string;
}

/**
 * A light open-loop prober of one cheap endpoint, in a process that does nothing else, so that its
 * latencies are the server's and not a busy client's. Each request is timed from its scheduled
 * send time: a server that stalls is charged for the whole stall (no coordinated omission).
 */
async function probe(job: ProbeJob): Promise<LoadResult> {
  const agent = new HttpAgent({ keepAlive: true, maxSockets: 64 });
  const url = new URL(job.path, job.origin);
  const times: number[] = [];
  const samples: string[] = [];
  const statusCounts: Record<string, number> = {};
  let failures = 0;
  const total = Math.round(job.rate * job.duration);
  const t0 = performance.now();
  const one = (due: number) =>
    new Promise<void>((resolve) => {
      const req = request(url, { agent, headers: job.headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const body = Buffer.concat(chunks).toString();
          const code = String(res.statusCode);
          statusCounts[code] = (statusCounts[code] ?? 0) + 1;
          if (res.statusCode === 200 && body.includes(job.expectBody)) times.push(performance.now() - due);
          else {
            failures++;
            if (samples.length < 5) samples.push(`${code} ${body.slice(0, 200)}`);
          }
          resolve();
        });
      });
      req.setTimeout(10_000, () => req.destroy(new Error('timeout')));
      req.on('error', (e) => {
        failures++;
        if (samples.length < 5) samples.push(e.message);
        resolve();
      });
      req.end();
    });
  const sent: Promise<void>[] = [];
  for (let i = 0; i < total; i++) {
    const due = t0 + (i * 1000) / job.rate;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    sent.push(one(due));
  }
  await Promise.all(sent);
  agent.destroy();
  const sorted = Float64Array.from(times).sort();
  const seconds = (performance.now() - t0) / 1000;
  return {
    requests: total,
    seconds,
    rps: total / seconds,
    p50: percentile(sorted, 0.5),
    p99: percentile(sorted, 0.99),
    times: sorted,
    ok: times.length,
    failures,
    statusCounts,
    samples,
  };
}

/** One sign-in, for a session cookie other scenarios can use. */
async function cookie(job: Pick<SignInJob, 'origin' | 'email' | 'password'>): Promise<string> {
  const agent = new Agent(job.origin);
  await signInOnce({ ...job, concurrency: 1, duration: 0 }, agent);
  return agent.cookieHeader();
}

/**
 * The CPU one password verification costs at the portal's configured argon2id parameters
 * (passwords.ts), one at a time: CPU time, not wall time, so other work on the machine does not
 * inflate it. 1000 ÷ this is what one core can verify per second, hashing and nothing else.
 */
async function argon2(n: number): Promise<{ cpuMs: number; wallMs: number }> {
  const stored = await hashPassword('correct horse battery staple 9');
  for (let i = 0; i < 3; i++) await verifyPassword(stored, 'x');
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < n; i++) await verifyPassword(stored, 'correct horse battery staple 9');
  const c = process.cpuUsage(c0);
  return { cpuMs: (c.user + c.system) / 1000 / n, wallMs: (performance.now() - t0) / n };
}

serve({ run, probe, cookie, argon2 });
