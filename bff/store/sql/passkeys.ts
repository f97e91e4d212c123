/** Passkeys and WebAuthn challenges over SQL; challenges are consumed atomically, at most once. */
import type { ChallengePurpose, Passkey, PasskeysStore, WebAuthnChallenge } from '../passkeys.ts';
import type { Driver } from './driver.ts';
import { fromBit, numOrNull, parseJson, toBit } from './rows.ts';

interface PasskeyRow {
  id: string;
  user_id: string;
  credential_id: string;
  public_key: string;
  sign_count: number;
  transports: string;
  device_type: string;
  backed_up: number;
  name: string;
  created_at: number;
  last_used_at: number | null;
}

interface ChallengeRow {
  challenge: string;
  purpose: string;
  user_id: string | null;
  interaction_uid: string | null;
  created_at: number;
  expires_at: number;
  consumed_at: number | null;
}

const PASSKEY_COLUMNS = 'id, user_id, credential_id, public_key, sign_count, transports, device_type, backed_up, name, created_at, last_used_at';

function toPasskey(r: PasskeyRow): Passkey {
  return {
    id: r.id,
    userId: r.user_id,
    credentialId: r.credential_id,
    publicKey: r.public_key,
    signCount: Number(r.sign_count),
    transports: parseJson<string[]>(r.transports, []),
    deviceType: r.device_type === 'multiDevice' ? 'multiDevice' : 'singleDevice',
    backedUp: fromBit(r.backed_up),
    name: r.name,
    createdAt: Number(r.created_at),
    lastUsedAt: numOrNull(r.last_used_at),
  };
}

function toChallenge(r: ChallengeRow): WebAuthnChallenge {
  return {
    challenge: r.challenge,
    purpose: r.purpose as ChallengePurpose,
    userId: r.user_id,
    interactionUid: r.interaction_uid,
    createdAt: Number(r.created_at),
    expiresAt: Number(r.expires_at),
    consumedAt: numOrNull(r.consumed_at),
  };
}

export function sqlPasskeys(db: Driver): PasskeysStore {
  return {
    async create(p) {
      await db.run(`INSERT INTO passkeys (${PASSKEY_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`, [
        p.id,
        p.userId,
        p.credentialId,
        p.publicKey,
        p.signCount,
        JSON.stringify(p.transports),
        p.deviceType,
        toBit(p.backedUp),
        p.name,
        p.createdAt,
        p.lastUsedAt,
      ]);
    },
    async listForUser(userId) {
      const rows = await db.query<PasskeyRow>(`SELECT ${PASSKEY_COLUMNS} FROM passkeys WHERE user_id = $1 ORDER BY created_at, id`, [userId]);
      return rows.map(toPasskey);
    },
    async findByCredentialId(credentialId) {
      const rows = await db.query<PasskeyRow>(`SELECT ${PASSKEY_COLUMNS} FROM passkeys WHERE credential_id = $1`, [credentialId]);
      return rows.length ? toPasskey(rows[0]!) : null;
    },
    async rename(userId, id, name) {
      const { changes } = await db.run('UPDATE passkeys SET name = $3 WHERE id = $1 AND user_id = $2', [id, userId, name]);
      return changes > 0;
    },
    async remove(userId, id) {
      const rows = await db.query<PasskeyRow>(`DELETE FROM passkeys WHERE id = $1 AND user_id = $2 RETURNING ${PASSKEY_COLUMNS}`, [id, userId]);
      return rows.length ? toPasskey(rows[0]!) : null;
    },
    async recordUse(id, signCount, now) {
      const { changes } = await db.run(
        'UPDATE passkeys SET sign_count = $2, last_used_at = $3 WHERE id = $1 AND (sign_count < $2 OR (sign_count = 0 AND $2 = 0))',
        [id, signCount, now],
      );
      return changes > 0;
    },
    async removeAllForUser(userId) {
      const { changes } = await db.run('DELETE FROM passkeys WHERE user_id = $1', [userId]);
      return changes;
    },
    async createChallenge(c) {
      await db.run('DELETE FROM webauthn_challenges WHERE expires_at <= $1', [c.createdAt]);
      await db.run(
        `INSERT INTO webauthn_challenges (challenge, purpose, user_id, interaction_uid, created_at, expires_at, consumed_at)
         VALUES ($1, $2, $3, $4, $5, $6, NULL)`,
        [c.challenge, c.purpose, c.userId, c.interactionUid, c.createdAt, c.expiresAt],
      );
    },
    async consumeChallenge(challenge, purpose, now) {
      const rows = await db.query<ChallengeRow>(
        `UPDATE webauthn_challenges SET consumed_at = $3
         WHERE challenge = $1 AND purpose = $2 AND consumed_at IS NULL AND expires_at > $3
         RETURNING challenge, purpose, user_id, interaction_uid, created_at, expires_at, consumed_at`,
        [challenge, purpose, now],
      );
      return rows.length ? toChallenge(rows[0]!) : null;
    },
  };
}
