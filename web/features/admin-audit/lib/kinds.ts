/** What each audit kind means, in words an admin reads without a glossary. */
const KIND_LABELS: Record<string, string> = {
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
};

/** The audit kinds the filter offers (the log may hold others; they still show). */
export const KNOWN_KINDS = Object.keys(KIND_LABELS);

/** `client_deleted` → `Deleted a partner app`; an unknown kind → `Some new kind`. */
export function kindLabel(kind: string): string {
  const known = KIND_LABELS[kind];
  if (known) return known;
  const words = kind.replace(/_/g, ' ');
  return words.charAt(0).toUpperCase() + words.slice(1);
}
