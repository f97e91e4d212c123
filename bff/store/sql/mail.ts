/** The mail outbox over SQL (bff/mail delivers it). */
import type { OutboxMessage, Store } from '../store.ts';
import type { Driver } from './driver.ts';
import { numOrNull, onlyRow } from './rows.ts';
import { leaseDueRows } from './outbox-lease.ts';

interface OutboxRow {
  id: string;
  kind: string;
  to_address: string;
  to_name: string;
  subject: string;
  body: string;
  created_at: number;
  attempts: number;
  next_attempt_at: number;
  sent_at: number | null;
  failed_at: number | null;
  last_error: string | null;
}

function toMessage(r: OutboxRow): OutboxMessage {
  return {
    id: r.id,
    kind: r.kind,
    toAddress: r.to_address,
    toName: r.to_name,
    subject: r.subject,
    body: r.body,
    createdAt: Number(r.created_at),
    attempts: Number(r.attempts),
    nextAttemptAt: Number(r.next_attempt_at),
    sentAt: numOrNull(r.sent_at),
    failedAt: numOrNull(r.failed_at),
    lastError: r.last_error,
  };
}

const COLUMNS = 'id, kind, to_address, to_name, subject, body, created_at, attempts, next_attempt_at, sent_at, failed_at, last_error';
const UNDELIVERED = 'sent_at IS NULL AND failed_at IS NULL';

export function sqlMailOutbox(db: Driver): Store['mailOutbox'] {
  return {
    async enqueue(m) {
      await db.run(
        `INSERT INTO mail_outbox (id, kind, to_address, to_name, subject, body, created_at, attempts, next_attempt_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, 0, $7)`,
        [m.id, m.kind, m.toAddress, m.toName, m.subject, m.body, m.createdAt],
      );
    },
    async claim(owner, now, leaseMs, limit) {
      const rows = await leaseDueRows<OutboxRow>(db, { table: 'mail_outbox', undelivered: UNDELIVERED, columns: COLUMNS }, owner, now, leaseMs, limit);
      return rows.map(toMessage).sort((a, b) => a.nextAttemptAt - b.nextAttemptAt || a.id.localeCompare(b.id));
    },
    async markSent(id, owner, now) {
      const { changes } = await db.run(
        `UPDATE mail_outbox SET sent_at = $3, body = '', lease_owner = NULL, lease_until = NULL, last_error = NULL
         WHERE id = $1 AND lease_owner = $2 AND ${UNDELIVERED}`,
        [id, owner, now],
      );
      return changes === 1;
    },
    async markFailed(id, owner, error, retryAt, now) {
      const { changes } = await db.run(
        `UPDATE mail_outbox SET last_error = $3, lease_owner = NULL, lease_until = NULL,
           next_attempt_at = COALESCE(CAST($4 AS BIGINT), next_attempt_at),
           failed_at = CASE WHEN CAST($4 AS BIGINT) IS NULL THEN CAST($5 AS BIGINT) ELSE NULL END,
           body = CASE WHEN CAST($4 AS BIGINT) IS NULL THEN '' ELSE body END
         WHERE id = $1 AND lease_owner = $2 AND ${UNDELIVERED}`,
        [id, owner, error.slice(0, 500), retryAt, now],
      );
      return changes === 1;
    },
    async stats() {
      const row = onlyRow(
        await db.query<{ pending: number; retrying: number; failed: number; last_failure_at: number | null }>(
          `SELECT
           COUNT(CASE WHEN ${UNDELIVERED} THEN 1 END) AS pending,
           COUNT(CASE WHEN ${UNDELIVERED} AND last_error IS NOT NULL THEN 1 END) AS retrying,
           COUNT(failed_at) AS failed,
           MAX(failed_at) AS last_failure_at
         FROM mail_outbox`,
        ),
      );
      return { pending: Number(row.pending), retrying: Number(row.retrying), failed: Number(row.failed), lastFailureAt: numOrNull(row.last_failure_at) };
    },
  };
}
