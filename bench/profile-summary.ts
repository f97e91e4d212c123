/**
 * Summarises a V8 .cpuprofile written by `npm run bench -- --profile=portal`:
 * where the server's CPU time went, by package/file (self time) and by
 * function (self and inclusive). When the server wrote its timed windows
 * (windows-<pid>.json beside the profile, see query-count.ts), only samples
 * inside them count: what remains is serving the timed requests, without the
 * minting between slices. Otherwise samples with frames in bench/servers/
 * are left out, which catches only part of the minting.
 *
 *   node bench/profile-summary.ts <file.cpuprofile> [--top=25] [--match=regex]
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  startTime: number;
  nodes: Node[];
  samples: number[];
  timeDeltas: number[];
}

const { values, positionals } = parseArgs({ allowPositionals: true, options: { top: { type: 'string', default: '25' }, match: { type: 'string' } } });
const file = positionals[0];
if (!file) {
  console.error('usage: node bench/profile-summary.ts <file.cpuprofile> [--top=25] [--match=regex]');
  process.exit(2);
}
const TOP = Number(values.top);
const prof = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const pid = /\.(\d+)\.\d+\.\d+\.cpuprofile$/.exec(file)?.[1];
const windowsFile = pid ? join(dirname(file), `windows-${pid}.json`) : null;
const windows = windowsFile && existsSync(windowsFile) ? (JSON.parse(readFileSync(windowsFile, 'utf8')) as Array<[number, number]>) : null;
const inWindow = (t: number) => windows!.some(([a, b]) => t >= a && t <= b);

const byId = new Map(prof.nodes.map((n) => [n.id, n]));
const parent = new Map<number, number>();
for (const n of prof.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

const short = (url: string) => url.replace(/^file:\/\//, '').replace(/^.*\/work\/main\//, '');
function bucket(n: Node): string {
  const { url, functionName } = n.callFrame;
  if (!url) return `(${functionName || 'native'})`;
  const u = short(url);
  const m = u.match(/node_modules\/((?:@[^/]+\/)?[^/]+)/);
  if (m) return m[1]!;
  if (u.startsWith('node:')) return u.split('/').slice(0, 2).join('/');
  return u;
}
const label = (n: Node) => `${n.callFrame.functionName || '(anonymous)'} ${short(n.callFrame.url)}:${n.callFrame.lineNumber + 1}`;

const self = new Map<string, number>();
const selfFn = new Map<string, number>();
const incl = new Map<string, number>();
let total = 0;
let skipped = 0;
let at = prof.startTime;
for (let i = 0; i < prof.samples.length; i++) {
  at += prof.timeDeltas[i] ?? 0;
  const dt = (prof.timeDeltas[i] ?? 0) / 1000;
  const leaf = byId.get(prof.samples[i]!)!;
  const stack: Node[] = [];
  for (let id: number | undefined = leaf.id; id !== undefined; id = parent.get(id)) stack.push(byId.get(id)!);
  if (windows ? !inWindow(at) : stack.some((n) => n.callFrame.url.includes('/bench/servers/'))) {
    skipped += dt;
    continue;
  }
  total += dt;
  self.set(bucket(leaf), (self.get(bucket(leaf)) ?? 0) + dt);
  selfFn.set(label(leaf), (selfFn.get(label(leaf)) ?? 0) + dt);
  for (const l of new Set(stack.map(label))) incl.set(l, (incl.get(l) ?? 0) + dt);
}

const busy = total - (self.get('(idle)') ?? 0);
const pct = (ms: number) => `${((100 * ms) / busy).toFixed(1).padStart(5)} %`;
const print = (title: string, m: Map<string, number>, filter?: (k: string) => boolean) => {
  console.log(`\n${title}`);
  [...m.entries()]
    .filter(([k]) => k !== '(idle)' && (!filter || filter(k)))
    .sort((a, b) => b[1] - a[1])
    .slice(0, TOP)
    .forEach(([k, ms]) => console.log(`${ms.toFixed(0).padStart(8)} ms ${pct(ms)}  ${k}`));
};
console.log(
  `${file}\nsampled ${total.toFixed(0)} ms (idle ${(self.get('(idle)') ?? 0).toFixed(0)} ms; ${skipped.toFixed(0)} ms ${windows ? `outside the ${windows.length} timed windows` : 'of minting'} left out); percentages are of non-idle time`,
);
print('self time by package / file', self);
print('self time by function', selfFn);
const re = values.match ? new RegExp(values.match) : null;
print(`inclusive time by function${re ? ` matching ${re}` : ''}`, incl, re ? (k) => re.test(k) : undefined);
