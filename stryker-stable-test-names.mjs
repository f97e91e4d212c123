// A Stryker plugin module with no plugins of its own: it makes the tap runner's test names stable.
//
// @stryker-mutator/tap-runner names each test (one per test file) by its absolute path inside
// Stryker's sandbox, a new directory on every run. The incremental report keys tests by name, so
// no result was ever reused: every run retested every mutant. Here the name becomes the path
// relative to the sandbox (`bff/x/y.test.ts`), the same on every run and every checkout; the id,
// which the coverage matrix is keyed by, stays as it is.
import path from 'node:path';

const runnerModule = new URL('./tap-test-runner.js', import.meta.resolve('@stryker-mutator/tap-runner'));
const { TapTestRunner } = await import(runnerModule.href);
const original = TapTestRunner.prototype.tapResultToTestResult;
if (typeof original !== 'function') throw new Error('stryker-stable-test-names: the tap runner changed; remove this plugin or adapt it');
if (!original.stableNames) {
  TapTestRunner.prototype.tapResultToTestResult = function (fileName, ...rest) {
    const result = original.call(this, fileName, ...rest);
    return { ...result, name: path.relative(process.cwd(), fileName).split(path.sep).join('/') };
  };
  TapTestRunner.prototype.tapResultToTestResult.stableNames = true;
}

export const strykerPlugins = [];
