/**
 * The per-instance client cache (client-cache.ts) keeps at most 2,000
 * records: the 2,001st lookup drops the oldest kept one, not one sooner, and
 * the others stay kept. Apart from client-cache-mutants.test.ts because 4,000
 * lookups on PostgreSQL take seconds. Against the real store (a SQLite file
 * and a PostgreSQL schema), without the app.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { ClientRecord, Store } from '../store/store.ts';
import { openTempStore, type TempStore } from '../testing/temp-store.ts';
import { rawSql } from '../testing/raw-sql.ts';
import { cachedClients } from './client-cache.ts';

for (const db of ['sqlite', 'postgres'] as const) {
  describe(`cachedClients at its bound (${db})`, () => {
    let temp: TempStore;
    let url: string;
    let store: Store;
    before(async () => {
      temp = await openTempStore(db, { timeoutMs: 30_000 });
      ({ store, url } = temp);
    });
    after(async () => {
      await temp?.drop();
    });

    it('keeps at most 2,000 records, dropping the oldest kept first', async () => {
      const ids = Array.from({ length: 2001 }, (_, i) => `app_many_${String(i).padStart(4, '0')}`);
      const values = ids.map((id) => `('${id}', 'Many', 's', '[]', '[]', '["openid"]', NULL, 0, 1, NULL, NULL, 0, '{}')`);
      await rawSql(
        url,
        `INSERT INTO clients (client_id, name, secret, redirect_uris, post_logout_redirect_uris, scopes, logo_url, first_party, created_at, default_scope, access_token_ttl, legacy_refresh, options) VALUES ${values.join(', ')}`,
      );
      const cached = cachedClients(store);
      const kept = new Map<string, ClientRecord>();
      for (const id of ids.slice(0, 2000)) kept.set(id, (await cached.clients.find(id))!);
      assert.equal(await cached.clients.find(ids[0]!), kept.get(ids[0]!), 'all 2,000 kept');
      assert.equal(await cached.clients.find(ids[1999]!), kept.get(ids[1999]!));
      const last = await cached.clients.find(ids[2000]!);
      assert.equal(await cached.clients.find(ids[2000]!), last);
      assert.notEqual(await cached.clients.find(ids[0]!), kept.get(ids[0]!), 'the oldest made way');
      assert.equal(await cached.clients.find(ids[2]!), kept.get(ids[2]!));
    });
  });
}
