// StrykerJS over the security-critical BFF folders: `npm run mutate` (never part of `npm test`).
// How to run it, what it costs and the equivalent mutants we accept: docs/mutation.md.

// The tap runner spawns `node` from PATH for every test file. Only Node 24 strips types,
// and `npm run` puts node_modules/.bin (the `node` package) first on PATH; the system
// Node 20 would fail every file with a syntax error, so refuse early with the reason.
const major = Number(process.versions.node.split('.')[0]);
if (major < 24) {
  throw new Error(`Stryker needs Node 24 (this is ${process.version}): run it as \`npm run mutate\`, not \`npx stryker\`.`);
}

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'tap',
  // The second makes test names stable between runs, so the incremental file is reused (see its header).
  plugins: ['@stryker-mutator/tap-runner', './stryker-stable-test-names.mjs'],
  tap: {
    testFiles: ['bff/**/*.test.ts'],
    // The runner runs each file in-process (not `node --test`), so its hook sees every
    // hit: coverage is per test file, and a mutant runs only the files that reach it.
    nodeArgs: ['--test-reporter=tap', '-r', '{{hookFile}}', '{{testFile}}'],
    forceBail: true,
  },
  coverageAnalysis: 'perTest',
  mutate: [
    'bff/{http,session,oauth,impersonation,audit,accounts,compat}/**/*.ts',
    'bff/sign-in/routes.ts', // the sign-in interaction (was oauth/interactions/routes.ts)
    '!bff/**/*.test.ts',
    '!bff/testing/**',
    '!bff/http/fuzz-inputs.ts', // the fuzz test's generator: test code
    '!bff/**/test-helpers.ts', // helpers only the tests import
    '!bff/compat/zenith/test-client.ts', // the tests' Zenith client
  ],
  // Stryker copies the project into a sandbox; the SPA, browser journeys and data stay out.
  ignorePatterns: ['/web', '/e2e', '/bench', '/docs', '/data', '/dist', '/test-results', '/playwright-report'],
  tempDirName: '.stryker-tmp',
  // Results are reused between runs: a second run only tests mutants whose code or covering tests changed.
  incremental: true,
  incrementalFile: 'reports/mutation/stryker-incremental.json',
  // One worker by default: the machine has 2 cores and every test file starts real servers
  // (SQLite and PostgreSQL). `npm run mutate -- --concurrency 2` on a quiet machine.
  concurrency: 1,
  // Every test file boots the app and a PostgreSQL schema: runs vary a lot under load,
  // so a mutant is only a timeout when it takes well over twice its files' dry-run time.
  timeoutFactor: 2.5,
  timeoutMS: 30000,
  dryRunTimeoutMinutes: 60,
  reporters: ['clear-text', 'progress-append-only', 'html', 'json'],
  htmlReporter: { fileName: 'reports/mutation/mutation.html' },
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  clearTextReporter: { allowColor: false, logTests: false, maxTestsToLog: 0 },
  thresholds: { high: 85, low: 70, break: null },
};
