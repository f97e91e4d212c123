/** Impersonation records. Ending one is a conditional update, so stop and expiry never both win. */
import type { Impersonation, ImpersonationEndReason, Store } from '../store.ts';
import type { Driver } from './driver.ts';
import { numOrNull } from './rows.ts';

interface Row {
  id: string;
  admin_id: string;
  target_id: string;
  reason: string;
  started_at: number;
  expires_at: number;
  ended_at: number | null;
  end_reason: ImpersonationEndReason | null;
  grant_id: string | null;
  admin_session_id: string | null;
  session_id: string | null;
}

const toImp = (r: Row): Impersonation => ({
  id: r.id,
  adminId: r.admin_id,
  targetId: r.target_id,
  reason: r.reason,
  startedAt: Number(r.started_at),
  expiresAt: Number(r.expires_at),
  endedAt: numOrNull(r.ended_at),
  endReason: r.end_reason,
  grantId: r.grant_id,
  adminSessionId: r.admin_session_id,
  sessionId: r.session_id,
});

export function sqlImpersonations(db: Driver): Store['impersonations'] {
  return {
    async create(i) {
      await db.run(
        `INSERT INTO impersonations (id, admin_id, target_id, reason, started_at, expires_at, ended_at, end_reason, grant_id, admin_session_id, session_id)
         VALUES ($1, $2, $3, $4, $5, $6, NULL, NULL, $7, $8, $9)`,
        [i.id, i.adminId, i.targetId, i.reason, i.startedAt, i.expiresAt, i.grantId, i.adminSessionId, i.sessionId],
      );
    },
    async find(id) {
      const [r] = await db.query<Row>('SELECT * FROM impersonations WHERE id = $1', [id]);
      return r ? toImp(r) : null;
    },
    async findByGrant(grantId) {
      const [r] = await db.query<Row>('SELECT * FROM impersonations WHERE grant_id = $1', [grantId]);
      return r ? toImp(r) : null;
    },
    async setGrant(id, grantId) {
      await db.run('UPDATE impersonations SET grant_id = $2 WHERE id = $1', [id, grantId]);
    },
    async setSession(id, sessionId) {
      await db.run('UPDATE impersonations SET session_id = $2 WHERE id = $1', [id, sessionId]);
    },
    async end(id, now, reason) {
      const r = await db.run('UPDATE impersonations SET ended_at = $2, end_reason = $3 WHERE id = $1 AND ended_at IS NULL', [id, now, reason]);
      return r.changes === 1;
    },
    async listExpired(now) {
      const rows = await db.query<Row>('SELECT * FROM impersonations WHERE ended_at IS NULL AND expires_at <= $1 ORDER BY expires_at LIMIT 500', [now]);
      return rows.map(toImp);
    },
    async listForTarget(userId) {
      const rows = await db.query<Row>('SELECT * FROM impersonations WHERE target_id = $1 ORDER BY started_at DESC LIMIT 100', [userId]);
      return rows.map(toImp);
    },
  };
}
