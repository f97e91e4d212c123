// Which mutants of today's sources have no result in the incremental file: those on lines changed
// since their file's run, and those spanning such lines (docs/mutation.md). Run as `npx node stryker-scope.mjs`.
// Prints, per file with any: its mutants, the unmeasured ones and their ranges; then the whole scope's
// figures, counting every unmeasured mutant as a survivor. A mutant matches a stored result by its
// mutator, replacement, the code it replaces and the text of its first line, so moved lines still match.
import fs from 'node:fs';
import { Instrumenter } from '@stryker-mutator/instrumenter';

const out = (line) => process.stdout.write(`${line}\n`);
const quiet = new Proxy({}, { get: (_, name) => (String(name).startsWith('is') ? () => false : () => undefined) });
const incremental = JSON.parse(fs.readFileSync(process.argv[2] ?? 'reports/mutation/stryker-incremental.json', 'utf8'));

const lineOf = (src, loc) => src.split('\n')[loc.start.line - 1] ?? '';
const textOf = (src, loc) => {
  const lines = src.split('\n');
  if (loc.start.line === loc.end.line) return lines[loc.start.line - 1].slice(loc.start.column - 1, loc.end.column - 1);
  return [
    lines[loc.start.line - 1].slice(loc.start.column - 1),
    ...lines.slice(loc.start.line, loc.end.line - 1),
    lines[loc.end.line - 1].slice(0, loc.end.column - 1),
  ].join('\n');
};
const keyOf = (src, m, loc) => [m.mutatorName, m.replacement, textOf(src, loc), lineOf(src, loc).trim()].join('\u0000');

const instrumenter = new Instrumenter(quiet);
const tally = {};
let scope = 0;
let unmeasured = 0;
for (const [file, stored] of Object.entries(incremental.files)) {
  if (!fs.existsSync(file)) continue;
  const source = fs.readFileSync(file, 'utf8');
  const { mutants } = await instrumenter.instrument([{ name: file, content: source, mutate: true }], { plugins: null, excludedMutations: [], ignorers: [] });
  const results = new Map();
  for (const m of stored.mutants) {
    const k = keyOf(stored.source, m, m.location);
    (results.get(k) ?? results.set(k, []).get(k)).push(m.status);
  }
  const missing = [];
  for (const m of mutants) {
    // The instrumenter counts lines and columns from 0, the report from 1.
    const loc = {
      start: { line: m.location.start.line + 1, column: m.location.start.column + 1 },
      end: { line: m.location.end.line + 1, column: m.location.end.column + 1 },
    };
    const status = results.get(keyOf(source, m, loc))?.shift();
    if (status === undefined) missing.push(`${loc.start.line}-${loc.end.line} ${m.mutatorName}`);
    else tally[status] = (tally[status] ?? 0) + 1;
  }
  scope += mutants.length;
  unmeasured += missing.length;
  if (missing.length) out(`${file}\t${mutants.length}\t${missing.length}\t${missing.join(', ')}`);
}
const killed = (tally.Killed ?? 0) + (tally.Timeout ?? 0);
const errors = (tally.CompileError ?? 0) + (tally.RuntimeError ?? 0);
out(`scope ${scope} mutants, ${unmeasured} unmeasured; measured: ${JSON.stringify(tally)}`);
out(
  `killed ${killed}: ${((100 * killed) / (scope - unmeasured - errors)).toFixed(1)} % of the measured, at least ${((100 * killed) / (scope - errors)).toFixed(1)} % of the scope`,
);
