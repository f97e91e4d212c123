/**
 * Runs against a real PostgreSQL (CI provides one). An unreachable server is a
 * failure, not a skip, so a misconfigured CI cannot pass silently.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { withTempPgSchema, type TempPgSchema } from '../../testing/pg-schema.ts';
import { runStoreContract } from '../contract.ts';
import { openStore } from '../open-store.ts';
import { StoreUnavailableError } from '../store.ts';
import { loadMigrations } from '../sql/migrate.ts';

const BASE_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

const schemas: TempPgSchema[] = [];
async function freshSchema(): Promise<TempPgSchema> {
  const s = await withTempPgSchema(BASE_URL);
  schemas.push(s);
  return s;
}
after(async () => {
  await Promise.all(schemas.map((s) => s.drop()));
});

describe('postgres: server', () => {
  it(`is reachable at ${BASE_URL.replace(/\/\/[^@/]*@/, '//…@')}`, async () => {
    await freshSchema();
  });
});

runStoreContract('postgres', async () => openStore((await freshSchema()).url));

describe('postgres: migrations', () => {
  let schema: TempPgSchema;
  before(async () => {
    schema = await freshSchema();
  });

  it('applies once when two instances migrate concurrently', async () => {
    const [a, b] = await Promise.all([openStore(schema.url), openStore(schema.url)]);
    try {
      await Promise.all([a.migrate(), b.migrate(), a.migrate()]);
      await b.migrate();
    } finally {
      await a.close();
      await b.close();
    }
    const client = new pg.Client({ connectionString: schema.url });
    await client.connect();
    try {
      const { rows } = await client.query<{ version: number; n: string }>(
        'SELECT version, COUNT(*) AS n FROM schema_migrations GROUP BY version ORDER BY version',
      );
      assert.deepEqual(
        rows.map((r) => r.version),
        (await loadMigrations('postgres')).map((m) => m.version),
        'every migration applied, in order',
      );
      assert.ok(
        rows.every((r) => r.n === '1'),
        'each exactly once',
      );
    } finally {
      await client.end();
    }
  });
});

describe('postgres: unavailability', () => {
  it('reports an unreachable server as StoreUnavailableError', async () => {
    // Port 1 on localhost refuses connections.
    const store = await openStore('postgres://postgres@127.0.0.1:1/test');
    try {
      await assert.rejects(store.ping(), StoreUnavailableError);
      await assert.rejects(store.users.findById('x'), StoreUnavailableError);
      await assert.rejects(
        store.audit.append({ at: 1, kind: 'k', actorId: null, subjectId: null, ip: null, userAgent: null, data: {} }, () => 'h'),
        StoreUnavailableError,
      );
    } finally {
      await store.close();
    }
  });
});
