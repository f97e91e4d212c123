/**
 * SQLite locked by another process (SQLITE_BUSY) or on a full disk
 * (SQLITE_FULL): sign-in, /oauth and the SaG sign-in answer 503 with
 * Retry-After, /healthz reports the failing write path, and the portal
 * recovers once the lock or the space is back.
 */
import { describe, it, before, after } from 'node:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { startTestApp } from '../testing/test-app.ts';
import { openSqlite } from './sqlite/sqlite-driver.ts';
import { SqlStore } from './sql/sql-store.ts';
import type { Driver } from './sql/driver.ts';
import {
  ENV,
  assertHealthDown,
  assertOauthUnavailable,
  assertSagUnavailable,
  assertSignInUnavailable,
  atSignIn,
  duringOutage,
  fixture,
  partnerCode,
  type Fixture,
} from '../testing/outage-checks.ts';

describe('SQLite outages', () => {
  let dir: string;
  let driver: Driver;
  let store: SqlStore;
  let f: Fixture;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'portal-outage-'));
    // The smallest pages SQLite allows: a row the portal writes then rarely fits in a page's spare
    // room, so once the file may not grow (the page limit below), writing it fails as on a full disk.
    const blank = new DatabaseSync(join(dir, 'portal.db'));
    blank.exec('PRAGMA page_size = 512; CREATE TABLE sized (x); DROP TABLE sized;');
    blank.close();
    // Opened here rather than by startTestApp: the page limit below is a setting of this very connection.
    driver = openSqlite(join(dir, 'portal.db'), { timeoutMs: Number(ENV.DATABASE_TIMEOUT_MS) });
    store = new SqlStore(driver);
    await store.migrate();
    f = await fixture(await startTestApp({ store, databaseUrl: `sqlite:${join(dir, 'portal.db')}`, env: ENV }));
  });
  after(async () => {
    await f?.app.close();
    await store?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('another process holding the write lock (SQLITE_BUSY): sign-in, /oauth and /healthz answer 503', async () => {
    const code = await partnerCode(f);
    const s = await atSignIn(f.app);
    const other = new DatabaseSync(join(dir, 'portal.db'));
    await duringOutage(f, { start: () => other.exec('BEGIN IMMEDIATE'), end: () => other.close() }, async () => {
      await assertHealthDown(f, ['store_write_failed']);
      await assertSignInUnavailable(f.app, s);
      await assertOauthUnavailable(f, code);
    });
  });

  it('a full disk (SQLITE_FULL): sign-in and /oauth answer 503, /healthz reports the write path', async () => {
    const code = await partnerCode(f);
    const s = await atSignIn(f.app);
    // The limit cannot go below the current size: this makes the file as full as it is now.
    const full = { start: () => driver.exec('PRAGMA max_page_count = 1'), end: () => driver.exec('PRAGMA max_page_count = 1073741823') };
    await duringOutage(f, full, async () => {
      await assertHealthDown(f, ['store_write_failed']);
      await assertSignInUnavailable(f.app, s);
      await assertOauthUnavailable(f, code);
      await assertSagUnavailable(f);
    });
  });
});
