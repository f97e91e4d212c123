/**
 * The WorkOS user-management wire format, as zod schemas: what
 * `POST /user_management/authenticate` accepts (the official SDK's
 * serializers send snake_case JSON; unknown fields such as `signals_id` are
 * ignored) and the query of the logout endpoint.
 */
import { z } from 'zod';

const optional = (max: number) =>
  z
    .string()
    .max(max)
    .nullish()
    .transform((v) => (v === null || v === '' ? undefined : v));

const common = {
  client_id: z.string().min(1).max(200),
  /** With an API key the SDK sends the key itself here (and as `Authorization: Bearer`). */
  client_secret: optional(512),
  ip_address: optional(100),
  user_agent: optional(1000),
};

export const authorizationCodeGrant = z.object({
  grant_type: z.literal('authorization_code'),
  code: z.string().min(1).max(2048),
  code_verifier: optional(256),
  invitation_token: optional(512),
  ...common,
});

export const refreshTokenGrant = z.object({
  grant_type: z.literal('refresh_token'),
  refresh_token: z.string().min(1).max(4096),
  organization_id: optional(200),
  ...common,
});

/** The grant `authenticateWithOrganizationSelection` sends. */
export const ORGANIZATION_SELECTION = 'urn:workos:oauth:grant-type:organization-selection';

export const organizationSelectionGrant = z.object({
  grant_type: z.literal(ORGANIZATION_SELECTION),
  pending_authentication_token: z.string().min(1).max(200),
  organization_id: z.string().min(1).max(200),
  ...common,
});

export type AuthorizationCodeGrant = z.infer<typeof authorizationCodeGrant>;
export type OrganizationSelectionGrant = z.infer<typeof organizationSelectionGrant>;
export type RefreshTokenGrant = z.infer<typeof refreshTokenGrant>;

export const EMAIL_VERIFICATION = 'urn:workos:oauth:grant-type:email-verification:code';

export const passwordGrant = z.object({
  grant_type: z.literal('password'),
  email: z.string().min(1).max(320),
  password: z.string().min(1).max(4096),
  invitation_token: optional(512),
  ...common,
});

export const emailVerificationGrant = z.object({
  grant_type: z.literal(EMAIL_VERIFICATION),
  pending_authentication_token: z.string().min(1).max(200),
  code: z.string().min(1).max(20),
  ...common,
});

export const MAGIC_AUTH = 'urn:workos:oauth:grant-type:magic-auth:code';

export const magicAuthGrant = z.object({
  grant_type: z.literal(MAGIC_AUTH),
  email: z.string().min(1).max(320),
  code: z.string().min(1).max(20),
  invitation_token: optional(512),
  ...common,
});

/** `createMagicAuth`'s body (no client: the API key names it). */
export const createMagicAuthBody = z.object({
  email: z.string().min(1).max(320),
  invitation_token: optional(512),
  ip_address: optional(100),
  user_agent: optional(1000),
});

export const verifyEmailBody = z.object({ code: z.string().min(1).max(20) });
export const createPasswordResetBody = z.object({ email: z.string().min(1).max(320) });
export const resetPasswordBody = z.object({ token: z.string().min(1).max(200), new_password: z.string().min(1).max(4096) });

export type MagicAuthGrant = z.infer<typeof magicAuthGrant>;
export type CreateMagicAuth = z.infer<typeof createMagicAuthBody>;
export type PasswordGrant = z.infer<typeof passwordGrant>;
export type EmailVerificationGrant = z.infer<typeof emailVerificationGrant>;

/** The grant `authenticateWithTotp` sends: a code for an mfa_challenge's pending token. */
export const MFA_TOTP = 'urn:workos:oauth:grant-type:mfa-totp';

export const mfaTotpGrant = z.object({
  grant_type: z.literal(MFA_TOTP),
  code: z.string().min(1).max(20),
  pending_authentication_token: z.string().min(1).max(200),
  authentication_challenge_id: z.string().min(1).max(300),
  ...common,
});

export type MfaTotpGrant = z.infer<typeof mfaTotpGrant>;

export const GRANT_TYPES = ['authorization_code', 'refresh_token', ORGANIZATION_SELECTION, 'password', EMAIL_VERIFICATION, MAGIC_AUTH, MFA_TOTP] as const;

/** `revokeSession({ sessionId })` sends `session_id`. */
export const revokeSessionBody = z.object({ session_id: z.string().min(1).max(512) });

export const logoutQuery = z.object({
  session_id: z.string().min(1).max(512),
  return_to: z.string().max(2048).optional(),
});

/**
 * The authorize parameters passed on to the provider unchanged (all their
 * values, so the provider itself refuses duplicates). `scope` is computed;
 * WorkOS-only ones (provider, screen_hint, organization_id, …) stop here.
 */
export const AUTHORIZE_PASSTHROUGH = [
  'client_id',
  'redirect_uri',
  'response_type',
  'state',
  'code_challenge',
  'code_challenge_method',
  'login_hint',
  'prompt',
  'max_age',
] as const;

/** What a WorkOS client gets: the AuthKit scopes, narrowed to what the client may have. */
export const WORKOS_SCOPES = ['openid', 'profile', 'email', 'offline_access'] as const;
