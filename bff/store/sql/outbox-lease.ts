/** The claim every outbox table shares (mail, partner logouts): one statement picks due rows and leases them. */
import type { Driver } from './driver.ts';

export interface LeaseQuery {
  table: string;
  /** The condition of a row still owed (neither delivered nor given up). */
  undelivered: string;
  /** The columns to return. */
  columns: string;
}

export async function leaseDueRows<Row>(db: Driver, q: LeaseQuery, owner: string, now: number, leaseMs: number, limit: number): Promise<Row[]> {
  // Two instances never get the same row: PostgreSQL skips rows another claim has locked instead
  // of waiting; SQLite serialises writers anyway, and the lease column keeps a leased row out of
  // every other claim until it lapses (its worker died).
  const skipLocked = db.kind === 'postgres' ? 'FOR UPDATE SKIP LOCKED' : '';
  const free = '(lease_until IS NULL OR lease_until <= $2)';
  return db.query<Row>(
    `UPDATE ${q.table} SET lease_owner = $1, lease_until = $3, attempts = attempts + 1
     WHERE id IN (
       SELECT id FROM ${q.table}
       WHERE ${q.undelivered} AND next_attempt_at <= $2 AND ${free}
       ORDER BY next_attempt_at, id LIMIT $4 ${skipLocked})
     AND ${q.undelivered} AND ${free}
     RETURNING ${q.columns}`,
    [owner, now, now + leaseMs, limit],
  );
}
