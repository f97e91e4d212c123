/**
 * The one table of body-parser failures (and a request the client abandoned), shared by the BFF's
 * error handler and the adapters that answer in another format (WorkOS): the same status, code and
 * sentence whichever door the request came through.
 */
import type { ErrorCode } from './errors.ts';
import { isClientAbort } from './logger.ts';

export interface BodyError {
  status: number;
  code: ErrorCode;
  message: string;
}

const BODY_ERRORS: Record<string, BodyError> = {
  'entity.parse.failed': { status: 400, code: 'invalid_json', message: 'The request body is not valid JSON.' },
  'entity.too.large': { status: 413, code: 'body_too_large', message: 'The request body is too large.' },
  'charset.unsupported': { status: 415, code: 'charset_unsupported', message: 'The request body uses an unsupported character set.' },
  'encoding.unsupported': { status: 415, code: 'encoding_unsupported', message: 'The request body uses an unsupported encoding.' },
  'parameters.too.many': { status: 413, code: 'too_many_parameters', message: 'The request has too many parameters.' },
  'request.aborted': { status: 400, code: 'request_aborted', message: 'The request was aborted.' },
};

/** The body-parser failure `err` stands for, or null when it is something else. */
export function bodyError(err: unknown): BodyError | null {
  const type = isClientAbort(err) ? 'request.aborted' : (err as { type?: unknown } | null)?.type;
  return (typeof type === 'string' && Object.hasOwn(BODY_ERRORS, type) && BODY_ERRORS[type]) || null;
}
