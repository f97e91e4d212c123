/**
 * Scenario g, whole browser sign-ins through the BFF (sign-in-load.ts), and
 * g2, `/bff/session` answered meanwhile: each slice runs both at once, the
 * sign-ins from one process with `concurrency` cookie-keeping clients, the
 * probe from another at a fixed rate. argon2id runs at its production cost
 * (passwords.ts: m=19 MiB, t=2); nothing is relaxed for the bench.
 */
import { readFileSync } from 'node:fs';
import type { Child } from './ipc.ts';
import type { LoadResult } from './load.ts';
import type { ProbeJob, SignInJob } from './sign-in-load.ts';

/** The shape run.ts's scenarios have. */
export interface BenchScenario {
  id: string;
  name: string;
  note: string;
  warm(): Promise<LoadResult>;
  slice(): Promise<LoadResult>;
}

/** A target line with a direction: run.ts's table only knows minimums. */
export interface Verdict {
  label: string;
  value: number | null;
  unit: string;
  min?: number;
  max?: number;
}

export interface SignInOptions {
  start(name: string, script: string): Child;
  origin: string;
  /** The portal's process: its CPU time (every thread, argon2's included) is read from /proc. */
  serverPid: number;
  email: string;
  password: string;
  /** Cookie-keeping clients signing in at once. */
  concurrency: number;
  /** /bff/session requests per second while the sign-ins run. */
  probeRate: number;
  warmup: number;
  slice: number;
}

export const SIGN_INS_PER_S = 150;
export const SESSION_P99_MS = 20;

/** CPU seconds a process has used (user + system, all threads), from /proc; null where there is no /proc. */
export function cpuSeconds(pid: number): number | null {
  try {
    // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th.
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(f[11]) + Number(f[12])) / 100;
  } catch {
    return null;
  }
}

/** A result with nothing in it. */
export const empty = (): LoadResult => ({
  requests: 0,
  seconds: 0,
  rps: 0,
  p50: 0,
  p99: 0,
  times: new Float64Array(0),
  ok: 0,
  failures: 0,
  statusCounts: {},
  samples: [],
});

export async function signInScenarios(
  o: SignInOptions,
): Promise<{ scenarios: BenchScenario[]; verdicts(rows: Array<{ id: string; result: LoadResult }>): Verdict[] }> {
  const signIns = o.start('sign-ins', './sign-in-load.ts');
  const prober = o.start('probe', './sign-in-load.ts');
  const hashing = await signIns.call<{ cpuMs: number; wallMs: number }>('argon2', 40);
  const cookie = await signIns.call<string>('cookie', { origin: o.origin, email: o.email, password: o.password });
  const job = (duration: number): SignInJob => ({ origin: o.origin, email: o.email, password: o.password, concurrency: o.concurrency, duration });
  const probe = (duration: number): ProbeJob => ({
    origin: o.origin,
    path: '/bff/session',
    headers: { cookie, accept: 'application/json' },
    rate: o.probeRate,
    duration,
    expectBody: '"authenticated":true',
  });
  // What the probe alone costs the server, so that it can be taken out of the CPU per sign-in.
  const p0 = cpuSeconds(o.serverPid);
  const alone = await prober.call<LoadResult>('probe', probe(2));
  const p1 = cpuSeconds(o.serverPid);
  const cpuPerProbe = p0 !== null && p1 !== null && alone.requests ? (p1 - p0) / alone.requests : 0;
  let lastProbe = empty();
  let cpu = 0;
  let done = 0;
  const both = async (duration: number, timed: boolean) => {
    const c0 = cpuSeconds(o.serverPid);
    const [g, p] = await Promise.all([signIns.call<LoadResult>('run', job(duration)), prober.call<LoadResult>('probe', probe(duration))]);
    const c1 = cpuSeconds(o.serverPid);
    if (timed && c0 !== null && c1 !== null) {
      cpu += c1 - c0 - cpuPerProbe * p.requests;
      done += g.ok;
      // CPU per sign-in does not depend on how busy the machine is: it says what 2 free cores could do.
      gRow.note = `${o.concurrency} clients; server CPU ${((1000 * cpu) / Math.max(1, done)).toFixed(1)} ms per sign-in (all threads, probe taken out)`;
    }
    lastProbe = p;
    return g;
  };
  const gRow: BenchScenario = {
    id: 'g',
    name: 'whole BFF sign-ins (argon2id m=19 MiB t=2)',
    note: `${o.concurrency} clients`,
    warm: () => both(o.warmup, false),
    slice: () => both(o.slice, true),
  };
  // Runs right after g in every round and reports the probe g ran beside it.
  const g2: BenchScenario = {
    id: 'g2',
    name: 'portal GET /bff/session during g',
    note: `open loop at ${o.probeRate}/s from its own process`,
    warm: async () => {
      const p = lastProbe;
      return p.failures ? p : empty();
    },
    slice: async () => lastProbe,
  };
  return {
    scenarios: [gRow, g2],
    verdicts: (rows) => [
      { label: 'whole sign-ins (g)', value: rows.find((r) => r.id === 'g')?.result.rps ?? null, unit: '/s', min: SIGN_INS_PER_S },
      { label: `argon2id alone on 2 cores (${hashing.cpuMs.toFixed(1)} ms CPU per verify)`, value: 2000 / hashing.cpuMs, unit: '/s', min: SIGN_INS_PER_S },
      { label: 'ceiling on 2 free cores (2 s ÷ server CPU per sign-in)', value: done ? (2 * done) / cpu : null, unit: '/s', min: SIGN_INS_PER_S },
      { label: '/bff/session p99 during sign-ins (g2)', value: rows.find((r) => r.id === 'g2')?.result.p99 ?? null, unit: 'ms', max: SESSION_P99_MS },
    ],
  };
}

/** Prints target lines with either direction (minimum or maximum). */
export function printVerdicts(verdicts: Verdict[]): void {
  if (!verdicts.length) return;
  const fmt = (v: number) => v.toLocaleString('en-US', { maximumFractionDigits: v < 100 ? 1 : 0 });
  console.log('');
  for (const v of verdicts) {
    const wanted = v.min !== undefined ? `>= ${fmt(v.min)} ${v.unit}` : `<= ${fmt(v.max!)} ${v.unit}`;
    const pass = v.value !== null && (v.min === undefined || v.value >= v.min) && (v.max === undefined || v.value <= v.max);
    console.log(
      `${v.label.padEnd(58)} ${(v.value === null ? 'n/a' : `${fmt(v.value)} ${v.unit}`).padStart(14)}   wanted ${wanted.padEnd(16)} ${v.value === null ? 'n/a' : pass ? 'PASS' : 'MISS'}`,
    );
  }
}
