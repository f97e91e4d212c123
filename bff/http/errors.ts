/**
 * One error model: a stable snake_case code, an HTTP status, and a message a
 * person can act on. `expose: false` errors leave the server as a generic
 * `server_error`; their cause only reaches the log.
 */
export interface AppErrorOptions {
  status: number;
  expose?: boolean;
  cause?: unknown;
  fields?: Record<string, string>;
  retryAfter?: number;
}

export class AppError extends Error {
  readonly code: string;
  readonly status: number;
  readonly expose: boolean;
  readonly fields?: Record<string, string>;
  readonly retryAfter?: number;

  constructor(code: string, message: string, opts: AppErrorOptions) {
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
export const badRequest = (code: string, message: string, fields?: Record<string, string>) =>
  new AppError(code, message, { status: 400, fields });
export const unauthorized = (code: string, message: string) => new AppError(code, message, { status: 401 });
export const forbidden = (code: string, message: string) => new AppError(code, message, { status: 403 });
export const notFound = (code: string, message: string) => new AppError(code, message, { status: 404 });
export const conflict = (code: string, message: string, fields?: Record<string, string>) =>
  new AppError(code, message, { status: 409, fields });
export const gone = (code: string, message: string) => new AppError(code, message, { status: 410 });
export const tooMany = (message: string, retryAfter: number) =>
  new AppError('too_many_attempts', message, { status: 429, retryAfter });

export function isAppError(e: unknown): e is AppError {
  return e instanceof AppError;
}
