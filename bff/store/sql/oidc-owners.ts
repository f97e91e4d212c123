/**
 * oidc-provider rows looked up by owner. The provider stores its models as JSON;
 * the account of a grant or session is read from the payload, through the
 * partial expression indexes of migration 007 (same expression, same WHERE).
 */
import type { Store } from '../store.ts';
import type { Driver } from './driver.ts';
import { numOrNull, parseJson } from './rows.ts';

export function sqlOidcOwners(db: Driver): Store['oidcOwners'] {
  const account = db.kind === 'postgres' ? `((payload::jsonb) ->> 'accountId')` : `json_extract(payload, '$.accountId')`;
  const clientOf = db.kind === 'postgres' ? `((payload::jsonb) ->> 'clientId')` : `json_extract(payload, '$.clientId')`;

  return {
    async grantIds(accountId, clientId) {
      const rows =
        clientId === undefined
          ? await db.query<{ id: string }>(`SELECT id FROM oidc_payloads WHERE model = 'Grant' AND ${account} = $1 ORDER BY id`, [accountId])
          : await db.query<{ id: string }>(`SELECT id FROM oidc_payloads WHERE model = 'Grant' AND ${account} = $1 AND ${clientOf} = $2 ORDER BY id`, [
              accountId,
              clientId,
            ]);
      return rows.map((r) => r.id);
    },
    async sessions(accountId) {
      const rows = await db.query<{ id: string; uid: string | null }>(
        `SELECT id, uid FROM oidc_payloads WHERE model = 'Session' AND ${account} = $1 ORDER BY id`,
        [accountId],
      );
      return rows.map((r) => ({ id: r.id, uid: r.uid ?? '' }));
    },
    async refreshTokens(grantId) {
      const rows = await db.query<{ id: string; payload: string; consumed_at: number | null }>(
        `SELECT id, payload, consumed_at FROM oidc_payloads WHERE model = 'RefreshToken' AND grant_id = $1 ORDER BY id`,
        [grantId],
      );
      return rows.map((r) => ({ id: r.id, payload: parseJson<Record<string, unknown>>(r.payload, {}), consumedAt: numOrNull(r.consumed_at) }));
    },
  };
}
