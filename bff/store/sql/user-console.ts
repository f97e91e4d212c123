/** The admin console's user queries: keyset pages, version-checked changes, deletion. */
import type { CheckedUpdate, Store, User, UserCursor } from '../store.ts';
import { LOCK_ADMINS, type Driver, type SqlValue } from './driver.ts';
import { clampLimit, escapeLike, toBit } from './rows.ts';
import { toUser, USER_COLUMNS, type UserRow } from './users.ts';

type ConsoleUsers = Pick<Store['users'], 'page' | 'updateChecked' | 'delete'>;

/** Each sort's key expression: exactly the expression its index (migration 016) is built on. */
const SORT_KEYS = { created: 'created_at', lastSignIn: 'COALESCE(last_sign_in_at, 0)' } as const;

/** Enabled admins other than `id`, counted while holding the admins lock. */
async function otherAdmins(tx: Driver, id: string): Promise<number> {
  const [row] = await tx.query<{ n: number }>(`SELECT COUNT(*) AS n FROM users WHERE role = 'admin' AND disabled = 0 AND id <> $1`, [id]);
  return Number(row!.n);
}

const isEnabledAdmin = (u: Pick<User, 'role' | 'disabled'>) => u.role === 'admin' && !u.disabled;

export function sqlUserConsole(db: Driver): ConsoleUsers {
  return {
    async page(q) {
      const key = SORT_KEYS[q.sort ?? 'created'];
      const params: SqlValue[] = [];
      const where: string[] = [];
      const param = (v: SqlValue) => {
        params.push(v);
        return `$${params.length}`;
      };
      if (q.query) {
        const like = param(`%${escapeLike(q.query.toLowerCase())}%`);
        where.push(`(lower(email) LIKE ${like} ESCAPE '\\' OR lower(name) LIKE ${like} ESCAPE '\\')`);
      }
      if (q.admin) where.push(`role = 'admin'`);
      if (q.disabled) where.push('disabled = 1');
      if (q.unverified) where.push('email_verified = 0');
      // A per-row probe of each factor table's user index, so the walk stays on the sort index (no sort, keyset intact).
      if (q.secondFactor)
        where.push('(EXISTS (SELECT 1 FROM mfa_totp t WHERE t.user_id = users.id) OR EXISTS (SELECT 1 FROM passkeys p WHERE p.user_id = users.id))');
      if (q.after) {
        // Spelled so that the leading `key <=` bounds the index range on both databases (SQLite
        // does not bound an expression index by a row-value comparison, and would scan from the top).
        const [k, id] = [param(q.after.key), param(q.after.id)];
        where.push(`${key} <= ${k} AND (${key} < ${k} OR id < ${id})`);
      }
      const limit = clampLimit(q.limit, 50, 200);
      // One row more than the page tells whether another page follows.
      const rows = await db.query<UserRow & { sort_key: number }>(
        `SELECT ${USER_COLUMNS}, ${key} AS sort_key FROM users ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
         ORDER BY ${key} DESC, id DESC LIMIT ${param(limit + 1)}`,
        params,
      );
      const users = rows.slice(0, limit);
      const last = users.at(-1);
      const next: UserCursor | null = rows.length > limit && last ? { key: Number(last.sort_key), id: last.id } : null;
      return { users: users.map(toUser), next };
    },

    updateChecked(id, expectedUpdatedAt, patch, now) {
      return db.transaction(async (tx): Promise<CheckedUpdate> => {
        await tx.lock(LOCK_ADMINS);
        const [row] = await tx.query<UserRow>(`SELECT ${USER_COLUMNS} FROM users WHERE id = $1`, [id]);
        if (!row) return { ok: false, reason: 'missing', user: null };
        const user = toUser(row);
        if (user.updatedAt !== expectedUpdatedAt) return { ok: false, reason: 'stale', user };
        const after = { role: patch.role ?? user.role, disabled: patch.disabled ?? user.disabled };
        if (isEnabledAdmin(user) && !isEnabledAdmin(after) && (await otherAdmins(tx, id)) === 0) return { ok: false, reason: 'last_admin', user };
        const [updated] = await tx.query<UserRow>(
          `UPDATE users SET role = $2, disabled = $3,
             updated_at = CASE WHEN $4 > updated_at THEN $4 ELSE updated_at + 1 END
           WHERE id = $1 AND updated_at = $5 RETURNING ${USER_COLUMNS}`,
          [id, after.role, toBit(after.disabled), now, expectedUpdatedAt],
        );
        return updated ? { ok: true, user: toUser(updated) } : { ok: false, reason: 'stale', user };
      });
    },

    delete(id) {
      return db.transaction(async (tx) => {
        await tx.lock(LOCK_ADMINS);
        const [row] = await tx.query<UserRow>(`SELECT ${USER_COLUMNS} FROM users WHERE id = $1`, [id]);
        if (!row) return { ok: false, reason: 'missing' as const };
        if (isEnabledAdmin(toUser(row)) && (await otherAdmins(tx, id)) === 0) return { ok: false, reason: 'last_admin' as const };
        for (const table of ['consents', 'federated_identities', 'one_time_tokens', 'memberships', 'bff_sessions']) {
          await tx.run(`DELETE FROM ${table} WHERE user_id = $1`, [id]);
        }
        await tx.run('DELETE FROM users WHERE id = $1', [id]);
        return { ok: true };
      });
    },
  };
}
