/**
 * A throwaway PostgreSQL schema for tests, so runs can share one database
 * (CI's, or a developer's) without seeing each other's rows.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';

export interface TempPgSchema {
  /** `baseUrl` with `options=-c search_path=<schema>`, for openStore(). */
  url: string;
  schema: string;
  /** Drops the schema and everything in it. */
  drop(): Promise<void>;
}

async function withClient<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  try {
    await client.connect();
  } catch (err) {
    const where = new URL(url).host;
    throw new Error(
      `PostgreSQL at ${where} is unreachable (${(err as Error).message}). ` +
        'Start it, or point TEST_DATABASE_URL at a server where the user may CREATE SCHEMA.',
      { cause: err },
    );
  }
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => {});
  }
}

/** Creates `portal_test_<random>` in the database at `baseUrl`. Throws a clear error when unreachable. */
export async function withTempPgSchema(baseUrl: string): Promise<TempPgSchema> {
  const schema = `portal_test_${randomBytes(6).toString('hex')}`;
  await withClient(baseUrl, (c) => c.query(`CREATE SCHEMA ${schema}`));
  const options = encodeURIComponent(`-c search_path=${schema}`);
  const url = `${baseUrl}${baseUrl.includes('?') ? '&' : '?'}options=${options}`;
  return {
    url,
    schema,
    drop: () => withClient(baseUrl, async (c) => void (await c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`))),
  };
}
