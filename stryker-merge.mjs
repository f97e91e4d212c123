// Merges the incremental files of mutation runs made side by side (docs/mutation.md):
//
//   node stryker-merge.mjs reports/mutation/stryker-incremental.json \
//     run-a.json=bff/http/ run-b.json=bff/session/sessions.ts,bff/session/routes.ts …
//
// Each run began from a copy of the committed file and mutated its own source files. From each run
// only the files named after `=` (a path, or a folder ending in `/`) are taken: Stryker rewrites
// every entry of its incremental file when it maps old results onto changed code, so a run's file
// cannot tell what it measured. Later runs win. Test ids are local to one report, so they are
// renumbered per run; test names are made the path in the sandbox, as stryker-stable-test-names.mjs
// names them. The committed file is rewritten in place.
import { readFileSync, writeFileSync, existsSync } from 'node:fs';

const [target, ...runs] = process.argv.slice(2);
if (!target || runs.length === 0 || runs.some((r) => !/=./.test(r))) {
  console.error('usage: node stryker-merge.mjs <committed incremental file> <run file>=<the files it mutated>…');
  process.exit(2);
}
const read = (path) => JSON.parse(readFileSync(path, 'utf8'));
const SANDBOX = /^.*\/\.stryker-[^/]*\/sandbox-[^/]+\//;
const base = read(target);
const files = {};
const testFiles = {};

/** Adds one report's files (all, or only those named) and its tests, ids prefixed. */
function add(report, prefix, only) {
  let taken = 0;
  for (const [name, entry] of Object.entries(report.files)) {
    if (only && !only.some((p) => (p.endsWith('/') ? name.startsWith(p) : name === p))) continue;
    for (const m of entry.mutants) {
      for (const k of ['killedBy', 'coveredBy']) if (Array.isArray(m[k])) m[k] = m[k].map((id) => prefix + id);
    }
    files[name] = entry;
    taken++;
  }
  for (const [name, entry] of Object.entries(report.testFiles ?? {})) {
    const merged = (testFiles[name] ??= { tests: [], source: entry.source });
    merged.tests.push(...entry.tests.map((t) => ({ ...t, id: prefix + t.id, name: t.name.replace(SANDBOX, '') })));
    // Keep the source that matches the test file as it is now, so the next run sees it unchanged.
    if (existsSync(name) && readFileSync(name, 'utf8') === entry.source) merged.source = entry.source;
  }
  return taken;
}

add(base, 'c-');
runs.forEach((arg, i) => {
  const [path, only] = arg.split('=');
  process.stdout.write(`${path}: ${add(read(path), `r${i}-`, only.split(','))} file(s) taken\n`);
});

// Tests no mutant refers to any more are dropped.
const used = new Set(Object.values(files).flatMap((f) => f.mutants.flatMap((m) => [...(m.killedBy ?? []), ...(m.coveredBy ?? [])])));
for (const [name, entry] of Object.entries(testFiles)) {
  entry.tests = entry.tests.filter((t) => used.has(t.id));
  if (entry.tests.length === 0) delete testFiles[name];
}
writeFileSync(target, JSON.stringify({ ...base, files, testFiles }));
const mutants = Object.values(files).reduce((n, f) => n + f.mutants.length, 0);
process.stdout.write(`${target}: ${Object.keys(files).length} files, ${mutants} mutants, ${Object.keys(testFiles).length} test files\n`);
