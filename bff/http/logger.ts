import { pino, type DestinationStream, type Logger } from 'pino';

/**
 * pino with redaction: tokens, secrets, passwords and cookies never reach a
 * log line, whatever object a caller passes.
 */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  // `destination`: e.g. the pretty terminal output (pretty-log.ts); JSON to stdout when absent.
  return pino(
    {
      level,
      // An error's own `code` (ECONNREFUSED, 42P01, SQLITE_BUSY) says what failed and is no
      // secret, but the redaction of `*.code` below (authorization codes) would blank it.
      serializers: { err: errorWithItsCode },
      redact: {
        paths: [
          'password',
          '*.password',
          'newPassword',
          '*.newPassword',
          'currentPassword',
          '*.currentPassword',
          'client_secret',
          '*.client_secret',
          'clientSecret',
          '*.clientSecret',
          'secret',
          '*.secret',
          'access_token',
          '*.access_token',
          'refresh_token',
          '*.refresh_token',
          'id_token',
          '*.id_token',
          'code',
          '*.code',
          'code_verifier',
          '*.code_verifier',
          'token',
          '*.token',
          'tokens',
          '*.tokens',
          'req.headers.cookie',
          'req.headers.authorization',
          'res.headers["set-cookie"]',
          'headers.cookie',
          'headers.authorization',
        ],
        censor: '[redacted]',
      },
    },
    destination,
  );
}

export type { Logger };

/**
 * pino's error serializer, with the error's `code` kept as `errorCode`, out of
 * reach of the `*.code` redaction; `{ name, code }` objects logged as `err` too.
 */
function errorWithItsCode(err: unknown): unknown {
  const out = pino.stdSerializers.err(err as Error) as unknown;
  if (!out || typeof out !== 'object' || !('code' in out)) return out;
  const { code, ...rest } = out as Record<string, unknown>;
  return { ...rest, errorCode: code };
}

const ABORT_CODES = new Set(['ECONNRESET', 'ECONNABORTED', 'EPIPE', 'ERR_STREAM_PREMATURE_CLOSE']);

/**
 * True when an error only says that the client went away mid-request (closed
 * the tab, lost the network): nothing is wrong with the portal, so it is worth
 * a debug line, not an error. `req` is the request it happened to.
 */
export function isClientAbort(err: unknown, req?: { destroyed?: boolean; readableAborted?: boolean }): boolean {
  const e = err as { type?: unknown; code?: unknown; message?: unknown; cause?: unknown } | null;
  if (!e || typeof e !== 'object') return false;
  if (e.type === 'request.aborted') return true;
  // Node's own error for a request body cut short ("aborted", ECONNRESET), as raw-body and for-await see it.
  if (e.message === 'aborted' && e.code === 'ECONNRESET') return true;
  const gone = req?.destroyed === true || req?.readableAborted === true;
  if (!gone) return false;
  return (typeof e.code === 'string' && ABORT_CODES.has(e.code)) || e.message === 'aborted' || e.message === 'request aborted';
}
