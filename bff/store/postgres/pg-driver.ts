/**
 * PostgreSQL driver over a pg.Pool. Lost or refused connections surface as
 * StoreUnavailableError (so /healthz and request handlers can answer 503)
 * and never as an unhandled 'error' event that would kill the process.
 */
import pg from 'pg';
import type { Driver, SqlValue } from '../sql/driver.ts';
import { ConflictError, StoreUnavailableError } from '../store.ts';

export interface PostgresOptions {
  /** Told about errors on idle pooled connections (the pool replaces them itself). */
  onIdleError?: (err: Error) => void;
  /**
   * How long a connection attempt, a statement or a lock wait may take before
   * it fails as StoreUnavailableError (default 5000 ms).
   */
  timeoutMs?: number;
}

/** The same timeouts for pooled and LISTEN connections, so neither waits forever on a frozen server. */
export function timeouts(ms: number): pg.ClientConfig {
  return {
    connectionTimeoutMillis: ms,
    statement_timeout: ms,
    lock_timeout: ms,
    // A crashed instance's open transaction would hold its row locks until TCP gives up.
    idle_in_transaction_session_timeout: 2 * ms,
    // statement_timeout needs a live server; this client-side timer also covers a frozen or partitioned one.
    query_timeout: ms + 1000,
    keepAlive: true,
    keepAliveInitialDelayMillis: 10_000,
  };
}

// BIGINT columns hold epoch milliseconds, well inside Number's exact range.
const types = new pg.TypeOverrides();
types.setTypeParser(20, (value: string) => Number(value));

function sqlState(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** True when the error means the server or the connection is gone, not that the statement was wrong. */
function isConnectionError(err: unknown): boolean {
  if (err instanceof StoreUnavailableError) return err.cause === undefined || isConnectionError(err.cause);
  const code = sqlState(err);
  // 08: connection exception; 57P: admin/crash shutdown, cannot connect now; 53: out of resources
  // (disk full, too many clients); E…: Node socket errors (ECONNREFUSED, ECONNRESET, ETIMEDOUT, EPIPE, …).
  if (code && /^(08|57P|53|E[A-Z]+$)/.test(code)) return true;
  return isClientTimeout(err);
}

/** The connection itself is unusable (pg's own timers fired, or it was cut): the pool must discard it. */
function isClientTimeout(err: unknown): boolean {
  const message = err instanceof Error ? err.message : '';
  return /Connection terminated|not queryable|timeout exceeded when trying to connect|Query read timeout/i.test(message);
}

/*
 * The server is up but cannot do the work now: statement_timeout or a cancel (57014), lock_timeout
 * (55P03), idle-in-transaction timeout (25P03), a read-only standby or read-only transaction (25006).
 */
const BUSY_STATES = new Set(['57014', '55P03', '25P03', '25006']);

function translate(err: unknown): unknown {
  if (err instanceof ConflictError || err instanceof StoreUnavailableError) return err;
  if (sqlState(err) === '23505') return new ConflictError((err as Error).message);
  if (isConnectionError(err) || BUSY_STATES.has(sqlState(err) ?? '')) return new StoreUnavailableError(err);
  return err;
}

function bind(params: readonly SqlValue[]): unknown[] {
  return params.map((p) => (p === undefined ? null : typeof p === 'bigint' ? p.toString() : p));
}

/**
 * A Driver bound to one checked-out client, used inside transactions. A connection runs one
 * statement at a time; code inside a transaction may still start several at once (Promise.all).
 * pg used to queue those on the client itself, which it now deprecates ("client.query() already
 * executing", an error in pg 9), so they are chained here, in the order they were started.
 */
function clientDriver(client: pg.PoolClient): Driver {
  let tail: Promise<unknown> = Promise.resolve();
  const send = (sql: string, params?: unknown[]): Promise<pg.QueryResult> => {
    const result = tail.then(() => client.query(sql, params));
    tail = result.catch(() => undefined);
    return result;
  };
  const tx: Driver = {
    kind: 'postgres',
    async query<T>(sql: string, params: readonly SqlValue[] = []): Promise<T[]> {
      try {
        return (await send(sql, bind(params))).rows as T[];
      } catch (err) {
        throw translate(err);
      }
    },
    async run(sql, params = []) {
      try {
        return { changes: (await send(sql, bind(params))).rowCount ?? 0 };
      } catch (err) {
        throw translate(err);
      }
    },
    async exec(script) {
      try {
        await send(script);
      } catch (err) {
        throw translate(err);
      }
    },
    transaction: (fn) => fn(tx),
    async lock(key) {
      await tx.query('SELECT pg_advisory_xact_lock($1)', [key]);
    },
    async close() {
      throw new Error('close() called inside a transaction');
    },
  };
  return tx;
}

export function openPostgres(url: string, opts: PostgresOptions = {}): Driver {
  const limits = timeouts(opts.timeoutMs ?? 5000);
  const pool = new pg.Pool({
    connectionString: url,
    max: 10,
    // Fail fast when the server is down, frozen or saturated rather than queueing requests forever
    // (connectionTimeoutMillis also bounds the wait for a free pooled connection).
    ...limits,
    idleTimeoutMillis: 30_000,
    application_name: 'portal',
    types,
  });
  // Without a listener, an idle client's error (server restart, network drop) is an uncaught exception.
  pool.on('error', (err) => opts.onIdleError?.(err));

  async function withClient<T>(fn: (tx: Driver) => Promise<T>, inTransaction: boolean): Promise<T> {
    let client: pg.PoolClient;
    try {
      client = await pool.connect();
    } catch (err) {
      throw new StoreUnavailableError(err);
    }
    // A checked-out client has no pool listener; a dropped connection would otherwise crash us.
    let broken: Error | undefined;
    const onError = (err: Error) => {
      broken ??= err;
    };
    client.on('error', onError);
    const tx = clientDriver(client);
    try {
      if (!inTransaction) return await fn(tx);
      await tx.exec('BEGIN');
      try {
        const result = await fn(tx);
        await tx.exec('COMMIT');
        return result;
      } catch (err) {
        try {
          await client.query('ROLLBACK');
        } catch (rollbackErr) {
          broken ??= rollbackErr as Error;
        }
        throw err;
      }
    } catch (err) {
      if (isConnectionError(err)) broken ??= err as Error;
      throw translate(err);
    } finally {
      client.off('error', onError);
      // Passing an error makes the pool discard the client instead of reusing a dead one.
      client.release(broken);
    }
  }

  // One dedicated connection LISTENs for every subscribed channel; it reconnects after a drop.
  const listeners = new Map<string, Array<(payload: string) => void>>();
  let listener: pg.Client | null = null;
  // The listener's statements one after another (pg no longer queues them on a client for us).
  let listenTail: Promise<unknown> = Promise.resolve();
  let ended = false;
  async function connectListener(): Promise<void> {
    if (ended || listener || listeners.size === 0) return;
    const client = new pg.Client({ connectionString: url, application_name: 'portal-listen', ...limits });
    listener = client;
    const retry = (err?: Error) => {
      if (err) opts.onIdleError?.(err);
      if (listener === client) listener = null;
      client.end().catch(() => {});
      if (!ended) setTimeout(() => void connectListener(), 1000).unref();
    };
    client.on('error', retry);
    client.on('notification', (msg) => {
      for (const fn of listeners.get(msg.channel) ?? []) fn(msg.payload ?? '');
    });
    const ready = (async () => {
      await client.connect();
      for (const channel of listeners.keys()) await client.query(`LISTEN ${pg.escapeIdentifier(channel)}`);
    })();
    listenTail = ready.catch(() => undefined);
    try {
      await ready;
    } catch (err) {
      retry(err as Error);
    }
  }

  return {
    kind: 'postgres',
    notifications: {
      async publish(channel, payload) {
        await withClient((tx) => tx.query('SELECT pg_notify($1, $2)', [channel, payload]), false);
      },
      subscribe(channel, onMessage) {
        const fns = listeners.get(channel);
        if (fns) {
          fns.push(onMessage);
          return;
        }
        listeners.set(channel, [onMessage]);
        const l = listener;
        if (l) listenTail = listenTail.then(() => l.query(`LISTEN ${pg.escapeIdentifier(channel)}`)).catch(() => undefined);
        else void connectListener();
      },
    },
    query: <T>(sql: string, params?: readonly SqlValue[]) => withClient((tx) => tx.query<T>(sql, params), false),
    run: (sql, params) => withClient((tx) => tx.run(sql, params), false),
    exec: (script) => withClient((tx) => tx.exec(script), false),
    transaction: (fn) => withClient(fn, true),
    async lock() {
      throw new Error('lock() only works inside a transaction');
    },
    async close() {
      ended = true;
      const l = listener;
      listener = null;
      await l?.end().catch(() => {});
      if (pool.ended || pool.ending) return;
      await pool.end();
    },
  };
}
