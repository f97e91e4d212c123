/** Second factors over SQL: TOTP steps and recovery codes are each accepted at most once. */
import type { MfaStore, TotpRecord } from '../mfa.ts';
import type { Driver } from './driver.ts';
import { numOrNull } from './rows.ts';

interface TotpRow {
  user_id: string;
  secret: string;
  created_at: number;
  last_step: number;
  last_used_at: number | null;
}

const toTotp = (r: TotpRow): TotpRecord => ({
  userId: r.user_id,
  secret: r.secret,
  createdAt: Number(r.created_at),
  lastStep: Number(r.last_step),
  lastUsedAt: numOrNull(r.last_used_at),
});

export function sqlMfa(db: Driver): MfaStore {
  return {
    totp: {
      async find(userId) {
        const rows = await db.query<TotpRow>('SELECT user_id, secret, created_at, last_step, last_used_at FROM mfa_totp WHERE user_id = $1', [userId]);
        return rows.length ? toTotp(rows[0]!) : null;
      },
      async save(userId, sealedSecret, now) {
        await db.run(
          `INSERT INTO mfa_totp (user_id, secret, created_at, last_step, last_used_at) VALUES ($1, $2, $3, 0, NULL)
           ON CONFLICT (user_id) DO UPDATE SET secret = excluded.secret, created_at = excluded.created_at, last_step = 0, last_used_at = NULL`,
          [userId, sealedSecret, now],
        );
      },
      async useStep(userId, step, now) {
        const { changes } = await db.run('UPDATE mfa_totp SET last_step = $2, last_used_at = $3 WHERE user_id = $1 AND last_step < $2', [userId, step, now]);
        return changes === 1;
      },
      async remove(userId) {
        const { changes } = await db.run('DELETE FROM mfa_totp WHERE user_id = $1', [userId]);
        return changes > 0;
      },
    },
    recoveryCodes: {
      async replace(userId, hashes, now) {
        await db.transaction(async (tx) => {
          await tx.run('DELETE FROM mfa_recovery_codes WHERE user_id = $1', [userId]);
          for (const h of hashes)
            await tx.run('INSERT INTO mfa_recovery_codes (user_id, code_hash, created_at, used_at) VALUES ($1, $2, $3, NULL)', [userId, h, now]);
        });
      },
      async use(userId, hash, now) {
        const { changes } = await db.run('UPDATE mfa_recovery_codes SET used_at = $3 WHERE user_id = $1 AND code_hash = $2 AND used_at IS NULL', [
          userId,
          hash,
          now,
        ]);
        return changes === 1;
      },
      async remaining(userId) {
        const rows = await db.query<{ n: number }>('SELECT COUNT(*) AS n FROM mfa_recovery_codes WHERE user_id = $1 AND used_at IS NULL', [userId]);
        return Number(rows[0]?.n ?? 0);
      },
      async removeAll(userId) {
        const { changes } = await db.run('DELETE FROM mfa_recovery_codes WHERE user_id = $1', [userId]);
        return changes;
      },
    },
  };
}
