/**
 * The error codes of the BFF's JSON answers (`{ error, message, fields? }`), declared once per
 * domain as closed lists (as better-auth's `error-codes.ts` and oidc-provider's `errors.js` do).
 * `AppError` (bff/http/errors.ts) takes only these codes and the SPA compares against them with
 * `hasCode` (web/lib/api-client.ts), so a misspelt or retired code fails the typecheck on both
 * sides. One code per meaning: add a code here before answering with it.
 *
 * The compatibility adapters keep the codes of the documents they speak (WorkOS, SaG, Zenith,
 * RFC 6749); only the BFF's own answers are listed here.
 */

/** Answered by the HTTP layer for any route: body parsing, validation, CSRF, limits, outages. */
export const HTTP_ERRORS = [
  'bad_request',
  'not_found',
  'invalid_request',
  'invalid_json',
  'body_too_large',
  'charset_unsupported',
  'encoding_unsupported',
  'too_many_parameters',
  'request_aborted',
  'unsupported_media_type',
  'csrf_rejected',
  'forbidden_origin',
  'missing_option',
  'unknown_command',
  'invalid_cursor',
  'too_many_attempts',
  'temporarily_unavailable',
  'busy',
  'server_error',
] as const;

/** The browser session and who may do what with it. */
export const SESSION_ERRORS = ['not_signed_in', 'session_expired', 'session_not_found', 'admin_required', 'provider_unavailable'] as const;

/** Accounts: sign-up, passwords, one-time links and codes, setup. */
export const ACCOUNT_ERRORS = [
  'invalid_credentials',
  'invalid_email',
  'invalid_username',
  'email_taken',
  'username_taken',
  'already_registered',
  'weak_password',
  'same_password',
  'user_not_found',
  'user_disabled',
  'user_changed',
  'not_connected',
  'invalid_code',
  'code_expired',
  'reset_link_invalid',
  'verification_link_invalid',
  'invitation_invalid',
  'setup_token_invalid',
  'wrong_prompt',
  'mail_disabled',
] as const;

/** The sign-in interaction and the device screen. */
export const SIGN_IN_ERRORS = [
  'interaction_not_found',
  'sign_in_expired',
  'signup_closed',
  'email_not_verified',
  'device_code_not_found',
  'device_code_expired',
  'device_code_used',
] as const;

/** Second factors: TOTP, recovery codes, passkeys, the policy that asks for them. */
export const MFA_ERRORS = [
  'mfa_code_invalid',
  'mfa_code_replayed',
  'mfa_not_set_up',
  'mfa_setup_expired',
  'mfa_setup_required',
  'mfa_step_up_required',
  'last_factor',
  'passkey_challenge_invalid',
  'passkey_counter_error',
  'passkey_exists',
  'passkey_malformed',
  'passkey_not_found',
  'passkey_not_registered',
  'passkey_rejected',
  'passkey_user_not_verified',
  'no_passkey',
] as const;

/** Starting and ending an impersonation. */
export const IMPERSONATION_ERRORS = [
  'impersonation_forbidden',
  'impersonation_invalid',
  'not_impersonating',
  'reauth_required',
  'reason_required',
  'reason_too_long',
  'invalid_duration',
  'target_not_found',
  'cannot_impersonate_self',
  'target_disabled',
  'target_is_admin',
] as const;

/** Partner apps, API resources and the token endpoint's helpers. */
export const CLIENT_ERRORS = [
  'client_not_found',
  'invalid_client_metadata',
  'invalid_redirect_uri',
  'invalid_scope',
  'invalid_jwks',
  'invalid_grant',
  'invalid_resource',
  'public_client',
  'resource_exists',
  'resource_not_found',
] as const;

/** The admin console's own checks. */
export const ADMIN_ERRORS = ['confirm_self', 'confirmation_mismatch', 'conflicting_options', 'identity_not_found', 'last_admin', 'stale_page'] as const;

/** Upstream identity providers (federation). */
export const FEDERATION_ERRORS = ['connection_exists', 'connection_not_found', 'discovery_failed', 'domain_taken'] as const;

/** The gateway: API routes and the calls proxied through them. */
export const GATEWAY_ERRORS = [
  'invalid_api_route',
  'api_route_exists',
  'api_route_not_found',
  'invalid_path',
  'role_required',
  'api_token_refused',
  'bad_gateway',
  'upstream_unreachable',
  'upstream_unavailable',
  'upstream_invalid_response',
  'upstream_timeout',
  'upstream_redirect_refused',
] as const;

/** Branding. */
export const BRANDING_ERRORS = ['invalid_branding', 'logo_not_image', 'logo_unreachable', 'logo_type', 'logo_empty', 'logo_not_found'] as const;

/** Organizations, by meaning (the CLI, the admin API and the WorkOS translator answer the same code). */
export const ORGANIZATION_ERRORS = {
  not_found: 'organization_not_found',
  exists: 'organization_exists',
  has_connections: 'organization_has_connections',
  invalid_name: 'invalid_name',
  invalid_role: 'invalid_role',
  member_not_found: 'member_not_found',
  already_member: 'already_member',
} as const;

export const INVITATION_ERRORS = {
  not_found: 'invitation_not_found',
  used: 'invitation_already_accepted',
  expired: 'invitation_expired',
  email: 'invitation_email_mismatch',
  revoked: 'invitation_revoked',
} as const;

type ValueOf<T> = T[keyof T];
export type OrganizationErrorCode = ValueOf<typeof ORGANIZATION_ERRORS> | ValueOf<typeof INVITATION_ERRORS>;

export type ErrorCode =
  | (typeof HTTP_ERRORS)[number]
  | (typeof SESSION_ERRORS)[number]
  | (typeof ACCOUNT_ERRORS)[number]
  | (typeof SIGN_IN_ERRORS)[number]
  | (typeof MFA_ERRORS)[number]
  | (typeof IMPERSONATION_ERRORS)[number]
  | (typeof CLIENT_ERRORS)[number]
  | (typeof ADMIN_ERRORS)[number]
  | (typeof FEDERATION_ERRORS)[number]
  | (typeof BRANDING_ERRORS)[number]
  | (typeof GATEWAY_ERRORS)[number]
  | OrganizationErrorCode;
