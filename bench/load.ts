/**
 * The load generator: a child process of its own (never the server's event
 * loop) that runs one autocannon scenario per call and checks every response.
 */
import autocannon from 'autocannon';
import { serve } from './ipc.ts';
import { percentile } from './report.ts';

export interface LoadJob {
  /** http://127.0.0.1:port */
  origin: string;
  path: string;
  method: 'GET' | 'POST';
  headers: Record<string, string>;
  connections: number;
  /** Seconds; ignored when `bodies` is given. */
  duration?: number;
  /** One body per request, each sent exactly once (single-use codes and tokens). */
  bodies?: string[];
  /** Every response must be 200 and contain this. */
  expectBody: string;
}

export interface LoadResult {
  requests: number;
  seconds: number;
  rps: number;
  p50: number;
  p99: number;
  /** Every response time (ms), so rounds can be merged. */
  times: Float64Array;
  ok: number;
  /** Responses that were not 200 or lacked `expectBody`, plus socket errors and timeouts. */
  failures: number;
  statusCounts: Record<string, number>;
  samples: string[];
}

function run(job: LoadJob): Promise<LoadResult> {
  const bodies = job.bodies;
  let next = 0;
  let ok = 0;
  let bad = 0;
  const samples: string[] = [];
  const spec = {
    method: job.method,
    path: job.path,
    headers: job.headers,
    // Each client builds its next request right before sending it, so one body is spent per request.
    ...(bodies ? { setupRequest: (req: object) => ({ ...req, body: bodies[next++] }) } : {}),
    onResponse(status: number, body: string) {
      if (status === 200 && body.includes(job.expectBody)) {
        ok++;
        return;
      }
      bad++;
      if (samples.length < 5) samples.push(`${status} ${body.slice(0, 300)}`);
    },
  };
  return new Promise((resolve, reject) => {
    let t0 = 0;
    let tLast = 0;
    // autocannon's histogram has 1 ms resolution; keep the exact times for the percentiles.
    const times: number[] = [];
    const inst = autocannon(
      {
        url: job.origin,
        connections: job.connections,
        pipelining: 1,
        timeout: 10,
        ...(bodies ? { amount: bodies.length } : { duration: job.duration ?? 5 }),
        requests: [spec],
      },
      (err, r) => {
        if (err) return reject(err);
        const requests = ok + bad;
        // autocannon stops on a 1 s tick; the rate is taken over the span that really carried load.
        const seconds = (tLast - t0) / 1000;
        const sorted = Float64Array.from(times).sort();
        const statusCounts: Record<string, number> = {};
        for (const [code, { count }] of Object.entries(r.statusCodeStats)) statusCounts[code] = count;
        resolve({
          requests,
          seconds,
          rps: seconds > 0 ? requests / seconds : 0,
          p50: percentile(sorted, 0.5),
          p99: percentile(sorted, 0.99),
          times: sorted,
          ok,
          failures: bad + r.errors + r.timeouts,
          statusCounts,
          samples: r.errors || r.timeouts ? [...samples, `${r.errors} socket errors, ${r.timeouts} timeouts`] : samples,
        });
      },
    );
    inst.on('start', () => {
      t0 = performance.now();
    });
    inst.on('response', (_client, _status, _bytes, ms) => {
      tLast = performance.now();
      times.push(ms);
    });
  });
}

serve({ run });
