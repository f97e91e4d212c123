/**
 * The development log layout, pinned exactly so that mutation testing
 * (docs/mutation.md) kills its mutants in well under a second: every level's
 * name and colour, an unknown level, a line without a time or a message, each
 * kind of field value (a string with and without white space, a number, null,
 * an object, an error with its stack), a non-JSON line with and without its
 * newline, and the destination colouring only for a terminal.
 * pretty-log.test.ts runs the real logger through it.
 */
process.env.TZ = 'UTC';

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { prettyDestination, prettyLine, wantsPrettyLogs } from './pretty-log.ts';

/** 2026-11-30 12:04:05.678 UTC (the process runs in UTC, set above). */
const TIME = Date.UTC(2026, 10, 30, 12, 4, 5, 678);
const line = (entry: Record<string, unknown>) => `${JSON.stringify(entry)}\n`;

describe('pretty log lines', () => {
  it('names and colours each pino level, padded to five characters', () => {
    const levels: Array<[number, string, string]> = [
      [10, 'TRACE', '90'],
      [20, 'DEBUG', '36'],
      [30, 'INFO ', '32'],
      [40, 'WARN ', '33'],
      [50, 'ERROR', '31'],
      [60, 'FATAL', '35'],
    ];
    for (const [level, name, colour] of levels) {
      assert.equal(prettyLine(line({ level, time: TIME, msg: 'm' }), false), `12:04:05 ${name} m\n`, String(level));
      assert.equal(prettyLine(line({ level, time: TIME, msg: 'm' }), true), `12:04:05 \x1b[${colour}m${name}\x1b[0m m\n`, String(level));
    }
  });

  it('shows an unknown level as itself, uncoloured (colour 0)', () => {
    assert.equal(prettyLine(line({ level: 35, time: TIME, msg: 'm' }), true), '12:04:05 \x1b[0m35   \x1b[0m m\n');
    assert.equal(prettyLine(line({ level: 'custom', time: TIME, msg: 'm' }), false), '12:04:05 custom m\n');
  });

  it('leaves the time and the message empty when the entry has none, and drops pid and hostname', () => {
    assert.equal(prettyLine(line({ level: 30, pid: 1, hostname: 'h' }), false), ' INFO  \n');
    assert.equal(prettyLine(line({ level: 30, time: '12:00', msg: 5 }), false), ' INFO  5\n');
  });

  it('writes each other field as key=value after two spaces, quoting strings with white space', () => {
    const out = prettyLine(
      line({ level: 30, time: TIME, msg: 'listening', url: 'http://x', note: 'two words', tab: 'a\tb', n: 3, yes: true, none: null, obj: { a: [1, 'b c'] } }),
      false,
    );
    assert.equal(out, '12:04:05 INFO  listening  url=http://x note="two words" tab="a\\tb" n=3 yes=true none=null obj={"a":[1,"b c"]}\n');
  });

  it('writes an error as its message, then its stack without the first line', () => {
    const err = { type: 'Error', message: 'disk full', stack: 'Error: disk full\n    at a (x.ts:1)\n    at b (y.ts:2)' };
    assert.equal(
      prettyLine(line({ level: 50, time: TIME, msg: 'failed', err }), false),
      '12:04:05 ERROR failed  err=disk full\n    at a (x.ts:1)\n    at b (y.ts:2)\n',
    );
    assert.equal(
      prettyLine(line({ level: 50, time: TIME, msg: 'failed', err: { stack: 5, message: 'm' } }), false),
      '12:04:05 ERROR failed  err={"stack":5,"message":"m"}\n',
    );
  });

  it('passes a line that is not JSON through, adding the newline only when missing', () => {
    assert.equal(prettyLine('plain text', true), 'plain text\n');
    assert.equal(prettyLine('plain text\n', true), 'plain text\n');
    assert.equal(prettyLine('{"level":', false), '{"level":\n');
  });
});

describe('pretty log destination', () => {
  function capture(isTTY: boolean | undefined) {
    const lines: string[] = [];
    const out = Object.assign(
      new Writable({
        write(chunk, _enc, done) {
          lines.push(String(chunk));
          done();
        },
      }),
      isTTY === undefined ? {} : { isTTY },
    );
    return { out, lines };
  }

  it('colours only when the stream is a terminal', () => {
    for (const [isTTY, expected] of [
      [true, '12:04:05 \x1b[33mWARN \x1b[0m w\n'],
      [false, '12:04:05 WARN  w\n'],
      [undefined, '12:04:05 WARN  w\n'],
    ] as const) {
      const { out, lines } = capture(isTTY);
      prettyDestination(out).write(line({ level: 40, time: TIME, msg: 'w' }));
      assert.deepEqual(lines, [expected], String(isTTY));
    }
  });

  it('is wanted only at a terminal and outside production', () => {
    assert.equal(wantsPrettyLogs('development', true), true);
    assert.equal(wantsPrettyLogs('test', true), true);
    assert.equal(wantsPrettyLogs('production', true), false);
    assert.equal(wantsPrettyLogs('development', false), false);
    assert.equal(wantsPrettyLogs('development', undefined), false);
    assert.equal(wantsPrettyLogs('production', false), false);
  });
});
