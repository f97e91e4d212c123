/** The dashboard's counts: audit entries per hour of a few kinds, and totals. */
import { HOUR_MS, type ActivityStore } from '../../store/activity.ts';
import type { Driver, SqlValue } from './driver.ts';
import { onlyRow } from './rows.ts';

export function sqlActivity(db: Driver): ActivityStore {
  return {
    async hourly(kinds, from, to) {
      if (kinds.length === 0) return [];
      const params: SqlValue[] = [from, to];
      const list = kinds.map((k) => {
        params.push(k);
        return `$${params.length}`;
      });
      // Integer division on both databases (at is INTEGER / BIGINT); the range on (kind, at) keeps it index-only.
      const rows = await db.query<{ kind: string; h: number; n: number }>(
        `SELECT kind, at / ${HOUR_MS} AS h, COUNT(*) AS n FROM audit_log
         WHERE kind IN (${list.join(', ')}) AND at >= $1 AND at < $2
         GROUP BY kind, at / ${HOUR_MS} ORDER BY h, kind`,
        params,
      );
      return rows.map((r) => ({ kind: r.kind, hour: Number(r.h) * HOUR_MS, count: Number(r.n) }));
    },
    async totals(now) {
      const row = onlyRow(
        await db.query<{ users: number; apps: number; sessions: number }>(
          `SELECT (SELECT COUNT(*) FROM users) AS users,
                (SELECT COUNT(*) FROM clients WHERE first_party = 0) AS apps,
                (SELECT COUNT(*) FROM bff_sessions WHERE revoked_at IS NULL AND expires_at > $1) AS sessions`,
          [now],
        ),
      );
      return { users: Number(row.users), partnerApps: Number(row.apps), activeSessions: Number(row.sessions) };
    },
  };
}
