/** The shapes of GET /bff/admin/audit, shared by the BFF (bff/audit/routes.ts) and the admin screen. */

/**
 * Every kind of event the BFF records, with what it means in words an admin reads without a
 * glossary (the audit screen's labels and filter). The closed set: \`audit.record\` takes only
 * these, so a new kind cannot be written without its words. Entries written by an older version
 * may hold other kinds; they still show.
 */
export const AUDIT_KIND_LABELS = {
  sign_in: 'Signed in',
  sign_in_failed: 'Sign-in failed',
  logout: 'Signed out',
  password_changed: 'Changed password',
  sessions_revoked: 'Sessions ended',
  consent_given: 'Allowed an app',
  consent_denied: 'Denied an app',
  consent_revoked: 'Removed an app’s access',
  client_registered: 'Registered a partner app',
  client_deleted: 'Deleted a partner app',
  client_secret_rotated: 'Rotated a partner app’s secret',
  client_updated: 'Changed a partner app’s settings',
  resource_created: 'Added an API for machine clients',
  resource_deleted: 'Removed an API for machine clients',
  device_approved: 'Signed in a device',
  device_denied: 'Refused a device sign-in',
  legacy_refresh: 'Partner app used the legacy refresh',
  username_set: 'Username changed',
  connection_created: 'Added an identity provider',
  connection_deleted: 'Removed an identity provider',
  federation_linked: 'Linked an outside sign-in',
  federation_link_pending: 'Outside sign-in waiting for a link',
  federation_failed: 'Outside sign-in failed',
  federation_unlinked: 'Removed outside sign-ins',
  user_created: 'Account created',
  user_disabled: 'Account disabled',
  invitation_created: 'Invitation sent',
  invitation_accepted: 'Invitation accepted',
  org_created: 'Organization created',
  impersonation_requested: 'Asked to impersonate',
  impersonation_started: 'Impersonation started',
  impersonation_stopped: 'Impersonation stopped',
  impersonation_expired: 'Impersonation ran out',
  impersonation_refused: 'Impersonation refused',
  signing_key_added: 'Signing key added',
  secrets_reencrypted: 'Secrets re-encrypted',
  user_enabled: 'Account enabled',
  user_deleted: 'Account deleted',
  user_invited: 'Person invited',
  user_role_changed: 'Role changed',
  session_ended: 'Signed out a session',
  identity_unlinked: 'Removed an outside sign-in',
  password_reset_requested: 'Asked for a password reset',
  password_reset_link_issued: 'Password reset link sent',
  password_reset: 'Reset password',
  email_verification_sent: 'Verification code sent',
  email_verified: 'Email verified',
  sign_in_code_requested: 'Asked for a sign-in code',
  mfa_totp_enrolled: 'Set up an authenticator app',
  mfa_totp_removed: 'Removed an authenticator app',
  mfa_verified: 'Passed two-step verification',
  mfa_failed: 'Two-step verification failed',
  mfa_recovery_code_used: 'Used a recovery code',
  mfa_recovery_codes_regenerated: 'Made new recovery codes',
  mfa_reset: 'Second factors reset',
  passkey_registered: 'Added a passkey',
  passkey_renamed: 'Renamed a passkey',
  passkey_removed: 'Removed a passkey',
  passkey_clone_suspected: 'Passkey refused: possible copy',
  org_renamed: 'Organization renamed',
  org_deleted: 'Organization deleted',
  org_member_added: 'Member added',
  org_member_removed: 'Member removed',
  org_member_role_changed: 'Member role changed',
  invitation_resent: 'Invitation sent again',
  invitation_revoked: 'Invitation withdrawn',
  branding_changed: 'Branding changed',
  api_route_created: 'Added an API route to the gateway',
  api_route_deleted: 'Removed an API route from the gateway',
  branding_logo_uploaded: 'Logo uploaded',
  backchannel_logout_failed: 'Partner app not told of a sign-out',
  audit_exported: 'Audit log downloaded',
  workos_authenticated: 'Partner app (WorkOS) signed in',
  workos_session_ended: 'Partner app (WorkOS) session ended',
} as const satisfies Record<string, string>;

export type AuditKind = keyof typeof AUDIT_KIND_LABELS;

/** One audit entry as the API sends it. */
export interface AuditEntryWire {
  seq: number;
  at: number;
  /** An AuditKind, or a kind an older version wrote. */
  kind: string;
  actorId: string | null;
  subjectId: string | null;
  ip: string | null;
  userAgent: string | null;
  data: Record<string, unknown>;
  prevHash: string;
  hash: string;
  /** The AUDIT_KEYS id whose HMAC `hash` is; null for a plain SHA-256 entry written before keys existed. */
  keyId: number | null;
}

/** Emails and names of the people the entries name, by user id. */
export type AuditPeople = Record<string, { email: string; name: string }>;

export interface AuditPageWire {
  entries: AuditEntryWire[];
  /** Absent when an email filter matches nobody. */
  people?: AuditPeople;
}
