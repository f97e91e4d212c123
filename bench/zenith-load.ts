/**
 * A Zenith socket holder, one of several processes (each stays under its own
 * file-descriptor limit): opens authenticated sockets
 * (`Authorization: Bearer <access token>` on the upgrade, as terminals do),
 * keeps them open and answers pings, and on request drops some at once and
 * reconnects them all together (the reconnect storm after a deploy).
 * Sockets take their source address in turn from `sources` (127.0.0.x), since
 * one address has only ~28k ephemeral ports towards one server port.
 */
import { WebSocket } from 'ws';
import { serve } from './ipc.ts';
import { percentile } from './report.ts';
import type { LoadResult } from './load.ts';

export interface HoldJob {
  /** ws://127.0.0.1:port/Zenith?version=1.1 */
  url: string;
  tokens: string[];
  sources: string[];
  count: number;
  /** Upgrades in flight at once while filling (a steady ramp, not the storm). */
  inFlight: number;
}

const sockets: WebSocket[] = [];
let job: HoldJob;
let nth = 0;

/** Opens one socket; resolves with its time to open (ms), or rejects with the refusal. */
function openOne(): Promise<number> {
  const i = nth++;
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(job.url, ['ZenithJson'], {
      headers: { authorization: `Bearer ${job.tokens[i % job.tokens.length]}` },
      localAddress: job.sources[i % job.sources.length],
      perMessageDeflate: false,
      handshakeTimeout: 10_000,
    });
    ws.once('open', () => {
      sockets.push(ws);
      resolve(performance.now() - t0);
    });
    ws.once('unexpected-response', (req, res) => {
      reject(new Error(`refused with ${res.statusCode}`));
      res.resume();
      req.destroy();
    });
    ws.once('error', (e) => reject(e));
  });
}

function result(times: number[], failures: number, samples: string[], ms: number): LoadResult {
  const sorted = Float64Array.from(times).sort();
  const statusCounts: Record<string, number> = { '101': times.length };
  return {
    requests: times.length + failures,
    seconds: ms / 1000,
    rps: (times.length * 1000) / ms,
    p50: percentile(sorted, 0.5),
    p99: percentile(sorted, 0.99),
    times: sorted,
    ok: times.length,
    failures,
    statusCounts,
    samples,
  };
}

/** Opens `count` sockets with at most `inFlight` upgrades pending at once. */
async function fill(count: number, inFlight: number): Promise<LoadResult> {
  const times: number[] = [];
  const samples: string[] = [];
  let failures = 0;
  let left = count;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: Math.min(inFlight, count) }, async () => {
      while (left > 0) {
        left--;
        try {
          times.push(await openOne());
        } catch (e) {
          failures++;
          if (samples.length < 5) samples.push(e instanceof Error ? e.message : String(e));
        }
      }
    }),
  );
  return result(times, failures, samples, performance.now() - t0);
}

async function hold(j: HoldJob): Promise<LoadResult> {
  job = j;
  return fill(j.count, j.inFlight);
}

/** Drops `count` sockets abruptly (no close handshake, as a restarting server's peers see it) and reconnects them all at once. */
async function storm(count: number): Promise<LoadResult> {
  const dropped = sockets.splice(0, count);
  for (const ws of dropped) ws.terminate();
  return fill(dropped.length, dropped.length);
}

async function open(): Promise<number> {
  return sockets.filter((ws) => ws.readyState === WebSocket.OPEN).length;
}

async function closeAll(): Promise<void> {
  for (const ws of sockets.splice(0)) ws.terminate();
}

serve({ hold, storm, open, closeAll });
