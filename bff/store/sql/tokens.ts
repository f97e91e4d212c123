/** One-time tokens (hashes only) over SQL: consumed atomically, at most once. */
import type { OneTimeToken, Store } from '../store.ts';
import type { Driver } from './driver.ts';
import { numOrNull, parseJson, firstOr } from './rows.ts';

interface TokenRow {
  id: string;
  purpose: string;
  user_id: string | null;
  email: string;
  code_hash: string | null;
  attempts: number;
  created_at: number;
  expires_at: number;
  consumed_at: number | null;
  data: string;
}

function toToken(r: TokenRow): OneTimeToken {
  return {
    id: r.id,
    purpose: r.purpose,
    userId: r.user_id,
    email: r.email,
    codeHash: r.code_hash,
    attempts: Number(r.attempts),
    createdAt: Number(r.created_at),
    expiresAt: Number(r.expires_at),
    consumedAt: numOrNull(r.consumed_at),
    data: parseJson<Record<string, unknown>>(r.data, {}),
  };
}

const COLUMNS = 'id, purpose, user_id, email, code_hash, attempts, created_at, expires_at, consumed_at, data';

export function sqlOneTimeTokens(db: Driver): Store['oneTimeTokens'] {
  return {
    async create(t) {
      await db.run(
        `INSERT INTO one_time_tokens (id, purpose, user_id, email, code_hash, attempts, created_at, expires_at, consumed_at, data)
         VALUES ($1, $2, $3, $4, $5, 0, $6, $7, NULL, $8)`,
        [t.id, t.purpose, t.userId, t.email, t.codeHash, t.createdAt, t.expiresAt, JSON.stringify(t.data)],
      );
    },
    async find(id) {
      const rows = await db.query<TokenRow>(`SELECT ${COLUMNS} FROM one_time_tokens WHERE id = $1`, [id]);
      return firstOr(rows, toToken);
    },
    async consume(id, purpose, now) {
      const rows = await db.query<TokenRow>(
        `UPDATE one_time_tokens SET consumed_at = $3
         WHERE id = $1 AND purpose = $2 AND consumed_at IS NULL AND expires_at > $3
         RETURNING ${COLUMNS}`,
        [id, purpose, now],
      );
      return firstOr(rows, toToken);
    },
    async consumeAllForUser(userId, purpose, now) {
      const { changes } = await db.run('UPDATE one_time_tokens SET consumed_at = $3 WHERE user_id = $1 AND purpose = $2 AND consumed_at IS NULL', [
        userId,
        purpose,
        now,
      ]);
      return changes;
    },
    async countAttempt(id, now) {
      const rows = await db.query<{ attempts: number }>(
        'UPDATE one_time_tokens SET attempts = attempts + 1 WHERE id = $1 AND consumed_at IS NULL AND expires_at > $2 RETURNING attempts',
        [id, now],
      );
      return firstOr(rows, (r) => Number(r.attempts));
    },
  };
}
