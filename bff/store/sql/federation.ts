/** Federation connections, their domains and linked upstream identities. */
import type { Connection, FederatedIdentity, FederationStore } from '../federation.ts';
import type { Driver, SqlValue } from './driver.ts';
import { numOrNull, parseJson, firstOr } from './rows.ts';

interface ConnectionRow {
  id: string;
  name: string;
  issuer: string;
  client_id: string;
  client_secret: string;
  scopes: string;
  org_id: string | null;
  created_at: number;
  updated_at: number;
}

interface IdentityRow {
  connection_id: string;
  subject: string;
  user_id: string;
  email: string | null;
  tokens: string | null;
  tokens_expires_at: number | null;
  version: number;
  refresh_lock_until: number | null;
  linked_at: number | null;
  created_at: number;
  last_used_at: number;
}

const CONNECTION_COLUMNS = 'id, name, issuer, client_id, client_secret, scopes, org_id, created_at, updated_at';
const IDENTITY_COLUMNS = 'connection_id, subject, user_id, email, tokens, tokens_expires_at, version, refresh_lock_until, linked_at, created_at, last_used_at';

function toConnection(r: ConnectionRow, domains: string[]): Connection {
  return {
    id: r.id,
    name: r.name,
    issuer: r.issuer,
    clientId: r.client_id,
    clientSecret: r.client_secret,
    scopes: parseJson<string[]>(r.scopes, []),
    orgId: r.org_id,
    domains: [...domains].sort(),
    createdAt: Number(r.created_at),
    updatedAt: Number(r.updated_at),
  };
}

function toIdentity(r: IdentityRow): FederatedIdentity {
  return {
    connectionId: r.connection_id,
    subject: r.subject,
    userId: r.user_id,
    email: r.email,
    tokens: r.tokens,
    tokensExpiresAt: numOrNull(r.tokens_expires_at),
    version: Number(r.version),
    refreshLockUntil: numOrNull(r.refresh_lock_until),
    linkedAt: numOrNull(r.linked_at),
    createdAt: Number(r.created_at),
    lastUsedAt: Number(r.last_used_at),
  };
}

function identityParams(i: FederatedIdentity): SqlValue[] {
  return [i.connectionId, i.subject, i.userId, i.email, i.tokens, i.tokensExpiresAt, i.version, i.refreshLockUntil, i.linkedAt, i.createdAt, i.lastUsedAt];
}

const INSERT_IDENTITY = `INSERT INTO federated_identities (${IDENTITY_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`;

export function sqlFederation(db: Driver): FederationStore {
  async function withDomains(rows: ConnectionRow[]): Promise<Connection[]> {
    if (!rows.length) return [];
    const ids = rows.map((r) => r.id);
    const marks = ids.map((_, i) => `$${i + 1}`).join(', ');
    const domains = await db.query<{ domain: string; connection_id: string }>(
      `SELECT domain, connection_id FROM federation_domains WHERE connection_id IN (${marks})`,
      ids,
    );
    return rows.map((r) =>
      toConnection(
        r,
        domains.filter((d) => d.connection_id === r.id).map((d) => d.domain),
      ),
    );
  }

  async function oneConnection(sql: string, params: SqlValue[]): Promise<Connection | null> {
    const [c] = await withDomains(await db.query<ConnectionRow>(sql, params));
    return c ?? null;
  }

  async function oneIdentity(sql: string, params: SqlValue[]): Promise<FederatedIdentity | null> {
    const rows = await db.query<IdentityRow>(sql, params);
    return firstOr(rows, toIdentity);
  }

  return {
    async createConnection(c) {
      await db.transaction(async (tx) => {
        await tx.run(
          `INSERT INTO federation_connections (id, name, name_key, issuer, client_id, client_secret, scopes, org_id, created_at, updated_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
          [c.id, c.name, c.name.toLowerCase(), c.issuer, c.clientId, c.clientSecret, JSON.stringify(c.scopes), c.orgId, c.createdAt, c.updatedAt],
        );
        for (const d of new Set(c.domains)) {
          await tx.run('INSERT INTO federation_domains (domain, connection_id) VALUES ($1, $2)', [d, c.id]);
        }
      });
    },
    findConnection: (id) => oneConnection(`SELECT ${CONNECTION_COLUMNS} FROM federation_connections WHERE id = $1`, [id]),
    findConnectionByName: (name) => oneConnection(`SELECT ${CONNECTION_COLUMNS} FROM federation_connections WHERE name_key = $1`, [name.toLowerCase()]),
    findConnectionByDomain: (domain) =>
      oneConnection(
        `SELECT ${CONNECTION_COLUMNS.split(', ')
          .map((c) => `c.${c}`)
          .join(', ')}
         FROM federation_connections c JOIN federation_domains d ON d.connection_id = c.id WHERE d.domain = $1`,
        [domain.toLowerCase()],
      ),
    async listConnections() {
      return withDomains(await db.query<ConnectionRow>(`SELECT ${CONNECTION_COLUMNS} FROM federation_connections ORDER BY name_key, id`));
    },
    async setConnectionSecret(id, clientSecret, now) {
      const { changes } = await db.run('UPDATE federation_connections SET client_secret = $2, updated_at = $3 WHERE id = $1', [id, clientSecret, now]);
      return changes === 1;
    },
    async deleteConnection(id) {
      return db.transaction(async (tx) => {
        await tx.run('DELETE FROM federated_identities WHERE connection_id = $1', [id]);
        await tx.run('DELETE FROM federation_domains WHERE connection_id = $1', [id]);
        const { changes } = await tx.run('DELETE FROM federation_connections WHERE id = $1', [id]);
        return changes === 1;
      });
    },

    findIdentity: (connectionId, subject) =>
      oneIdentity(`SELECT ${IDENTITY_COLUMNS} FROM federated_identities WHERE connection_id = $1 AND subject = $2`, [connectionId, subject]),
    findLinkedIdentity: (userId, connectionId) =>
      oneIdentity(
        `SELECT ${IDENTITY_COLUMNS} FROM federated_identities
         WHERE user_id = $1 AND connection_id = $2 AND linked_at IS NOT NULL
         ORDER BY last_used_at DESC, subject LIMIT 1`,
        [userId, connectionId],
      ),
    async listLinkedIdentities(userId) {
      const rows = await db.query<IdentityRow>(
        `SELECT ${IDENTITY_COLUMNS} FROM federated_identities WHERE user_id = $1 AND linked_at IS NOT NULL ORDER BY linked_at, connection_id, subject`,
        [userId],
      );
      return rows.map(toIdentity);
    },
    async unlinkAll(userId) {
      const { changes } = await db.run('DELETE FROM federated_identities WHERE user_id = $1', [userId]);
      return changes;
    },
    async unlinkIdentity(userId, connectionId, subject) {
      const { changes } = await db.run('DELETE FROM federated_identities WHERE user_id = $1 AND connection_id = $2 AND subject = $3', [
        userId,
        connectionId,
        subject,
      ]);
      return changes === 1;
    },
    async insertIdentity(i) {
      const { changes } = await db.run(`${INSERT_IDENTITY} ON CONFLICT (connection_id, subject) DO NOTHING`, identityParams(i));
      return changes === 1;
    },
    async upsertPendingIdentity(i) {
      const { changes } = await db.run(
        `${INSERT_IDENTITY}
         ON CONFLICT (connection_id, subject) DO UPDATE SET
           user_id = excluded.user_id, email = excluded.email, tokens = excluded.tokens,
           tokens_expires_at = excluded.tokens_expires_at, version = federated_identities.version + 1,
           refresh_lock_until = NULL, last_used_at = excluded.last_used_at
         WHERE federated_identities.linked_at IS NULL`,
        identityParams({ ...i, linkedAt: null }),
      );
      return changes === 1;
    },
    async confirmLink(connectionId, subject, userId, now) {
      const { changes } = await db.run(
        `UPDATE federated_identities SET linked_at = $4, last_used_at = $4
         WHERE connection_id = $1 AND subject = $2 AND user_id = $3 AND linked_at IS NULL`,
        [connectionId, subject, userId, now],
      );
      return changes === 1;
    },
    async recordSignIn(connectionId, subject, u, now) {
      await db.run(
        `UPDATE federated_identities SET email = $3, tokens = $4, tokens_expires_at = $5, last_used_at = $6,
           version = version + 1, refresh_lock_until = NULL
         WHERE connection_id = $1 AND subject = $2`,
        [connectionId, subject, u.email, u.tokens, u.tokensExpiresAt, now],
      );
    },
    async acquireRefreshLock(connectionId, subject, version, now, until) {
      // One conditional UPDATE: of several racing refreshers exactly one changes the row.
      const { changes } = await db.run(
        `UPDATE federated_identities SET refresh_lock_until = $5
         WHERE connection_id = $1 AND subject = $2 AND version = $3
           AND (refresh_lock_until IS NULL OR refresh_lock_until < $4)`,
        [connectionId, subject, version, now, until],
      );
      return changes === 1;
    },
    async completeRefresh(connectionId, subject, tokens, tokensExpiresAt) {
      await db.run(
        `UPDATE federated_identities SET tokens = $3, tokens_expires_at = $4, version = version + 1, refresh_lock_until = NULL
         WHERE connection_id = $1 AND subject = $2`,
        [connectionId, subject, tokens, tokensExpiresAt],
      );
    },
    async releaseRefreshLock(connectionId, subject) {
      await db.run('UPDATE federated_identities SET refresh_lock_until = NULL WHERE connection_id = $1 AND subject = $2', [connectionId, subject]);
    },
  };
}
