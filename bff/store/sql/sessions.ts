/** BFF sessions and per-client consents. */
import type { BffSession, Consent, Store } from '../store.ts';
import type { Driver } from './driver.ts';
import { numOrNull, parseJson, firstOr } from './rows.ts';

interface SessionRow {
  id: string;
  user_id: string;
  tokens: string;
  access_expires_at: number;
  version: number;
  created_at: number;
  last_seen_at: number;
  expires_at: number;
  revoked_at: number | null;
  refresh_lock_until: number | null;
  refresh_attempt: string | null;
  data: string;
}

function toSession(r: SessionRow): BffSession {
  return {
    id: r.id,
    userId: r.user_id,
    tokens: r.tokens,
    accessExpiresAt: Number(r.access_expires_at),
    version: Number(r.version),
    createdAt: Number(r.created_at),
    lastSeenAt: Number(r.last_seen_at),
    expiresAt: Number(r.expires_at),
    revokedAt: numOrNull(r.revoked_at),
    refreshLockUntil: numOrNull(r.refresh_lock_until),
    refreshAttempt: r.refresh_attempt ?? null,
    data: parseJson<Record<string, unknown>>(r.data, {}),
  };
}

export function sqlBffSessions(db: Driver): Store['bffSessions'] {
  return {
    async create(s) {
      await db.run(
        `INSERT INTO bff_sessions (id, user_id, tokens, access_expires_at, version, created_at, last_seen_at,
           expires_at, revoked_at, refresh_lock_until, data, refresh_attempt)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
        [
          s.id,
          s.userId,
          s.tokens,
          s.accessExpiresAt,
          s.version,
          s.createdAt,
          s.lastSeenAt,
          s.expiresAt,
          s.revokedAt,
          s.refreshLockUntil,
          JSON.stringify(s.data),
          s.refreshAttempt,
        ],
      );
    },
    async find(id) {
      const rows = await db.query<SessionRow>('SELECT * FROM bff_sessions WHERE id = $1', [id]);
      return firstOr(rows, toSession);
    },
    async touch(id, now) {
      await db.run('UPDATE bff_sessions SET last_seen_at = $2 WHERE id = $1', [id, now]);
    },
    async acquireRefreshLock(id, version, now, until, attempt) {
      // A single conditional UPDATE: of several racing refreshers exactly one changes the row.
      const free = `id = $1 AND version = $2 AND revoked_at IS NULL AND (refresh_lock_until IS NULL OR refresh_lock_until < $3)`;
      const { changes } = attempt
        ? await db.run(
            `UPDATE bff_sessions SET refresh_lock_until = $4, refresh_attempt = $5
             WHERE ${free} AND refresh_attempt IS NOT DISTINCT FROM $6`,
            [id, version, now, until, attempt.id, attempt.previous],
          )
        : await db.run(`UPDATE bff_sessions SET refresh_lock_until = $4 WHERE ${free}`, [id, version, now, until]);
      return changes === 1;
    },
    async completeRefresh(id, tokens, accessExpiresAt, attempt) {
      const set = `UPDATE bff_sessions SET tokens = $2, access_expires_at = $3, version = version + 1,
           refresh_lock_until = NULL, refresh_attempt = NULL WHERE id = $1`;
      const { changes } = attempt
        ? await db.run(`${set} AND refresh_attempt = $4`, [id, tokens, accessExpiresAt, attempt])
        : await db.run(set, [id, tokens, accessExpiresAt]);
      return changes === 1;
    },
    async releaseRefreshLock(id) {
      await db.run('UPDATE bff_sessions SET refresh_lock_until = NULL WHERE id = $1', [id]);
    },
    async setData(id, data) {
      await db.run('UPDATE bff_sessions SET data = $2 WHERE id = $1', [id, JSON.stringify(data)]);
    },
    async revoke(id, now) {
      const { changes } = await db.run('UPDATE bff_sessions SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL', [id, now]);
      return changes === 1;
    },
    async listForUser(userId, now) {
      const rows = await db.query<SessionRow>(
        'SELECT * FROM bff_sessions WHERE user_id = $1 AND revoked_at IS NULL AND expires_at > $2 ORDER BY created_at DESC, id',
        [userId, now],
      );
      return rows.map(toSession);
    },
    async revokeAllForUser(userId, now, exceptId) {
      const { changes } = await db.run('UPDATE bff_sessions SET revoked_at = $2 WHERE user_id = $1 AND revoked_at IS NULL AND id <> $3', [
        userId,
        now,
        exceptId ?? '',
      ]);
      return changes;
    },
  };
}

interface ConsentRow {
  user_id: string;
  client_id: string;
  scopes: string;
  grant_id: string | null;
  granted_at: number;
  updated_at: number;
}

function toConsent(r: ConsentRow): Consent {
  return {
    userId: r.user_id,
    clientId: r.client_id,
    scopes: parseJson<string[]>(r.scopes, []),
    grantId: r.grant_id,
    grantedAt: Number(r.granted_at),
    updatedAt: Number(r.updated_at),
  };
}

const CONSENT_COLUMNS = 'user_id, client_id, scopes, grant_id, granted_at, updated_at';

export function sqlConsents(db: Driver): Store['consents'] {
  return {
    async find(userId, clientId) {
      const rows = await db.query<ConsentRow>(`SELECT ${CONSENT_COLUMNS} FROM consents WHERE user_id = $1 AND client_id = $2`, [userId, clientId]);
      return firstOr(rows, toConsent);
    },
    async listForUser(userId) {
      const rows = await db.query<ConsentRow>(`SELECT ${CONSENT_COLUMNS} FROM consents WHERE user_id = $1 ORDER BY updated_at DESC, client_id`, [userId]);
      return rows.map(toConsent);
    },
    async upsert(c) {
      // Stores the record as given; the caller decides whether grantedAt carries over.
      await db.run(
        `INSERT INTO consents (${CONSENT_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (user_id, client_id) DO UPDATE SET
           scopes = excluded.scopes, grant_id = excluded.grant_id,
           granted_at = excluded.granted_at, updated_at = excluded.updated_at`,
        [c.userId, c.clientId, JSON.stringify(c.scopes), c.grantId, c.grantedAt, c.updatedAt],
      );
    },
    async delete(userId, clientId) {
      const rows = await db.query<ConsentRow>(`DELETE FROM consents WHERE user_id = $1 AND client_id = $2 RETURNING ${CONSENT_COLUMNS}`, [userId, clientId]);
      return firstOr(rows, toConsent);
    },
  };
}
