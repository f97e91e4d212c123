import { queryOptions, useQuery } from '@tanstack/react-query';
import { apiGet } from '../../../lib/api-client.ts';

export type SeriesName = 'signIns' | 'failedSignIns' | 'impersonations' | 'consents';

/** GET /bff/admin/activity: per-hour counts of the last 7 days (oldest first) and totals. */
export interface Activity {
  /** Start of the first hour (epoch ms). */
  from: number;
  hourMs: number;
  hours: number;
  series: Record<SeriesName, number[]>;
  totals: { users: number; partnerApps: number; activeSessions: number };
}

/** Names for people, and colours that read on white (at least 4.5:1), in the chart's order. */
export const SERIES: ReadonlyArray<{ key: SeriesName; label: string; colour: string }> = [
  { key: 'signIns', label: 'Sign-ins', colour: '#2446c7' },
  { key: 'failedSignIns', label: 'Failed sign-ins', colour: '#b3261e' },
  { key: 'impersonations', label: 'Impersonations', colour: '#8a4b00' },
  { key: 'consents', label: 'Consents', colour: '#1e6b3a' },
];

export function activityQueryOptions() {
  return queryOptions({ queryKey: ['admin', 'activity'], queryFn: ({ signal }) => apiGet<Activity>('/bff/admin/activity', { signal }) });
}

export const useActivity = () => useQuery(activityQueryOptions());

/** The hours with any activity, for the table that stands in for the chart. */
export function activeHours(a: Activity): Array<{ at: number; counts: number[] }> {
  const rows: Array<{ at: number; counts: number[] }> = [];
  for (let i = 0; i < a.hours; i++) {
    const counts = SERIES.map((s) => a.series[s.key][i] ?? 0);
    if (counts.some((n) => n > 0)) rows.push({ at: a.from + i * a.hourMs, counts });
  }
  return rows;
}
