/**
 * A person-readable form of pino's JSON lines for development in a terminal:
 * `12:04:05 INFO  portal listening  url=http://localhost:3000 store=sqlite`.
 * Hand-written (about forty lines) rather than pino-pretty: the portal needs
 * one fixed layout and no transport worker thread. Redaction has already run:
 * this only formats what pino wrote.
 */
import type { DestinationStream } from 'pino';

const LEVELS: Record<number, { name: string; colour: string }> = {
  10: { name: 'TRACE', colour: '90' },
  20: { name: 'DEBUG', colour: '36' },
  30: { name: 'INFO', colour: '32' },
  40: { name: 'WARN', colour: '33' },
  50: { name: 'ERROR', colour: '31' },
  60: { name: 'FATAL', colour: '35' },
};

/** Pretty only for a person at a terminal while developing; JSON for files, pipes and production. */
export function wantsPrettyLogs(env: string, isTTY: boolean | undefined): boolean {
  return env !== 'production' && isTTY === true;
}

function field(key: string, value: unknown): string {
  if (value !== null && typeof value === 'object') {
    const err = value as { message?: unknown; stack?: unknown; errorCode?: unknown };
    if (typeof err.stack === 'string') {
      const code = err.errorCode === undefined ? '' : ` (${String(err.errorCode)})`;
      return `${key}=${String(err.message)}${code}\n${err.stack.split('\n').slice(1).join('\n')}`;
    }
    return `${key}=${JSON.stringify(value)}`;
  }
  return `${key}=${typeof value === 'string' && /\s/.test(value) ? JSON.stringify(value) : String(value)}`;
}

/** One JSON line → one readable line (a line that is not JSON passes through unchanged). */
export function prettyLine(line: string, colour: boolean): string {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line.endsWith('\n') ? line : `${line}\n`;
  }
  const { level, time, msg, pid: _pid, hostname: _hostname, ...rest } = entry;
  const lvl = LEVELS[Number(level)] ?? { name: String(level), colour: '0' };
  const at = typeof time === 'number' ? new Date(time).toTimeString().slice(0, 8) : '';
  const name = lvl.name.padEnd(5);
  const fields = Object.entries(rest).map(([k, v]) => field(k, v));
  return `${at} ${colour ? `\x1b[${lvl.colour}m${name}\x1b[0m` : name} ${String(msg ?? '')}${fields.length ? `  ${fields.join(' ')}` : ''}\n`;
}

/** A pino destination that writes pretty lines to `out` (normally process.stdout). */
export function prettyDestination(out: NodeJS.WritableStream & { isTTY?: boolean }): DestinationStream {
  return { write: (line: string) => void out.write(prettyLine(line, out.isTTY === true)) };
}
