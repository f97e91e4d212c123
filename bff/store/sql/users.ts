/** Users and OAuth clients. */
import type { ClientRecord, Role, Store, User } from '../store.ts';
import type { Driver, SqlValue } from './driver.ts';
import { clampLimit, escapeLike, fromBit, numOrNull, parseJson, toBit, firstOr, onlyRow } from './rows.ts';

export interface UserRow {
  id: string;
  email: string;
  name: string;
  password_hash: string | null;
  role: string;
  disabled: number;
  email_verified: number;
  created_at: number;
  updated_at: number;
  last_sign_in_at: number | null;
  username: string | null;
  must_change_password: number;
}

export function toUser(r: UserRow): User {
  return {
    id: r.id,
    email: r.email,
    name: r.name,
    passwordHash: r.password_hash,
    role: r.role as Role,
    disabled: fromBit(r.disabled),
    emailVerified: fromBit(r.email_verified),
    createdAt: Number(r.created_at),
    updatedAt: Number(r.updated_at),
    lastSignInAt: numOrNull(r.last_sign_in_at),
    username: r.username,
    // Only when set, so the many records that never carry it read as before.
    ...(fromBit(r.must_change_password) ? { mustChangePassword: true } : {}),
  };
}

export const USER_COLUMNS =
  'id, email, name, password_hash, role, disabled, email_verified, created_at, updated_at, last_sign_in_at, username, must_change_password';

export function sqlUsers(db: Driver): Omit<Store['users'], 'page' | 'updateChecked' | 'delete'> {
  async function one(sql: string, params: SqlValue[]): Promise<User | null> {
    const rows = await db.query<UserRow>(sql, params);
    return firstOr(rows, toUser);
  }

  return {
    async create(u, now) {
      const row = await one(
        `INSERT INTO users (id, email, name, password_hash, role, disabled, email_verified, created_at, updated_at, last_sign_in_at, must_change_password)
         VALUES ($1, $2, $3, $4, $5, 0, $6, $7, $7, NULL, $8) RETURNING ${USER_COLUMNS}`,
        [u.id, u.email, u.name, u.passwordHash, u.role, toBit(u.emailVerified ?? false), now, toBit(u.mustChangePassword === true && u.passwordHash !== null)],
      );
      return row!;
    },
    findById: (id) => one(`SELECT ${USER_COLUMNS} FROM users WHERE id = $1`, [id]),
    findByEmail: (email) => one(`SELECT ${USER_COLUMNS} FROM users WHERE email = $1`, [email]),
    findByUsername: (username) => one(`SELECT ${USER_COLUMNS} FROM users WHERE username = $1`, [username]),
    async list(opts = {}) {
      const params: SqlValue[] = [];
      let where = '';
      if (opts.query) {
        params.push(`%${escapeLike(opts.query.toLowerCase())}%`);
        where = `WHERE lower(email) LIKE $1 ESCAPE '\\' OR lower(name) LIKE $1 ESCAPE '\\'`;
      }
      params.push(clampLimit(opts.limit, 100, 1000));
      const rows = await db.query<UserRow>(`SELECT ${USER_COLUMNS} FROM users ${where} ORDER BY created_at DESC, id DESC LIMIT $${params.length}`, params);
      return rows.map(toUser);
    },
    async countAdmins() {
      const row = onlyRow(await db.query<{ n: number }>(`SELECT COUNT(*) AS n FROM users WHERE role = 'admin' AND disabled = 0`));
      return Number(row.n);
    },
    async setDisabled(id, disabled, now) {
      const { changes } = await db.run('UPDATE users SET disabled = $2, updated_at = $3 WHERE id = $1', [id, toBit(disabled), now]);
      return changes === 1;
    },
    async setPasswordHash(id, hash, now) {
      const { changes } = await db.run('UPDATE users SET password_hash = $2, must_change_password = 0, updated_at = $3 WHERE id = $1', [id, hash, now]);
      return changes === 1;
    },
    async touchSignIn(id, now) {
      // Not a profile change, so updated_at stays.
      await db.run('UPDATE users SET last_sign_in_at = $2 WHERE id = $1', [id, now]);
    },
    async update(id, patch, now) {
      const params: SqlValue[] = [id, now];
      const sets = ['updated_at = $2'];
      const set = (column: string, value: SqlValue) => {
        params.push(value);
        sets.push(`${column} = $${params.length}`);
      };
      if (patch.name !== undefined) set('name', patch.name);
      if (patch.email !== undefined) set('email', patch.email);
      if (patch.emailVerified !== undefined) set('email_verified', toBit(patch.emailVerified));
      if (patch.role !== undefined) set('role', patch.role);
      if (patch.username !== undefined) set('username', patch.username);
      return one(`UPDATE users SET ${sets.join(', ')} WHERE id = $1 RETURNING ${USER_COLUMNS}`, params);
    },
  };
}

interface ClientRow {
  client_id: string;
  name: string;
  secret: string | null;
  redirect_uris: string;
  post_logout_redirect_uris: string;
  scopes: string;
  logo_url: string | null;
  first_party: number;
  created_at: number;
  default_scope: string | null;
  access_token_ttl: number | null;
  legacy_refresh: number;
  options: string;
}

/** ClientRecord members kept in the `options` JSON column (migration 019); absent ones stay absent. */
const OPTION_KEYS = ['machine', 'jwks', 'jwksUri', 'requireDpop', 'requirePar', 'device', 'backchannelLogoutUri', 'backchannelLogoutSessionRequired'] as const;

function clientOptions(c: ClientRecord): string {
  return JSON.stringify(Object.fromEntries(OPTION_KEYS.filter((k) => c[k] !== undefined).map((k) => [k, c[k]])));
}

function toClient(r: ClientRow): ClientRecord {
  return {
    clientId: r.client_id,
    name: r.name,
    secret: r.secret,
    redirectUris: parseJson<string[]>(r.redirect_uris, []),
    postLogoutRedirectUris: parseJson<string[]>(r.post_logout_redirect_uris, []),
    scopes: parseJson<string[]>(r.scopes, []),
    logoUrl: r.logo_url,
    firstParty: fromBit(r.first_party),
    createdAt: Number(r.created_at),
    defaultScope: r.default_scope,
    accessTokenTtl: numOrNull(r.access_token_ttl),
    legacyRefresh: fromBit(r.legacy_refresh),
    ...parseJson<Partial<ClientRecord>>(r.options, {}),
  };
}

function clientParams(c: ClientRecord): SqlValue[] {
  return [
    c.clientId,
    c.name,
    c.secret,
    JSON.stringify(c.redirectUris),
    JSON.stringify(c.postLogoutRedirectUris),
    JSON.stringify(c.scopes),
    c.logoUrl,
    toBit(c.firstParty),
    c.createdAt,
    c.defaultScope ?? null,
    c.accessTokenTtl ?? null,
    toBit(c.legacyRefresh ?? false),
    clientOptions(c),
  ];
}

const INSERT_CLIENT = `INSERT INTO clients
  (client_id, name, secret, redirect_uris, post_logout_redirect_uris, scopes, logo_url, first_party, created_at,
   default_scope, access_token_ttl, legacy_refresh, options)
  VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`;

export function sqlClients(db: Driver): Store['clients'] {
  return {
    async create(c) {
      await db.run(INSERT_CLIENT, clientParams(c));
    },
    async upsert(c) {
      // created_at keeps the first registration's time: boot re-upserts the BFF's own client.
      await db.run(
        `${INSERT_CLIENT} ON CONFLICT (client_id) DO UPDATE SET
           name = excluded.name, secret = excluded.secret, redirect_uris = excluded.redirect_uris,
           post_logout_redirect_uris = excluded.post_logout_redirect_uris, scopes = excluded.scopes,
           logo_url = excluded.logo_url, first_party = excluded.first_party, default_scope = excluded.default_scope,
           access_token_ttl = excluded.access_token_ttl, legacy_refresh = excluded.legacy_refresh,
           options = excluded.options`,
        clientParams(c),
      );
    },
    async find(clientId) {
      const rows = await db.query<ClientRow>('SELECT * FROM clients WHERE client_id = $1', [clientId]);
      return firstOr(rows, toClient);
    },
    async list() {
      return (await db.query<ClientRow>('SELECT * FROM clients ORDER BY created_at, client_id')).map(toClient);
    },
    async setSecret(clientId, secret) {
      const { changes } = await db.run('UPDATE clients SET secret = $2 WHERE client_id = $1', [clientId, secret]);
      return changes === 1;
    },
    delete(clientId) {
      // Consents die with the client, so a later client reusing the id starts without them.
      return db.transaction(async (tx) => {
        await tx.run('DELETE FROM consents WHERE client_id = $1', [clientId]);
        const { changes } = await tx.run('DELETE FROM clients WHERE client_id = $1', [clientId]);
        return changes === 1;
      });
    },
    async version() {
      // Bumped by triggers on clients (migration 024), so no write path can forget it.
      const rows = await db.query<{ version: number }>('SELECT version FROM clients_version WHERE id = 1');
      return Number(rows[0]?.version ?? 0);
    },
  };
}
