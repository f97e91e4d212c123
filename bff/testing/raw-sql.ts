/**
 * Direct SQL against a test app's database, bypassing the Store: for tests
 * that play the attacker (editing or deleting audit rows) or inspect storage.
 */
import { DatabaseSync } from 'node:sqlite';
import pg from 'pg';

export async function rawSql<T = Record<string, unknown>>(databaseUrl: string, sql: string, params: Array<string | number | null> = []): Promise<T[]> {
  if (databaseUrl.startsWith('sqlite:')) {
    const db = new DatabaseSync(databaseUrl.slice('sqlite:'.length));
    try {
      const stmt = db.prepare(sql.replace(/\$(\d+)/g, '?$1'));
      return (/^\s*(select|with)|returning/i.test(sql) ? stmt.all(...params) : (stmt.run(...params), [])) as T[];
    } finally {
      db.close();
    }
  }
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    return (await client.query(sql, params)).rows as T[];
  } finally {
    await client.end();
  }
}
