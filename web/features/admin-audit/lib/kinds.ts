/** The audit kinds the filter offers (the log may hold others; they still show). */
export const KNOWN_KINDS = [
  'sign_in',
  'sign_in_failed',
  'logout',
  'consent_given',
  'consent_denied',
  'consent_revoked',
  'client_registered',
  'client_deleted',
  'user_created',
  'user_disabled',
  'impersonation_started',
  'impersonation_stopped',
  'impersonation_expired',
  'impersonation_refused',
  'password_changed',
] as const;

/** `impersonation_started` → `Impersonation started`. */
export function kindLabel(kind: string): string {
  const words = kind.replace(/_/g, ' ');
  return words.charAt(0).toUpperCase() + words.slice(1);
}
