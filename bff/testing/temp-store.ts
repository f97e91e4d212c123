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
import { PG_URL, TEST_SECRETS_ENV } from './test-app.ts';
import { loadConfig, type Config } from '../config/config.ts';
import type { Deps } from '../deps.ts';

export interface TempStore {
  store: Store;
  /** The database URL, for a second connection to the same data. */
  url: string;
  /** Closes the store and removes its file or schema. */
  drop(): Promise<void>;
}

export async function openTempStore(db: 'sqlite' | 'postgres', opts: OpenStoreOptions = {}): Promise<TempStore> {
  let url: string;
  let remove: () => Promise<void> | void;
  if (db === 'postgres') {
    const schema = await withTempPgSchema(PG_URL);
    url = schema.url;
    remove = () => schema.drop();
  } else {
    const dir = mkdtempSync(join(tmpdir(), 'portal-store-'));
    url = `sqlite:${join(dir, 'portal.db')}`;
    remove = () => rmSync(dir, { recursive: true, force: true });
  }
  const store = await openStore(url, opts);
  await store.migrate();
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
  close(): Promise<void>;
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
  return { ...temp, deps, config, clock, close: temp.drop };
}
