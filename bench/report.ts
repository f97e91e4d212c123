/** The table and the target lines `npm run bench` ends with. */
import type { LoadResult } from './load.ts';

export interface Row {
  id: string;
  name: string;
  result: LoadResult;
  note: string;
  /** Store statements per request, where the server counts them. */
  queries?: number;
  /** Server CPU time per request (µs), where the server reports it. */
  cpuMicros?: number;
}

export interface Target {
  label: string;
  value: number | null;
  unit: '%' | 'req/s';
  /** Absent: reported, with no verdict. */
  min?: number;
}

/** The q-quantile of ascending values. */
export function percentile(sorted: Float64Array, q: number): number {
  if (!sorted.length) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
}

/** Several runs of one scenario as one: rate over the summed time, percentiles over every response. */
export function mergeResults(parts: LoadResult[]): LoadResult {
  const n = parts.reduce((a, p) => a + p.times.length, 0);
  const times = new Float64Array(n);
  let at = 0;
  for (const p of parts) {
    times.set(p.times, at);
    at += p.times.length;
  }
  times.sort();
  const statusCounts: Record<string, number> = {};
  for (const p of parts) for (const [k, v] of Object.entries(p.statusCounts)) statusCounts[k] = (statusCounts[k] ?? 0) + v;
  const requests = parts.reduce((a, p) => a + p.requests, 0);
  const seconds = parts.reduce((a, p) => a + p.seconds, 0);
  return {
    requests,
    seconds,
    rps: seconds > 0 ? requests / seconds : 0,
    p50: percentile(times, 0.5),
    p99: percentile(times, 0.99),
    times,
    ok: parts.reduce((a, p) => a + p.ok, 0),
    failures: parts.reduce((a, p) => a + p.failures, 0),
    statusCounts,
    samples: parts.flatMap((p) => p.samples).slice(0, 10),
  };
}

const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

function table(headers: string[], rows: string[][], right: boolean[]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (right[i] ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join(' | ');
  return [line(headers), widths.map((w) => '-'.repeat(w)).join('-|-'), ...rows.map(line)].join('\n');
}

const queries = (r: Row) => (r.queries === undefined || Number.isNaN(r.queries) ? '' : fmt(r.queries, 1));

/** The token scenarios side by side per store: SQLite (d, e) beside PostgreSQL (d.pg, e.pg). */
export function printByStore(rows: Row[]): void {
  const ids = ['d', 'e'].filter((id) => rows.some((r) => r.id === id) && rows.some((r) => r.id === `${id}.pg`));
  if (!ids.length) return;
  const cells = (r: Row) => [fmt(r.result.rps), fmt(r.result.p50, 2), fmt(r.result.p99, 2), queries(r)];
  console.log(
    '\n' +
      table(
        ['', 'SQLite req/s', 'p50 ms', 'p99 ms', 'queries/req', 'PostgreSQL req/s', 'p50 ms', 'p99 ms', 'queries/req'],
        ids.map((id) => [id === 'd' ? 'code exchange' : 'refresh', ...cells(rows.find((r) => r.id === id)!), ...cells(rows.find((r) => r.id === `${id}.pg`)!)]),
        [false, true, true, true, true, true, true, true, true],
      ),
  );
}

export function printReport(rows: Row[], targets: Target[]): void {
  console.log(
    '\n' +
      table(
        ['', 'scenario', 'req/s', 'p50 ms', 'p99 ms', 'requests', 'failed', 'queries/req', 'CPU µs/req', 'note'],
        rows.map((r) => [
          r.id,
          r.name,
          fmt(r.result.rps),
          fmt(r.result.p50, 2),
          fmt(r.result.p99, 2),
          fmt(r.result.requests),
          fmt(r.result.failures),
          queries(r),
          r.cpuMicros === undefined || Number.isNaN(r.cpuMicros) ? '' : fmt(r.cpuMicros),
          r.note,
        ]),
        [false, false, true, true, true, true, true, true, true, false],
      ),
  );
  if (targets.length) {
    console.log(
      '\n' +
        table(
          ['target', 'measured', 'wanted', 'verdict'],
          targets.map((t) => [
            t.label,
            t.value === null ? 'n/a' : t.unit === '%' ? `${fmt(t.value, 1)} %` : `${fmt(t.value)} req/s`,
            t.min === undefined ? '' : t.unit === '%' ? `>= ${t.min} %` : `>= ${fmt(t.min)} req/s`,
            t.value === null ? 'n/a' : t.min === undefined ? '' : t.value >= t.min ? 'PASS' : 'MISS',
          ]),
          [false, true, true, false],
        ),
    );
  }
  const failed = rows.filter((r) => r.result.failures > 0);
  for (const r of failed) {
    console.log(`\n${r.id} ${r.name}: ${r.result.failures} failed responses; status counts ${JSON.stringify(r.result.statusCounts)}`);
    for (const s of r.result.samples) console.log(`   ${s}`);
  }
}
