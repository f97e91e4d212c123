import type { ErrorCode } from '../../api/errors.ts';

export type { ErrorCode };

/**
 * One error model: a stable snake_case code, an HTTP status, and a message a
 * person can act on. `expose: false` errors leave the server as a generic
 * `server_error`; their cause only reaches the log. The codes are the closed
 * lists of api/errors.ts.
 */
export interface AppErrorOptions {
  status: number;
  expose?: boolean;
  cause?: unknown;
  fields?: Record<string, string>;
  retryAfter?: number;
}

/** `C` is the code's type: the BFF's closed list; an adapter speaking another document's codes (WorkOSError) widens it. */
export class AppError<C extends string = ErrorCode> extends Error {
  readonly code: C;
  readonly status: number;
  readonly expose: boolean;
  readonly fields?: Record<string, string>;
  readonly retryAfter?: number;

  constructor(code: NoInfer<C>, message: string, opts: AppErrorOptions) {
    super(message, { cause: opts.cause });
    this.name = 'AppError';
    this.code = code;
    this.status = opts.status;
    this.expose = opts.expose ?? opts.status < 500;
    this.fields = opts.fields;
    this.retryAfter = opts.retryAfter;
  }
}

/** Shorthands for the statuses the BFF answers with. */
export const badRequest = (code: ErrorCode, message: string, fields?: Record<string, string>) => new AppError(code, message, { status: 400, fields });
export const unauthorized = (code: ErrorCode, message: string) => new AppError(code, message, { status: 401 });
export const forbidden = (code: ErrorCode, message: string) => new AppError(code, message, { status: 403 });
export const notFound = (code: ErrorCode, message: string) => new AppError(code, message, { status: 404 });
export const conflict = (code: ErrorCode, message: string, fields?: Record<string, string>) => new AppError(code, message, { status: 409, fields });
export const gone = (code: ErrorCode, message: string) => new AppError(code, message, { status: 410 });
export const tooMany = (message: string, retryAfter: number) => new AppError('too_many_attempts', message, { status: 429, retryAfter });

export function isAppError(e: unknown): e is AppError<string> {
  return e instanceof AppError;
}
