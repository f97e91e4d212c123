/** The hash-chained audit log and the fixed-window throttle counters. */
import type { AuditEntry, Store } from '../store.ts';
import { LOCK_AUDIT_APPEND, type Driver, type SqlValue } from './driver.ts';
import { clampLimit, parseJson, onlyRow } from './rows.ts';

interface AuditRow {
  seq: number;
  at: number;
  kind: string;
  actor_id: string | null;
  subject_id: string | null;
  ip: string | null;
  user_agent: string | null;
  data: string;
  prev_hash: string;
  hash: string;
  key_id: number | null;
}

function toEntry(r: AuditRow): AuditEntry {
  return {
    seq: Number(r.seq),
    at: Number(r.at),
    kind: r.kind,
    actorId: r.actor_id,
    subjectId: r.subject_id,
    ip: r.ip,
    userAgent: r.user_agent,
    data: parseJson<Record<string, unknown>>(r.data, {}),
    prevHash: r.prev_hash,
    hash: r.hash,
    keyId: r.key_id === null ? null : Number(r.key_id),
  };
}

const GENESIS_HASH = '0'.repeat(64);
const AUDIT_COLUMNS = 'seq, at, kind, actor_id, subject_id, ip, user_agent, data, prev_hash, hash, key_id';

export function sqlAudit(db: Driver): Store['audit'] {
  return {
    append(entry, hash) {
      return db.transaction(async (tx) => {
        // Appenders queue on this lock (PostgreSQL) or on BEGIN IMMEDIATE (SQLite),
        // so reading the tail and inserting after it cannot fork the chain.
        await tx.lock(LOCK_AUDIT_APPEND);
        const [last] = await tx.query<{ seq: number; hash: string }>('SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1');
        const seq = last ? Number(last.seq) + 1 : 1;
        const prevHash = last ? last.hash : GENESIS_HASH;
        const full: AuditEntry = { ...entry, seq, prevHash, hash: hash(prevHash, seq), keyId: entry.keyId ?? null };
        await tx.run(`INSERT INTO audit_log (${AUDIT_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`, [
          seq,
          full.at,
          full.kind,
          full.actorId,
          full.subjectId,
          full.ip,
          full.userAgent,
          JSON.stringify(full.data),
          prevHash,
          full.hash,
          full.keyId,
        ]);
        return full;
      });
    },
    async list(filter) {
      const params: SqlValue[] = [];
      const where: string[] = [];
      const param = (v: SqlValue) => {
        params.push(v);
        return `$${params.length}`;
      };
      if (filter.kind !== undefined) where.push(`kind = ${param(filter.kind)}`);
      if (filter.userId !== undefined) where.push(`(actor_id = ${param(filter.userId)} OR subject_id = ${param(filter.userId)})`);
      if (filter.actorId !== undefined) where.push(`actor_id = ${param(filter.actorId)}`);
      if (filter.subjectId !== undefined) where.push(`subject_id = ${param(filter.subjectId)}`);
      // Both bounds inclusive.
      if (filter.from !== undefined) where.push(`at >= ${param(filter.from)}`);
      if (filter.to !== undefined) where.push(`at <= ${param(filter.to)}`);
      if (filter.before !== undefined) where.push(`seq < ${param(filter.before)}`);
      const limit = param(clampLimit(filter.limit, 100, 1000));
      const rows = await db.query<AuditRow>(
        `SELECT ${AUDIT_COLUMNS} FROM audit_log ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
         ORDER BY seq DESC LIMIT ${limit}`,
        params,
      );
      return rows.map(toEntry);
    },
    async iterate(fromSeq, limit) {
      const rows = await db.query<AuditRow>(`SELECT ${AUDIT_COLUMNS} FROM audit_log WHERE seq >= $1 ORDER BY seq LIMIT $2`, [
        fromSeq,
        clampLimit(limit, 1000, 100_000),
      ]);
      return rows.map(toEntry);
    },
    rechain(plan) {
      return db.transaction(async (tx) => {
        await tx.lock(LOCK_AUDIT_APPEND);
        const rows = await tx.query<AuditRow>(`SELECT ${AUDIT_COLUMNS} FROM audit_log ORDER BY seq`);
        const before = new Map(rows.map((r) => [Number(r.seq), toEntry(r)]));
        let changed = 0;
        for (const u of plan([...before.values()])) {
          const old = before.get(u.seq);
          if (!old || (old.prevHash === u.prevHash && old.hash === u.hash && old.keyId === u.keyId)) continue;
          await tx.run('UPDATE audit_log SET prev_hash = $1, hash = $2, key_id = $3 WHERE seq = $4', [u.prevHash, u.hash, u.keyId, u.seq]);
          changed++;
        }
        return changed;
      });
    },
  };
}

export function sqlThrottle(db: Driver): Store['throttle'] {
  return {
    async hit(key, now, windowMs) {
      // One atomic upsert: a lapsed window restarts at 1, a live one counts up.
      const row = onlyRow(
        await db.query<{ count: number; reset_at: number }>(
          `INSERT INTO throttle (key, count, reset_at) VALUES ($1, 1, $3)
         ON CONFLICT (key) DO UPDATE SET
           count = CASE WHEN throttle.reset_at <= $2 THEN 1 ELSE throttle.count + 1 END,
           reset_at = CASE WHEN throttle.reset_at <= $2 THEN $3 ELSE throttle.reset_at END
         RETURNING count, reset_at`,
          [key, now, now + windowMs],
        ),
      );
      return { count: Number(row.count), resetAt: Number(row.reset_at) };
    },
    async peek(key, now) {
      const rows = await db.query<{ count: number; reset_at: number }>('SELECT count, reset_at FROM throttle WHERE key = $1', [key]);
      const [row] = rows;
      // A lapsed window counts as no window at all.
      if (!row || Number(row.reset_at) <= now) return null;
      return { count: Number(row.count), resetAt: Number(row.reset_at) };
    },
    async reset(key) {
      await db.run('DELETE FROM throttle WHERE key = $1', [key]);
    },
  };
}
