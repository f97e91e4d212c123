/** Client-side mirrors of the BFF's impersonation policy (bff/impersonation/impersonation.ts). */

export const REASON_MIN = 10;
export const REASON_MAX = 500;
export const DURATION_CHOICES = [5, 15, 30, 60] as const;
/** The shortest useful window by default: an admin picks longer on purpose. */
export const DEFAULT_DURATION = 15;

/** The same sentences the server answers with, so the admin reads one message either way. */
export const REASON_TOO_SHORT = `Write why you are impersonating this user (at least ${REASON_MIN} characters).`;
export const REASON_TOO_LONG = `Keep the reason under ${REASON_MAX} characters.`;

/** What is wrong with a reason, or null. Length counts after trimming, as on the server. */
export function reasonProblem(reason: string): string | null {
  const length = reason.trim().length;
  if (length < REASON_MIN) return REASON_TOO_SHORT;
  if (length > REASON_MAX) return REASON_TOO_LONG;
  return null;
}

/** The BFF's sign-in, forcing a fresh password prompt and coming back here. */
export const REAUTH_URL = '/bff/login?reauth=1&returnTo=/admin/impersonate';
