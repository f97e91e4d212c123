/**
 * SQLite driver over node:sqlite. DatabaseSync is synchronous, but the store
 * API is async and a transaction awaits between statements, so every access
 * goes through one FIFO mutex: a transaction holds it from BEGIN IMMEDIATE to
 * COMMIT, and a lone statement waits for the running transaction to finish
 * instead of slipping into it.
 */
import { mkdirSync, statfsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { DatabaseSync, type SQLInputValue, type StatementSync } from 'node:sqlite';
import type { Driver, SqlValue } from '../sql/driver.ts';
import { ConflictError, StoreUnavailableError } from '../store.ts';

/** FIFO async mutex built on a promise chain. */
class Mutex {
  #tail: Promise<void> = Promise.resolve();

  async run<T>(fn: () => T | Promise<T>): Promise<T> {
    const previous = this.#tail;
    let release!: () => void;
    this.#tail = new Promise<void>((r) => {
      release = r;
    });
    await previous;
    try {
      return await fn();
    } finally {
      release();
    }
  }
}

/*
 * Connections to the same file within one process share a mutex. Otherwise a
 * second connection's BEGIN IMMEDIATE would spin in busy_timeout, blocking the
 * event loop, while the first connection's transaction waits on that very loop.
 */
const sharedMutexes = new Map<string, { mutex: Mutex; refs: number }>();

function acquireMutex(key: string | null): { mutex: Mutex; release: () => void } {
  if (key === null) return { mutex: new Mutex(), release: () => {} };
  let entry = sharedMutexes.get(key);
  if (!entry) {
    entry = { mutex: new Mutex(), refs: 0 };
    sharedMutexes.set(key, entry);
  }
  entry.refs++;
  const e = entry;
  return {
    mutex: e.mutex,
    release: () => {
      if (--e.refs === 0) sharedMutexes.delete(key);
    },
  };
}

// Primary result codes meaning "the database cannot be used right now".
const UNAVAILABLE_CODES = new Set([5 /* BUSY */, 6 /* LOCKED */, 8 /* READONLY */, 10 /* IOERR */, 13 /* FULL */, 14 /* CANTOPEN */]);

/** Below this much free space on the database's file system, /healthz reports the write path as failing. */
const MIN_FREE_BYTES = 1024 * 1024;

export interface SqliteOptions {
  /**
   * How long a statement waits for another process's write lock before failing
   * as StoreUnavailableError (busy_timeout). The wait blocks the event loop, so
   * it is capped at 750 ms whatever is asked (default 750 ms).
   */
  timeoutMs?: number;
}

function translate(err: unknown): unknown {
  if (!(err instanceof Error)) return err;
  if (err.message.includes('UNIQUE constraint failed')) return new ConflictError(err.message);
  const errcode = (err as { errcode?: unknown }).errcode;
  if (typeof errcode === 'number' && UNAVAILABLE_CODES.has(errcode & 0xff)) return new StoreUnavailableError(err);
  return err;
}

function bind(params: readonly SqlValue[]): SQLInputValue[] {
  return params.map((p) => (p === undefined ? null : p));
}

/** Opens (creating if needed) the database at `path`; ':memory:' for a private in-memory one. */
export function openSqlite(path: string, opts: SqliteOptions = {}): Driver {
  const inMemory = path === ':memory:';
  const busyTimeout = Math.min(opts.timeoutMs ?? 750, 750);
  const file = inMemory ? path : resolve(path);
  let db: DatabaseSync;
  try {
    if (!inMemory) mkdirSync(dirname(file), { recursive: true });
    db = new DatabaseSync(file);
    db.exec(`PRAGMA journal_mode=WAL; PRAGMA busy_timeout=${Math.max(0, Math.trunc(busyTimeout))}; PRAGMA foreign_keys=ON; PRAGMA synchronous=NORMAL;`);
  } catch (err) {
    throw new StoreUnavailableError(err);
  }
  const { mutex, release } = acquireMutex(inMemory ? null : file);
  const statements = new Map<string, StatementSync>();
  let closed = false;

  function prepare(sql: string): StatementSync {
    let stmt = statements.get(sql);
    if (!stmt) {
      // SQLite accepts ?NNN, so numbered placeholders keep their meaning.
      stmt = db.prepare(sql.replace(/\$(\d+)/g, '?$1'));
      statements.set(sql, stmt);
    }
    return stmt;
  }

  function guard<T>(fn: () => T): T {
    if (closed) throw new StoreUnavailableError(new Error('the SQLite database is closed'));
    try {
      return fn();
    } catch (err) {
      throw translate(err);
    }
  }

  // Direct access, for use while the mutex is held.
  const tx: Driver = {
    kind: 'sqlite',
    query: async <T>(sql: string, params: readonly SqlValue[] = []) => guard(() => prepare(sql).all(...bind(params)) as T[]),
    run: async (sql, params = []) => guard(() => ({ changes: Number(prepare(sql).run(...bind(params)).changes) })),
    exec: async (script) => guard(() => db.exec(script)),
    transaction: (fn) => fn(tx),
    lock: async () => {},
    close: async () => {
      throw new Error('close() called inside a transaction');
    },
  };

  /*
   * Group commit. Lone writes that arrive within one turn of the event loop are
   * committed together in one transaction: a commit costs far more than the
   * statement, and a busy portal issues several writes per turn. Each caller is
   * answered only after the commit, so nothing is acknowledged before it is
   * durable. A statement that fails (a UNIQUE violation, say) is undone by
   * SQLite on its own and fails alone; the others still commit.
   */
  let pending: Array<{ sql: string; params: readonly SqlValue[]; resolve: (r: { changes: number }) => void; reject: (e: unknown) => void }> = [];
  const flushWrites = () =>
    mutex.run(() => {
      const batch = pending;
      pending = [];
      if (batch.length === 0) return;
      if (batch.length === 1) {
        const [w] = batch;
        try {
          w!.resolve(guard(() => ({ changes: Number(prepare(w!.sql).run(...bind(w!.params)).changes) })));
        } catch (err) {
          w!.reject(err);
        }
        return;
      }
      const outcomes: Array<{ ok: boolean; value: unknown }> = [];
      try {
        guard(() => db.exec('BEGIN IMMEDIATE'));
        for (const w of batch) {
          try {
            outcomes.push({ ok: true, value: guard(() => ({ changes: Number(prepare(w.sql).run(...bind(w.params)).changes) })) });
          } catch (err) {
            outcomes.push({ ok: false, value: err });
          }
        }
        guard(() => db.exec('COMMIT'));
      } catch (err) {
        if (!closed && db.isTransaction) {
          try {
            db.exec('ROLLBACK');
          } catch {
            // The commit failure is what callers need to hear.
          }
        }
        for (const w of batch) w.reject(err);
        return;
      }
      batch.forEach((w, i) => (outcomes[i]!.ok ? w.resolve(outcomes[i]!.value as { changes: number }) : w.reject(outcomes[i]!.value)));
    });

  return {
    kind: 'sqlite',
    query: <T>(sql: string, params?: readonly SqlValue[]) => mutex.run(() => tx.query<T>(sql, params)),
    run: (sql, params = []) =>
      new Promise<{ changes: number }>((resolve, reject) => {
        if (pending.push({ sql, params, resolve, reject }) === 1) setImmediate(() => void flushWrites());
      }),
    exec: (script) => mutex.run(() => tx.exec(script)),
    transaction: (fn) =>
      mutex.run(async () => {
        // IMMEDIATE takes the write lock up front, so other processes on the file serialise too.
        guard(() => db.exec('BEGIN IMMEDIATE'));
        try {
          const result = await fn(tx);
          guard(() => db.exec('COMMIT'));
          return result;
        } catch (err) {
          if (!closed && db.isTransaction) {
            try {
              db.exec('ROLLBACK');
            } catch {
              // The original error matters more than a failed rollback.
            }
          }
          throw err;
        }
      }),
    lock: async () => {},
    checkSpace: () =>
      mutex.run(() =>
        guard(() => {
          // A write that fits in an existing page still succeeds on a full disk; the next one that grows the file will not.
          const pragma = (name: string) => Number(Object.values(db.prepare(`PRAGMA ${name}`).get() ?? {})[0]);
          const full = pragma('page_count') >= pragma('max_page_count') && pragma('freelist_count') === 0;
          const fs = inMemory ? null : statfsSync(dirname(file));
          if (full || (fs && fs.bavail * fs.bsize < MIN_FREE_BYTES)) {
            throw new StoreUnavailableError(new Error('the SQLite database cannot grow: its disk or page limit is full'));
          }
        }),
      ),
    close: () =>
      mutex.run(() => {
        if (closed) return;
        closed = true;
        statements.clear();
        release();
        db.close();
      }),
  };
}
