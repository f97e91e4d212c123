/**
 * GET /healthz (health.ts), pinned where mutation testing (docs/mutation.md)
 * needs it: the healthy answer field by field (with and without the detail,
 * and a detail that fails), each unhealthy answer's reason, sentence,
 * Retry-After and log line, a probe after a failure checking again rather than
 * reusing the failed check, and (PostgreSQL) a write that waits on a lock
 * answered as a timeout within the budget. A real store on SQLite and on
 * PostgreSQL, served by a bare Express app over real HTTP; the write path is
 * broken with a trigger on the heartbeat row, the read path by closing the store.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import express from 'express';
import pg from 'pg';
import { pino } from 'pino';
import { healthRoute } from './health.ts';
import { openStore } from '../store/open-store.ts';
import type { Store } from '../store/store.ts';
import { rawSql } from '../testing/raw-sql.ts';
import { tempDatabase, type TempDatabase } from '../testing/temp-store.ts';

/** A mutant that leaves a probe unanswered fails here instead of hanging until Stryker's timeout. */
const HTTP = { timeout: 15_000 };

const WRITE_FAILED = {
  reason: 'store_write_failed',
  message: 'The database answers but cannot store anything (disk full, read-only or locked).',
};

for (const db of ['sqlite', 'postgres'] as const) {
  describe(`GET /healthz, exactly (${db})`, () => {
    let temp: TempDatabase;
    let databaseUrl = '';
    let store: Store;
    let url = '';
    let server: ReturnType<ReturnType<typeof express>['listen']>;
    const lines: Array<Record<string, unknown>> = [];

    before(async () => {
      temp = await tempDatabase(db);
      databaseUrl = temp.url;
      store = await openStore(databaseUrl, { timeoutMs: 30_000 });
      await store.migrate();
      const logger = pino(
        { level: 'debug' },
        new Writable({
          write(chunk: Buffer, _enc, done) {
            lines.push(JSON.parse(chunk.toString()));
            done();
          },
        }),
      );
      const a = express();
      a.get('/healthz', healthRoute(store, logger));
      a.get(
        '/healthz-detail',
        healthRoute(store, logger, async () => ({ mail: { queued: 2 } })),
      );
      a.get(
        '/healthz-bad-detail',
        healthRoute(store, logger, () => Promise.reject(new Error('the outbox is unreadable'))),
      );
      server = a.listen(0, '127.0.0.1');
      await new Promise((r) => server.once('listening', r));
      url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    after(async () => {
      server.closeAllConnections();
      server.close();
      await store.close();
      await temp.remove();
    });

    async function probe(path = '/healthz') {
      lines.length = 0;
      const res = await fetch(`${url}${path}`);
      return { res, body: (await res.json()) as Record<string, unknown>, lines: [...lines] };
    }

    it('answers a healthy store with 200, no-store, the store kind and the detail; a failing detail is left out', HTTP, async () => {
      assert.equal(store.kind, db);
      for (const [path, extra] of [
        ['/healthz', {}],
        ['/healthz-detail', { mail: { queued: 2 } }],
        ['/healthz-bad-detail', {}],
      ] as const) {
        const { res, body, lines: logged } = await probe(path);
        assert.equal(res.status, 200, path);
        assert.equal(res.headers.get('cache-control'), 'no-store', path);
        assert.equal(res.headers.get('retry-after'), null, path);
        assert.deepEqual(body, { status: 'ok', store: db, ...extra }, path);
        assert.equal(logged.length, 0, path);
      }
      const [row] = await rawSql<{ value: string }>(databaseUrl, "SELECT value FROM settings WHERE key = 'healthz.heartbeat'");
      assert.match(row!.value, /^\d+$/, 'the probe wrote its heartbeat');
    });

    it('answers a store that reads but cannot write with 503 store_write_failed, and checks again on the next probe', HTTP, async () => {
      const refuse =
        db === 'sqlite'
          ? [
              "CREATE TRIGGER no_heartbeat_insert BEFORE INSERT ON settings BEGIN SELECT RAISE(ABORT, 'writes refused by the test'); END",
              "CREATE TRIGGER no_heartbeat_update BEFORE UPDATE ON settings BEGIN SELECT RAISE(ABORT, 'writes refused by the test'); END",
            ]
          : [
              "CREATE FUNCTION refuse_writes() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'writes refused by the test'; END $$",
              'CREATE TRIGGER no_heartbeat BEFORE INSERT OR UPDATE ON settings FOR EACH ROW EXECUTE FUNCTION refuse_writes()',
            ];
      const allow = db === 'sqlite' ? ['DROP TRIGGER no_heartbeat_insert', 'DROP TRIGGER no_heartbeat_update'] : ['DROP TRIGGER no_heartbeat ON settings'];
      assert.equal((await probe()).res.status, 200, 'healthy first');
      for (const sql of refuse) await rawSql(databaseUrl, sql);
      try {
        const { res, body, lines: logged } = await probe();
        assert.equal(res.status, 503);
        assert.equal(res.headers.get('retry-after'), '5');
        assert.equal(res.headers.get('cache-control'), 'no-store');
        assert.deepEqual(body, { status: 'unavailable', store: db, ...WRITE_FAILED });
        assert.equal(logged.length, 1);
        assert.equal(logged[0]!.level, 40);
        assert.equal(logged[0]!.msg, 'health check failed');
        assert.equal(logged[0]!.reason, 'store_write_failed');
        assert.match((logged[0]!.err as { message: string }).message, /writes refused by the test/);
        assert.equal((await probe('/healthz-detail')).res.status, 503, 'the detail does not make it healthy');
      } finally {
        for (const sql of allow) await rawSql(databaseUrl, sql);
      }
      const again = await probe();
      assert.equal(again.res.status, 200, 'checked again once the writes are back');
      assert.deepEqual(again.body, { status: 'ok', store: db });
    });

    if (db === 'postgres') {
      it('answers a write that waits on a lock with 503 store_timeout within its budget, and recovers', HTTP, async () => {
        const holder = new pg.Client({ connectionString: databaseUrl });
        await holder.connect();
        try {
          await holder.query('BEGIN');
          await holder.query('LOCK TABLE settings IN ACCESS EXCLUSIVE MODE');
          const { res, body, lines: logged } = await probe();
          assert.equal(res.status, 503);
          assert.equal(res.headers.get('retry-after'), '5');
          assert.deepEqual(body, { status: 'unavailable', store: 'postgres', reason: 'store_timeout', message: 'The database did not answer in time.' });
          assert.equal(logged.length, 1);
          assert.equal(logged[0]!.reason, 'store_timeout');
          assert.equal(logged[0]!.err, undefined);
          await holder.query('COMMIT');
        } finally {
          await holder.end();
        }
        assert.equal((await probe()).res.status, 200);
      });
    }

    it('answers a store that cannot be reached with 503 store_unreachable (last: it closes the store)', HTTP, async () => {
      await store.close();
      const { res, body, lines: logged } = await probe();
      assert.equal(res.status, 503);
      assert.equal(res.headers.get('retry-after'), '5');
      assert.equal(res.headers.get('cache-control'), 'no-store');
      assert.deepEqual(body, { status: 'unavailable', store: db, reason: 'store_unreachable', message: 'The database cannot be reached.' });
      assert.equal(logged.length, 1);
      assert.equal(logged[0]!.reason, 'store_unreachable');
      assert.equal(typeof (logged[0]!.err as { message: string }).message, 'string');
      store = await openStore(databaseUrl, { timeoutMs: 30_000 });
    });
  });
}
