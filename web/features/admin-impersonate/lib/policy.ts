/** The impersonation policy as the admin screen applies it; the numbers and sentences are the BFF's own (api/impersonation.ts). */
import { REASON_MAX, REASON_MIN, REASON_TOO_LONG, REASON_TOO_SHORT } from '../../../../api/impersonation.ts';

export { REASON_MAX, REASON_MIN, REASON_TOO_LONG, REASON_TOO_SHORT };
export const DURATION_CHOICES = [5, 15, 30, 60] as const;
/** The shortest useful window by default: an admin picks longer on purpose. */
export const DEFAULT_DURATION = 15;

/** What is wrong with a reason, or null. Length counts after trimming, as on the server. */
export function reasonProblem(reason: string): string | null {
  const length = reason.trim().length;
  if (length < REASON_MIN) return REASON_TOO_SHORT;
  if (length > REASON_MAX) return REASON_TOO_LONG;
  return null;
}

/** The BFF's sign-in, forcing a fresh password prompt and coming back here. */
export const REAUTH_URL = '/bff/login?reauth=1&returnTo=/admin/impersonate';
