/**
 * Development logs a person can read: pino's real output through the pretty
 * destination becomes `HH:MM:SS LEVEL message  key=value`, still redacted;
 * JSON stays for pipes, files and production.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { createLogger } from './logger.ts';
import { prettyDestination, prettyLine, wantsPrettyLogs } from './pretty-log.ts';

function capture(isTTY: boolean) {
  const lines: string[] = [];
  const out = Object.assign(
    new Writable({
      write(chunk, _enc, done) {
        lines.push(String(chunk));
        done();
      },
    }),
    { isTTY },
  );
  return { out, lines };
}

describe('pretty development logs', () => {
  it('pretty only in a terminal outside production', () => {
    assert.deepEqual(
      [
        wantsPrettyLogs('development', true),
        wantsPrettyLogs('development', false),
        wantsPrettyLogs('development', undefined),
        wantsPrettyLogs('production', true),
        wantsPrettyLogs('test', true),
      ],
      [true, false, false, false, true],
    );
  });

  it('formats the real logger’s lines: time, level, message, fields; secrets still redacted', () => {
    const { out, lines } = capture(false);
    const logger = createLogger('info', prettyDestination(out));
    logger.info({ url: 'http://localhost:3000', store: 'sqlite', port: 3000 }, 'portal listening');
    logger.warn({ client_secret: 'hunter2-hunter2', note: 'two words' }, 'careful');
    logger.debug('not at info level');
    assert.equal(lines.length, 2);
    assert.match(lines[0]!, /^\d\d:\d\d:\d\d INFO {2}portal listening {2}url=http:\/\/localhost:3000 store=sqlite port=3000\n$/);
    assert.match(lines[1]!, /^\d\d:\d\d:\d\d WARN {2}careful {2}client_secret=\[redacted\] note="two words"\n$/);
    assert.ok(!lines.join('').includes('hunter2'));
  });

  it('colours the level only for a terminal, shows an error’s stack, and passes a non-JSON line through', () => {
    const { out, lines } = capture(true);
    createLogger('info', prettyDestination(out)).error({ err: new Error('disk full') }, 'write failed');
    assert.match(lines[0]!, /^\d\d:\d\d:\d\d \x1b\[31mERROR\x1b\[0m write failed {2}err=disk full\n\s+at /);
    assert.equal(prettyLine('plain text', false), 'plain text\n');
  });

  it('shows an error’s own code after its message', () => {
    const { out, lines } = capture(false);
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
    createLogger('info', prettyDestination(out)).warn({ err: refused }, 'store unavailable');
    assert.match(lines[0]!, /^\d\d:\d\d:\d\d WARN {2}store unavailable {2}err=connect ECONNREFUSED 127\.0\.0\.1:5432 \(ECONNREFUSED\)\n\s+at /);
  });
});
