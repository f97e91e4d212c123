/**
 * A migrated store of its own for one test file, without the app: a temp
 * SQLite file, or a temp schema at TEST_DATABASE_URL. For tests that call a
 * module against the real store (the focused `*-mutants.test.ts` files);
 * tests that need HTTP use startTestApp instead.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore, type OpenStoreOptions } from '../store/open-store.ts';
import type { Store } from '../store/store.ts';
import { withTempPgSchema } from './pg-schema.ts';
import { loadConfig, type Config } from '../config/config.ts';
import type { Deps } from '../deps.ts';

/** The PostgreSQL server the tests make their temp schemas in. */
export const PG_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** The secrets every test app runs with; pass them to a spawned `portal` command too. */
export const TEST_SECRETS_ENV = {
  COOKIE_SECRETS: '1:test-secret-test-secret-test-secret-0001',
  AUDIT_KEYS: '1:test-audit-key-test-audit-key-test-0001',
  DATA_ENCRYPTION_KEYS: '1:test-data-key-test-data-key-test-d-0001',
};

export interface TempDatabase {
  /** The database URL (DATABASE_URL's form). */
  url: string;
  /** Removes the file or the schema; close every store on it first. */
  remove(): Promise<void>;
}

/** A fresh, empty database of its own: a temp SQLite file, or a temp schema at TEST_DATABASE_URL. */
export async function tempDatabase(db: 'sqlite' | 'postgres'): Promise<TempDatabase> {
  if (db === 'postgres') {
    const schema = await withTempPgSchema(PG_URL);
    return { url: schema.url, remove: () => schema.drop() };
  }
  const dir = mkdtempSync(join(tmpdir(), 'portal-test-'));
  return { url: `sqlite:${join(dir, 'portal.db')}`, remove: async () => rmSync(dir, { recursive: true, force: true }) };
}

export interface TempStore {
  store: Store;
  /** The database URL, for a second connection to the same data. */
  url: string;
  /** Closes the store and removes its file or schema. */
  drop(): Promise<void>;
}

export async function openTempStore(db: 'sqlite' | 'postgres', opts: OpenStoreOptions = {}): Promise<TempStore> {
  const { url, remove } = await tempDatabase(db);
  let store: Store;
  try {
    store = await openStore(url, opts);
    await store.migrate();
  } catch (e) {
    await remove();
    throw e;
  }
  return {
    store,
    url,
    drop: async () => {
      await store.close();
      await remove();
    },
  };
}

export interface StoreDeps extends TempStore {
  /** Only config, store and now are real: for functions that read no more of the app's deps. */
  deps: Deps;
  config: Config;
  /** Advances deps.now (ms). */
  clock: { offset: number };
}

/**
 * A temp store and the test config, as the slice of the app's deps (config, store, now) that
 * module-level tests need, without booting the app: each mutant reruns such a file in seconds.
 */
export async function openStoreDeps(db: 'sqlite' | 'postgres', env: Record<string, string> = {}): Promise<StoreDeps> {
  const temp = await openTempStore(db, { timeoutMs: 30_000 });
  const config = loadConfig({ NODE_ENV: 'test', PUBLIC_URL: 'http://127.0.0.1:9', DATABASE_URL: temp.url, ...TEST_SECRETS_ENV, LOG_LEVEL: 'silent', ...env });
  const clock = { offset: 0 };
  const deps = { config, store: temp.store, now: () => Date.now() + clock.offset } as Pick<Deps, 'config' | 'store' | 'now'> as Deps;
  return { ...temp, deps, config, clock };
}
