/**
 * Portal → WorkOS shapes: the user object, the authentication response and
 * the error body. The SDK maps an error by status: 401 → Unauthorized, 422 →
 * UnprocessableEntity (message from `errors[].code`), 429 → RateLimitExceeded
 * (Retry-After), any other status with `error`/`error_description` →
 * OauthException (its `error === 'invalid_grant'` ends a sealed session).
 */
import type { User } from '../../store/store.ts';
import { AppError } from '../../http/errors.ts';
import { isHashingBusy } from '../../accounts/hash-gate.ts';
import { isStoreOutage, STORE_RETRY_AFTER } from '../../http/error-handler.ts';
import { bodyError } from '../../http/body-errors.ts';

export interface WorkOSErrorOptions {
  /** The WorkOS `code` (defaults to the OAuth `error`). */
  code?: string;
  retryAfter?: number;
  /** Field problems, for 422. */
  errors?: Array<{ field: string; code: string; message: string }>;
  cause?: unknown;
  /** 5xx are hidden unless said otherwise (temporarily_unavailable is worth telling). */
  expose?: boolean;
  /** More members of the error body (organization_selection_required's pending token, user, organizations). */
  extra?: Record<string, unknown>;
}

/** An error answered in the WorkOS format: `{error, error_description, code, message}`. */
export class WorkOSError extends AppError<string> {
  readonly oauthError: string;
  readonly errors?: WorkOSErrorOptions['errors'];
  readonly extra?: Record<string, unknown>;

  constructor(status: number, oauthError: string, description: string, opts: WorkOSErrorOptions = {}) {
    super(opts.code ?? oauthError, description, { status, retryAfter: opts.retryAfter, cause: opts.cause, expose: opts.expose });
    this.name = 'WorkOSError';
    this.oauthError = oauthError;
    this.errors = opts.errors;
    this.extra = opts.extra;
  }
}

export const invalidGrant = (description: string, code?: string) => new WorkOSError(400, 'invalid_grant', description, { code });
export const invalidRequest = (description: string, code?: string) => new WorkOSError(400, 'invalid_request', description, { code });
export const invalidClient = (description: string) => new WorkOSError(401, 'invalid_client', description);
const storeUnavailable = (cause: unknown) =>
  new WorkOSError(503, 'temporarily_unavailable', 'The portal cannot reach its database right now. Try again in a moment.', {
    cause,
    expose: true,
    retryAfter: STORE_RETRY_AFTER,
  });

export function errorBody(e: WorkOSError): Record<string, unknown> {
  const expose = e.expose;
  return {
    error: expose ? e.oauthError : 'server_error',
    error_description: expose ? e.message : 'Something went wrong on our side. Try again in a moment.',
    code: expose ? e.code : 'server_error',
    message: expose ? e.message : 'Something went wrong on our side. Try again in a moment.',
    ...(expose && e.errors ? { errors: e.errors } : {}),
    ...(expose && e.extra ? e.extra : {}),
  };
}

/** Any error thrown on a WorkOS route, as a WorkOSError. */
export function toWorkOSError(err: unknown): WorkOSError {
  if (err instanceof WorkOSError) return err;
  if (err instanceof AppError) {
    if (err.status === 429) return new WorkOSError(429, 'rate_limit_exceeded', err.message, { code: err.code, retryAfter: err.retryAfter });
    if (err.status < 500) return new WorkOSError(err.status, err.status === 400 ? 'invalid_grant' : 'invalid_request', err.message, { code: err.code });
    // Load shedding (the password-hashing queue full): the store outage's shape, with its own code.
    if (isHashingBusy(err)) return new WorkOSError(503, 'temporarily_unavailable', err.message, { code: err.code, expose: true, retryAfter: err.retryAfter });
  }
  if (isStoreOutage(err)) return storeUnavailable(err);
  const body = bodyError(err);
  if (body) return new WorkOSError(body.status, 'invalid_request', body.message, { code: body.code });
  // 5xx are never exposed (AppError): the body stays generic, the cause goes to the log.
  return new WorkOSError(500, 'server_error', 'Something went wrong on our side. Try again in a moment.', { cause: err });
}

/** The token endpoint's answer (RFC 6749 error), in the WorkOS format with the same status. */
export function fromTokenError(status: number, body: Record<string, unknown>): WorkOSError {
  const error = typeof body.error === 'string' ? body.error : 'server_error';
  const description = typeof body.error_description === 'string' ? body.error_description : 'The request could not be completed.';
  // The token endpoint's own database outage (503 temporarily_unavailable) is one here too.
  if (status === 503 && error === 'temporarily_unavailable') return storeUnavailable(body);
  if (status >= 500 || error === 'server_error') {
    return new WorkOSError(500, 'server_error', description, { cause: body });
  }
  return new WorkOSError(status, error, description);
}

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

/** First word → first_name, the rest → last_name (null when absent). */
export function splitName(name: string): { first: string | null; last: string | null } {
  const parts = name.trim().split(/\s+/).filter(Boolean);
  if (parts.length === 0) return { first: null, last: null };
  return { first: parts[0]!, last: parts.length > 1 ? parts.slice(1).join(' ') : null };
}

/** The WorkOS `user` object for a portal account. */
export function workosUser(u: User) {
  const { first, last } = splitName(u.name);
  return {
    object: 'user' as const,
    id: u.id,
    email: u.email,
    email_verified: u.emailVerified,
    first_name: first,
    last_name: last,
    name: u.name,
    profile_picture_url: null,
    last_sign_in_at: iso(u.lastSignInAt),
    locale: null,
    created_at: iso(u.createdAt)!,
    updated_at: iso(u.updatedAt)!,
    external_id: null,
    metadata: {} as Record<string, string>,
  };
}

export interface Impersonator {
  email: string;
  reason: string;
}

export interface UpstreamOAuthTokens {
  provider: string;
  access_token: string;
  refresh_token: string;
  expires_at: number;
  scopes: string[];
}

export interface AuthenticationParts {
  user: User;
  organizationId: string | null;
  accessToken: string;
  refreshToken: string | undefined;
  authenticationMethod: string;
  impersonator: Impersonator | null;
  oauthTokens: UpstreamOAuthTokens | null;
}

/**
 * Exactly the seed's response fields. Optional ones (`organization_id`,
 * `impersonator`, `oauth_tokens`) are left out when they do not apply, as
 * WorkOS does; the SDK reads them as undefined.
 */
export function authenticationResponse(p: AuthenticationParts): Record<string, unknown> {
  return {
    user: workosUser(p.user),
    ...(p.organizationId ? { organization_id: p.organizationId } : {}),
    access_token: p.accessToken,
    refresh_token: p.refreshToken,
    authentication_method: p.authenticationMethod,
    ...(p.impersonator ? { impersonator: { email: p.impersonator.email, reason: p.impersonator.reason } } : {}),
    ...(p.oauthTokens
      ? {
          oauth_tokens: {
            access_token: p.oauthTokens.access_token,
            refresh_token: p.oauthTokens.refresh_token,
            expires_at: p.oauthTokens.expires_at,
            scopes: p.oauthTokens.scopes,
          },
        }
      : {}),
  };
}
