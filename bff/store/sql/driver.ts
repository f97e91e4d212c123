/**
 * The narrow database seam under SqlStore. SQL is written once, with
 * PostgreSQL-style `$1, $2` placeholders; each driver adapts it (SQLite
 * rewrites them to `?1, ?2`). Drivers also translate their native errors:
 * unique violations become ConflictError, lost connections become
 * StoreUnavailableError, so the store code never sees driver specifics.
 */

/** What a bound parameter may be. Booleans are stored as 0/1 by the store itself. */
export type SqlValue = string | number | bigint | null | undefined;

export interface Driver {
  readonly kind: 'sqlite' | 'postgres';
  /** Runs one statement and returns its rows (SELECT, or anything with RETURNING). */
  query<T>(sql: string, params?: readonly SqlValue[]): Promise<T[]>;
  /** Runs one statement and reports how many rows it changed. */
  run(sql: string, params?: readonly SqlValue[]): Promise<{ changes: number }>;
  /** Runs a parameterless multi-statement script (migrations). */
  exec(script: string): Promise<void>;
  /**
   * Runs `fn` in one transaction: commits when it resolves, rolls back when it
   * throws. Inside, use only `tx`. Nested calls on `tx` join the outer transaction.
   */
  transaction<T>(fn: (tx: Driver) => Promise<T>): Promise<T>;
  /**
   * Inside a transaction: waits until no other transaction holds `key`, and
   * holds it until this one ends (pg_advisory_xact_lock). A no-op on SQLite,
   * where BEGIN IMMEDIATE already serialises every writer.
   */
  lock(key: number): Promise<void>;
  close(): Promise<void>;
  /**
   * Throws StoreUnavailableError when the database cannot grow (SQLite: disk
   * or page limit full). Absent where the server reports that on the write itself.
   */
  checkSpace?(): Promise<void>;
  /**
   * Cross-process notifications (PostgreSQL LISTEN/NOTIFY). Absent on SQLite,
   * where the instances that share a file are expected to be one process.
   */
  notifications?: {
    publish(channel: string, payload: string): Promise<void>;
    subscribe(channel: string, onMessage: (payload: string) => void): void;
  };
}

/** Advisory lock keys, fixed so that every instance agrees on them. */
export const LOCK_MIGRATIONS = 0x506f7201; // "Por" + 1
export const LOCK_AUDIT_APPEND = 0x506f7202;
export const LOCK_ADMINS = 0x506f7203;
