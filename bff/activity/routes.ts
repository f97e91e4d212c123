/**
 * GET /bff/admin/activity: the dashboard's picture of the last 7 days —
 * sign-ins, failed sign-ins, impersonations and consents per hour, from the
 * audit log — and the counts of users, partner apps and active sessions.
 */
import { Router } from 'express';
import type { SessionDeps } from '../session/guard.ts';
import { requireAdmin } from '../session/guard.ts';
import { HOUR_MS } from '../store/activity.ts';

export const ACTIVITY_HOURS = 7 * 24;

/** Each series of the chart and the audit kind it counts. */
export const ACTIVITY_SERIES = {
  signIns: 'sign_in',
  failedSignIns: 'sign_in_failed',
  impersonations: 'impersonation_started',
  consents: 'consent_given',
} as const;

export type ActivitySeries = keyof typeof ACTIVITY_SERIES;

export function activityRoutes(deps: SessionDeps): Router {
  const r = Router();
  r.get('/admin/activity', async (req, res) => {
    await requireAdmin(deps, req, res);
    const now = deps.now();
    // The current hour is the last bucket: 168 whole hours ending with it.
    const to = Math.floor(now / HOUR_MS) * HOUR_MS + HOUR_MS;
    const from = to - ACTIVITY_HOURS * HOUR_MS;
    const names = Object.keys(ACTIVITY_SERIES) as ActivitySeries[];
    const [counts, totals] = await Promise.all([deps.store.activity.hourly(Object.values(ACTIVITY_SERIES), from, to), deps.store.activity.totals(now)]);
    const series = Object.fromEntries(names.map((n) => [n, new Array<number>(ACTIVITY_HOURS).fill(0)])) as Record<ActivitySeries, number[]>;
    const byKind = new Map(names.map((n) => [ACTIVITY_SERIES[n] as string, series[n]]));
    for (const c of counts) {
      const row = byKind.get(c.kind);
      if (row) row[(c.hour - from) / HOUR_MS] = c.count;
    }
    res.json({ from, hourMs: HOUR_MS, hours: ACTIVITY_HOURS, series, totals });
  });
  return r;
}
