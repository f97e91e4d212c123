/**
 * The admin console's user list holds at 100,000 users (issue 11): seeded straight through SQL in
 * one transaction, paged to the end on both databases, every user exactly once and in order, and
 * each page answered from an index (the query plan has no sort of the table). Counts, never times.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { withTempPgSchema } from '../testing/pg-schema.ts';
import { openPostgres } from './postgres/pg-driver.ts';
import { openSqlite } from './sqlite/sqlite-driver.ts';
import type { Driver, SqlValue } from './sql/driver.ts';
import { SqlStore } from './sql/sql-store.ts';
import type { User, UserPageQuery } from './store.ts';

const N = 100_000;
const T0 = 1_700_000_000_000;
const PG_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** Every SELECT the store sends, so the test can ask the database how it answers exactly that. */
function recording(db: Driver, seen: Array<{ sql: string; params: readonly SqlValue[] }>): Driver {
  return Object.assign(Object.create(db) as Driver, {
    query: <T>(sql: string, params: readonly SqlValue[] = []) => {
      if (/^\s*SELECT/i.test(sql)) seen.push({ sql, params });
      return db.query<T>(sql, params);
    },
  });
}

// Three people per millisecond (ties broken by id); every fifth never signed in; ids padded so
// that every collation orders them alike.
const SEED = {
  sqlite: `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${N})
    INSERT INTO users (id, email, name, password_hash, role, disabled, email_verified, created_at, updated_at, last_sign_in_at)
    SELECT printf('u%06d', i), printf('p%06d@example.test', i), printf('Person %d', i), NULL,
      CASE WHEN i % 1000 = 0 THEN 'admin' ELSE 'user' END, 0, 1, ${T0} + i / 3, ${T0},
      CASE WHEN i % 5 = 0 THEN NULL ELSE ${T0} + (i * 7919) % ${N} END FROM n`,
  postgres: `INSERT INTO users (id, email, name, password_hash, role, disabled, email_verified, created_at, updated_at, last_sign_in_at)
    SELECT 'u' || lpad(i::text, 6, '0'), 'p' || lpad(i::text, 6, '0') || '@example.test', 'Person ' || i, NULL,
      CASE WHEN i % 1000 = 0 THEN 'admin' ELSE 'user' END, 0, 1, ${T0} + i / 3, ${T0},
      CASE WHEN i % 5 = 0 THEN NULL ELSE ${T0} + (i * 7919) % ${N} END FROM generate_series(1, ${N}) AS i`,
};

async function plan(db: Driver, sql: string, params: readonly SqlValue[]): Promise<string> {
  const rows = await db.query<Record<string, unknown>>(`${db.kind === 'sqlite' ? 'EXPLAIN QUERY PLAN' : 'EXPLAIN'} ${sql}`, params);
  return rows.map((r) => String(r.detail ?? r['QUERY PLAN'])).join('\n');
}

for (const kind of ['sqlite', 'postgres'] as const) {
  describe(`user list at ${N.toLocaleString('en')} users (${kind})`, () => {
    let raw: Driver;
    let store: SqlStore;
    const seen: Array<{ sql: string; params: readonly SqlValue[] }> = [];
    const cleanups: Array<() => unknown> = [];

    before(async () => {
      if (kind === 'sqlite') {
        const dir = mkdtempSync(join(tmpdir(), 'portal-paging-'));
        cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
        raw = openSqlite(join(dir, 'portal.db'));
      } else {
        const schema = await withTempPgSchema(PG_URL);
        cleanups.push(() => schema.drop());
        raw = openPostgres(schema.url);
      }
      store = new SqlStore(recording(raw, seen));
      await store.migrate();
      await raw.transaction((tx) => tx.exec(SEED[kind]));
      await raw.exec('ANALYZE');
      const [count] = await raw.query<{ n: number }>('SELECT COUNT(*) AS n FROM users');
      assert.equal(Number(count!.n), N);
    });
    after(async () => {
      await raw?.close();
      for (const c of cleanups.reverse()) await c();
    });

    async function walk(q: UserPageQuery): Promise<{ users: User[]; pages: number }> {
      const users: User[] = [];
      let pages = 0;
      let next = null;
      do {
        const page = await store.users.page({ ...q, after: next, limit: 200 });
        users.push(...page.users);
        pages++;
        next = page.next;
      } while (next);
      return { users, pages };
    }

    it('pages by creation to the end: every user once, newest first, ties by id', async () => {
      const { users, pages } = await walk({ sort: 'created' });
      assert.equal(pages, N / 200);
      assert.equal(users.length, N);
      assert.equal(new Set(users.map((u) => u.id)).size, N);
      for (let i = 1; i < users.length; i++) {
        const [a, b] = [users[i - 1]!, users[i]!];
        assert.ok(a.createdAt > b.createdAt || (a.createdAt === b.createdAt && a.id > b.id), `out of order at ${i}: ${a.id} then ${b.id}`);
      }
    });

    it('pages by last sign-in to the end, never-signed-in people last', async () => {
      const { users } = await walk({ sort: 'lastSignIn' });
      assert.equal(users.length, N);
      assert.equal(new Set(users.map((u) => u.id)).size, N);
      const key = (u: User) => u.lastSignInAt ?? 0;
      for (let i = 1; i < users.length; i++) {
        const [a, b] = [users[i - 1]!, users[i]!];
        assert.ok(key(a) > key(b) || (key(a) === key(b) && a.id > b.id), `out of order at ${i}: ${a.id} then ${b.id}`);
      }
      assert.equal(users.filter((u) => u.lastSignInAt === null).length, N / 5);
      assert.ok(users.slice(-N / 5).every((u) => u.lastSignInAt === null));
    });

    it('walks only the people with a second factor, still in index order and without a sort', async () => {
      // Every 7th user has an authenticator app, every 11th a passkey (every 77th both).
      await raw.transaction(async (tx) => {
        await tx.exec(`INSERT INTO mfa_totp (user_id, secret, created_at) SELECT id, 'sealed', ${T0} FROM users WHERE CAST(substr(id, 2) AS INTEGER) % 7 = 0`);
        await tx.exec(`INSERT INTO passkeys (id, user_id, credential_id, public_key, device_type, name, created_at)
          SELECT 'pk' || id, id, 'c' || id, 'k', 'multiDevice', 'Key', ${T0} FROM users WHERE CAST(substr(id, 2) AS INTEGER) % 11 = 0`);
      });
      await raw.exec('ANALYZE');
      const { users } = await walk({ sort: 'created', secondFactor: true });
      const want = Math.floor(N / 7) + Math.floor(N / 11) - Math.floor(N / 77);
      assert.equal(users.length, want);
      assert.equal(new Set(users.map((u) => u.id)).size, want);
      assert.ok(
        users.every((u) => {
          const i = Number(u.id.slice(1));
          return i % 7 === 0 || i % 11 === 0;
        }),
      );
      for (let i = 1; i < users.length; i++)
        assert.ok(users[i - 1]!.createdAt > users[i]!.createdAt || users[i - 1]!.id > users[i]!.id, `out of order at ${i}`);
      seen.length = 0;
      await store.users.page({ sort: 'lastSignIn', secondFactor: true, limit: 200, after: { key: T0 + 50_000, id: 'u050000' } });
      const p = await plan(raw, seen[0]!.sql, seen[0]!.params);
      assert.doesNotMatch(p, /TEMP B-TREE FOR ORDER BY|Sort Key|Seq Scan on users/, p);
    });

    it('answers a page deep in the list from the index, without sorting the table', async () => {
      for (const sort of ['created', 'lastSignIn'] as const) {
        seen.length = 0;
        await store.users.page({ sort, limit: 200 });
        // Halfway down either list.
        const deep = await store.users.page({ sort, limit: 200, after: { key: sort === 'created' ? T0 + 16_666 : T0 + 50_000, id: 'u050000' } });
        assert.equal(deep.users.length, 200);
        assert.equal(seen.length, 2);
        for (const q of seen) {
          const p = await plan(raw, q.sql, q.params);
          assert.doesNotMatch(p, /TEMP B-TREE|Sort|Seq Scan|SCAN users\b(?! USING)/, `${sort}: ${p}`);
          assert.match(
            p,
            kind === 'sqlite'
              ? /(SCAN|SEARCH) users USING (COVERING )?INDEX users_(created_id|last_sign_in_id)/
              : /Index Scan Backward using users_(created_id|last_sign_in_id)/,
            `${sort}: ${p}`,
          );
        }
        // The deep page starts where the cursor points: a range bounded by the index, not a scan from the top.
        const deepPlan = await plan(raw, seen[1]!.sql, seen[1]!.params);
        assert.match(
          deepPlan,
          kind === 'sqlite' ? /SEARCH users USING (COVERING )?INDEX users_\w+ \((created_at|<expr>)<\?\)/ : /Index Cond: /,
          `${sort}: ${deepPlan}`,
        );
        if (kind === 'postgres') assert.doesNotMatch(deepPlan, /Filter: .*<=/, 'the bound is the index condition, not a filter');
      }
    });
  });
}
