import type { ErrorCode } from '../../api/errors.ts';

/**
 * The one way the SPA talks to the BFF. It returns data or throws a typed
 * `ApiError`; it never navigates, toasts or retries — callers decide.
 */

export interface ApiErrorInit {
  status: number;
  code: string;
  message: string;
  fields?: Record<string, string>;
  retryAfter?: number;
}

export class ApiError extends Error {
  /** HTTP status; 0 when the request never got an answer. */
  readonly status: number;
  /** Stable snake_case code from the BFF (`error`), or one of ours. */
  readonly code: string;
  /** Per-field validation messages, keyed by the request body's field names. */
  readonly fields?: Record<string, string>;
  /** Seconds to wait before trying again (429). */
  readonly retryAfter?: number;
  /** When the answer arrived (ms), so a wait can be counted from it. */
  readonly receivedAt = Date.now();

  constructor(init: ApiErrorInit) {
    super(init.message);
    this.name = 'ApiError';
    this.status = init.status;
    this.code = init.code;
    this.fields = init.fields;
    this.retryAfter = init.retryAfter;
  }
}

export function isApiError(error: unknown): error is ApiError {
  return error instanceof ApiError;
}

/**
 * Whether `error` is the BFF's answer with `code`. The codes are the BFF's closed lists
 * (api/errors.ts), so a misspelt or retired code fails the typecheck instead of never matching.
 * (The narrowed type names the code, so that a `false` leaves an ApiError an ApiError.)
 */
export function hasCode(error: unknown, ...codes: ErrorCode[]): error is ApiError & { readonly code: ErrorCode } {
  return isApiError(error) && (codes as string[]).includes(error.code);
}

/** True for an answered 4xx: retrying the same request will not help. */
export function isClientError(error: unknown): boolean {
  return isApiError(error) && error.status >= 400 && error.status < 500;
}

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface RequestOptions {
  body?: unknown;
  /** Sent as the body itself, with its own type, instead of JSON (an image upload). */
  file?: Blob;
  signal?: AbortSignal;
}

const fallbackMessages: Record<number, string> = {
  400: 'The request was not accepted. Check the form and try again.',
  401: 'You are not signed in. Sign in and try again.',
  403: 'You are not allowed to do that.',
  404: 'That was not found.',
  409: 'That conflicts with something that already exists.',
  410: 'That has expired or was already used.',
  429: 'Too many attempts. Wait a moment and try again.',
};

function fallbackMessage(status: number): string {
  return fallbackMessages[status] ?? 'The portal could not complete the request. Try again in a moment.';
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function readFields(value: unknown): Record<string, string> | undefined {
  if (!isRecord(value)) return undefined;
  const fields: Record<string, string> = {};
  for (const [key, message] of Object.entries(value)) {
    if (typeof message === 'string') fields[key] = message;
  }
  return Object.keys(fields).length > 0 ? fields : undefined;
}

function readRetryAfter(body: Record<string, unknown> | undefined, header: string | null): number | undefined {
  const fromBody = body?.retryAfter;
  if (typeof fromBody === 'number' && Number.isFinite(fromBody) && fromBody >= 0) return Math.ceil(fromBody);
  if (header !== null && /^\d+$/.test(header.trim())) return Number(header.trim());
  return undefined;
}

async function readJson(response: Response): Promise<{ ok: true; value: unknown } | { ok: false }> {
  const text = await response.text();
  if (text.trim() === '') return { ok: true, value: undefined };
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch {
    return { ok: false };
  }
}

function errorFromResponse(response: Response, parsed: { ok: true; value: unknown } | { ok: false }): ApiError {
  const { status } = response;
  const body = parsed.ok && isRecord(parsed.value) ? parsed.value : undefined;
  const code = typeof body?.error === 'string' && body.error !== '' ? body.error : status >= 500 ? 'server_error' : 'unexpected_response';
  const message = typeof body?.message === 'string' && body.message !== '' ? body.message : fallbackMessage(status);
  return new ApiError({
    status,
    code,
    message,
    fields: readFields(body?.fields),
    retryAfter: readRetryAfter(body, response.headers.get('Retry-After')),
  });
}

function isAbort(error: unknown): boolean {
  return error instanceof Error && error.name === 'AbortError';
}

/**
 * Resolves a path against the document, exactly as a browser's fetch would;
 * doing it here keeps the client working where fetch has no document (tests).
 */
function resolveUrl(path: string): string {
  const base = typeof document === 'undefined' ? undefined : document.baseURI;
  return base ? new URL(path, base).href : path;
}

export async function apiRequest<T>(method: HttpMethod, path: string, options: RequestOptions = {}): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  let body: string | Blob | undefined;
  if (method !== 'GET') {
    // The BFF's CSRF check: a custom header a cross-site form cannot send.
    headers['X-Portal-CSRF'] = '1';
    headers['Content-Type'] = options.file ? options.file.type || 'application/octet-stream' : 'application/json';
    body = options.file ?? JSON.stringify(options.body ?? {});
  }

  let response: Response;
  try {
    response = await fetch(resolveUrl(path), {
      method,
      headers,
      body,
      credentials: 'same-origin',
      signal: options.signal,
    });
  } catch (error) {
    if (isAbort(error)) throw error;
    throw new ApiError({
      status: 0,
      code: 'network_error',
      message: 'Could not reach the portal. Check your connection and try again.',
    });
  }

  let parsed: { ok: true; value: unknown } | { ok: false };
  try {
    parsed = await readJson(response);
  } catch (error) {
    if (isAbort(error)) throw error;
    parsed = { ok: false };
  }

  if (!response.ok) throw errorFromResponse(response, parsed);
  if (!parsed.ok) {
    throw new ApiError({
      status: response.status,
      code: 'invalid_response',
      message: 'The portal sent an answer the page could not read. Reload and try again.',
    });
  }
  return parsed.value as T;
}

export function apiGet<T>(path: string, options: { signal?: AbortSignal } = {}): Promise<T> {
  return apiRequest<T>('GET', path, options);
}

export function apiPost<T>(path: string, body?: unknown): Promise<T> {
  return apiRequest<T>('POST', path, { body });
}

export function apiDelete<T>(path: string, body?: unknown): Promise<T> {
  return apiRequest<T>('DELETE', path, { body });
}

/** Encodes one path segment (a uid or client id) for use in an API path. */
export function segment(value: string): string {
  return encodeURIComponent(value);
}
