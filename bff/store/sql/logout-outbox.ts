/** Logout tokens owed to partners, over SQL (bff/oauth/backchannel.ts delivers them). */
import type { PartnerLogout, Store } from '../store.ts';
import type { Driver } from './driver.ts';
import { firstOr, numOrNull } from './rows.ts';
import { leaseDueRows } from './outbox-lease.ts';

interface LogoutRow {
  id: string;
  client_id: string;
  sub: string;
  sid: string | null;
  created_at: number;
  attempts: number;
  next_attempt_at: number;
  delivered_at: number | null;
  failed_at: number | null;
  last_error: string | null;
}

function toLogout(r: LogoutRow): PartnerLogout {
  return {
    id: r.id,
    clientId: r.client_id,
    sub: r.sub,
    sid: r.sid,
    createdAt: Number(r.created_at),
    attempts: Number(r.attempts),
    nextAttemptAt: Number(r.next_attempt_at),
    deliveredAt: numOrNull(r.delivered_at),
    failedAt: numOrNull(r.failed_at),
    lastError: r.last_error,
  };
}

const COLUMNS = 'id, client_id, sub, sid, created_at, attempts, next_attempt_at, delivered_at, failed_at, last_error';
const UNDELIVERED = 'delivered_at IS NULL AND failed_at IS NULL';

export function sqlLogoutOutbox(db: Driver): Store['logoutOutbox'] {
  return {
    async enqueue(l) {
      const { changes } = await db.run(
        `INSERT INTO logout_outbox (id, client_id, sub, sid, created_at, attempts, next_attempt_at)
         VALUES ($1, $2, $3, $4, $5, 0, $5) ON CONFLICT (id) DO NOTHING`,
        [l.id, l.clientId, l.sub, l.sid, l.createdAt],
      );
      return changes === 1;
    },
    async claim(owner, now, leaseMs, limit) {
      const rows = await leaseDueRows<LogoutRow>(db, { table: 'logout_outbox', undelivered: UNDELIVERED, columns: COLUMNS }, owner, now, leaseMs, limit);
      return rows.map(toLogout).sort((a, b) => a.nextAttemptAt - b.nextAttemptAt || a.id.localeCompare(b.id));
    },
    async markDelivered(id, owner, now) {
      const { changes } = await db.run(
        `UPDATE logout_outbox SET delivered_at = $3, lease_owner = NULL, lease_until = NULL, last_error = NULL
         WHERE id = $1 AND lease_owner = $2 AND ${UNDELIVERED}`,
        [id, owner, now],
      );
      return changes === 1;
    },
    async markFailed(id, owner, error, retryAt, now) {
      const { changes } = await db.run(
        `UPDATE logout_outbox SET last_error = $3, lease_owner = NULL, lease_until = NULL,
           next_attempt_at = COALESCE(CAST($4 AS BIGINT), next_attempt_at),
           failed_at = CASE WHEN CAST($4 AS BIGINT) IS NULL THEN CAST($5 AS BIGINT) ELSE NULL END
         WHERE id = $1 AND lease_owner = $2 AND ${UNDELIVERED}`,
        [id, owner, error.slice(0, 500), retryAt, now],
      );
      return changes === 1;
    },
    async find(id) {
      return firstOr(await db.query<LogoutRow>(`SELECT ${COLUMNS} FROM logout_outbox WHERE id = $1`, [id]), toLogout);
    },
  };
}
