/** oidc-provider model storage, signing keys and small settings. */
import type { OidcPayloadRecord, SigningKey, Store } from '../store.ts';
import type { Driver } from './driver.ts';
import { numOrNull, parseJson, firstOr } from './rows.ts';

interface PayloadRow {
  payload: string;
  expires_at: number | null;
  consumed_at: number | null;
}

function toRecord(r: PayloadRow): OidcPayloadRecord {
  return {
    payload: parseJson<Record<string, unknown>>(r.payload, {}),
    expiresAt: numOrNull(r.expires_at),
    consumedAt: numOrNull(r.consumed_at),
  };
}

export function sqlOidc(db: Driver): Store['oidc'] {
  // Expired rows are still returned: oidc-provider checks expiry itself, and sweep() removes them.
  async function first(where: string, params: string[]): Promise<OidcPayloadRecord | null> {
    const rows = await db.query<PayloadRow>(`SELECT payload, expires_at, consumed_at FROM oidc_payloads WHERE ${where} LIMIT 1`, params);
    return firstOr(rows, toRecord);
  }

  return {
    async upsert(model, id, payload, expiresAt, refs) {
      // consumed_at is deliberately left out of the update: re-saving a consumed
      // code (oidc-provider does) must not make it redeemable again.
      await db.run(
        `INSERT INTO oidc_payloads (model, id, payload, grant_id, user_code, uid, expires_at, consumed_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, NULL)
         ON CONFLICT (model, id) DO UPDATE SET
           payload = excluded.payload, grant_id = excluded.grant_id, user_code = excluded.user_code,
           uid = excluded.uid, expires_at = excluded.expires_at`,
        [model, id, JSON.stringify(payload), refs.grantId ?? null, refs.userCode ?? null, refs.uid ?? null, expiresAt],
      );
    },
    find: (model, id) => first('model = $1 AND id = $2', [model, id]),
    findByUid: (model, uid) => first('model = $1 AND uid = $2', [model, uid]),
    findByUserCode: (model, userCode) => first('model = $1 AND user_code = $2', [model, userCode]),
    async consume(model, id, now) {
      // One conditional statement, so concurrent redemptions cannot both win.
      const { changes } = await db.run('UPDATE oidc_payloads SET consumed_at = $3 WHERE model = $1 AND id = $2 AND consumed_at IS NULL', [model, id, now]);
      return changes === 1;
    },
    async unconsume(model, id, consumedAt) {
      const { changes } = await db.run('UPDATE oidc_payloads SET consumed_at = NULL WHERE model = $1 AND id = $2 AND consumed_at = $3', [
        model,
        id,
        consumedAt,
      ]);
      return changes === 1;
    },
    async destroy(model, id) {
      await db.run('DELETE FROM oidc_payloads WHERE model = $1 AND id = $2', [model, id]);
    },
    async revokeByGrantId(grantId) {
      await db.run('DELETE FROM oidc_payloads WHERE grant_id = $1', [grantId]);
    },
    async sweep(now) {
      const { changes } = await db.run('DELETE FROM oidc_payloads WHERE expires_at IS NOT NULL AND expires_at <= $1', [now]);
      return changes;
    },
  };
}

interface KeyRow {
  kid: string;
  alg: string;
  jwk: string;
  created_at: number;
}

export function sqlKeys(db: Driver): Store['keys'] {
  return {
    async list() {
      // Oldest first (insertion order); callers pick the signing key by createdAt.
      const rows = await db.query<KeyRow>('SELECT kid, alg, jwk, created_at FROM signing_keys ORDER BY created_at, kid');
      return rows.map((r): SigningKey => ({ kid: r.kid, alg: r.alg, jwk: parseJson(r.jwk, {}), createdAt: Number(r.created_at) }));
    },
    async insert(key) {
      const { changes } = await db.run(`INSERT INTO signing_keys (kid, alg, jwk, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT (kid) DO NOTHING`, [
        key.kid,
        key.alg,
        JSON.stringify(key.jwk),
        key.createdAt,
      ]);
      return changes === 1;
    },
    async setJwk(kid, jwk) {
      const { changes } = await db.run('UPDATE signing_keys SET jwk = $2 WHERE kid = $1', [kid, JSON.stringify(jwk)]);
      return changes === 1;
    },
  };
}

export function sqlSettings(db: Driver): Store['settings'] {
  return {
    async get(key) {
      const rows = await db.query<{ value: string }>('SELECT value FROM settings WHERE key = $1', [key]);
      return firstOr(rows, (r) => r.value);
    },
    async set(key, value, expiresAt) {
      await db.run(
        'INSERT INTO settings (key, value, expires_at) VALUES ($1, $2, $3) ON CONFLICT (key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at',
        [key, value, expiresAt ?? null],
      );
    },
    async takeIf(key, expected) {
      const { changes } = await db.run('DELETE FROM settings WHERE key = $1 AND value = $2', [key, expected]);
      return changes === 1;
    },
    async delete(key) {
      await db.run('DELETE FROM settings WHERE key = $1', [key]);
    },
    async sweep(now) {
      const { changes } = await db.run('DELETE FROM settings WHERE expires_at IS NOT NULL AND expires_at <= $1', [now]);
      return changes;
    },
  };
}
