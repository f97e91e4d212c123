/**
 * Error codes of the organizations domain, declared once (as better-auth's
 * `error-codes.ts`): one code per meaning, whichever folder answers it (the
 * CLI, the admin API's connection form, the WorkOS translator, which sends
 * the invitation ones as `invalid_grant` with this code).
 */
export const ORGANIZATION_ERRORS = {
  not_found: 'organization_not_found',
  exists: 'organization_exists',
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
