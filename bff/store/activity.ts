/**
 * What the admin dashboard counts: audit entries per hour, and a few totals.
 * The store sub-interface (`Store['activity']`). Times are epoch milliseconds.
 */

export const HOUR_MS = 3_600_000;

export interface HourlyCount {
  kind: string;
  /** Start of the UTC hour (epoch ms). */
  hour: number;
  count: number;
}

export interface ActivityTotals {
  users: number;
  /** Registered partner apps (not the portal's own client). */
  partnerApps: number;
  /** BFF sessions neither signed out nor expired. */
  activeSessions: number;
}

export interface ActivityStore {
  /**
   * Audit entries of each kind per UTC hour with from <= at < to, from the (kind, at) index.
   * Hours without any are absent.
   */
  hourly(kinds: readonly string[], from: number, to: number): Promise<HourlyCount[]>;
  totals(now: number): Promise<ActivityTotals>;
}
