/**
 * The impersonation policy both sides state: the BFF enforces it
 * (bff/impersonation/impersonation.ts), the admin screen checks it first and
 * shows the same sentences, so the admin reads one message either way.
 */

export const REASON_MIN = 10;
export const REASON_MAX = 500;
/** Longest impersonation, in minutes. */
export const DURATION_MAX = 60;

export const REASON_TOO_SHORT = `Write why you are impersonating this user (at least ${REASON_MIN} characters).`;
export const REASON_TOO_LONG = `Keep the reason under ${REASON_MAX} characters.`;

/** Body of POST /bff/impersonation/start. */
export interface StartImpersonationBody {
  userId: string;
  reason: string;
  /** Whole minutes from 1 to DURATION_MAX; DURATION_MAX when absent. */
  durationMinutes?: number;
}
