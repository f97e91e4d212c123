/**
 * Opens the Store named by a database URL. Does not migrate: callers run
 * `store.migrate()` themselves, when and whether they choose.
 */
import { openPostgres } from './postgres/pg-driver.ts';
import { SqlStore } from './sql/sql-store.ts';
import { openSqlite } from './sqlite/sqlite-driver.ts';
import type { Store } from './store.ts';

export interface OpenStoreOptions {
  /** Connection, statement and lock timeout in ms (config DATABASE_TIMEOUT_MS); each driver's default when absent. */
  timeoutMs?: number;
}

/**
 * `sqlite:<path>` (relative to the working directory), `sqlite::memory:`, or
 * `postgres://…` / `postgresql://…`.
 */
export async function openStore(databaseUrl: string, opts: OpenStoreOptions = {}): Promise<Store> {
  if (databaseUrl.startsWith('sqlite:')) {
    const path = databaseUrl.slice('sqlite:'.length);
    if (!path) throw new Error('DATABASE_URL sqlite: needs a path, e.g. sqlite:data/portal.db or sqlite::memory:');
    return new SqlStore(openSqlite(path, { timeoutMs: opts.timeoutMs }));
  }
  if (/^postgres(ql)?:\/\//.test(databaseUrl)) return new SqlStore(openPostgres(databaseUrl, { timeoutMs: opts.timeoutMs }));
  // Only the scheme is echoed: the URL may carry a password.
  throw new Error(`unsupported database URL scheme: ${databaseUrl.split(':')[0]}: (use sqlite: or postgres://)`);
}
