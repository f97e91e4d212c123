/**
 * The per-instance client cache (client-cache.ts), pinned where mutation
 * testing (docs/mutation.md) needs it: a lookup while the clients version
 * stands answers the very record it kept (the same frozen object, arrays
 * frozen too), `list` a fresh array of the kept records; any write (through
 * the cache or a separate connection) is seen by the next lookup and the next
 * list; an unknown id is answered null and never kept; the rest of the store
 * passes through. The 2,000-record bound is in
 * client-cache-eviction-mutants.test.ts (slow on PostgreSQL, so apart). Against the real store (a SQLite file and a PostgreSQL schema),
 * without the app.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { openStore } from '../store/open-store.ts';
import type { ClientRecord, Store } from '../store/store.ts';
import { openTempStore, type TempStore } from '../testing/temp-store.ts';
import { rawSql } from '../testing/raw-sql.ts';
import { cachedClients } from './client-cache.ts';

const client = (clientId: string, name = 'Partner'): ClientRecord => ({
  clientId,
  name,
  secret: 's',
  redirectUris: ['https://partner.example/cb'],
  postLogoutRedirectUris: ['https://partner.example/'],
  scopes: ['openid'],
  logoUrl: null,
  firstParty: false,
  createdAt: 1,
  defaultScope: null,
  accessTokenTtl: null,
  legacyRefresh: false,
});

for (const db of ['sqlite', 'postgres'] as const) {
  describe(`cachedClients (${db})`, () => {
    let temp: TempStore;
    let url: string;
    let store: Store;
    /** A second connection, as another instance or the CLI would have. */
    let other: Store;
    before(async () => {
      temp = await openTempStore(db, { timeoutMs: 30_000 });
      ({ store, url } = temp);
      other = await openStore(url, { timeoutMs: 30_000 });
    });
    after(async () => {
      await other?.close();
      await temp?.drop();
    });

    it('keeps a found record while the version stands, frozen, and sees the next write at once', async () => {
      const cached = cachedClients(store);
      await store.clients.create(client('app_a'));
      await store.clients.create(client('app_b'));
      const a = await cached.clients.find('app_a');
      assert.deepEqual(a, client('app_a'));
      assert.ok(Object.isFrozen(a) && Object.isFrozen(a!.redirectUris) && Object.isFrozen(a!.scopes) && Object.isFrozen(a!.postLogoutRedirectUris));
      const b = await cached.clients.find('app_b');
      assert.equal(await cached.clients.find('app_a'), a, 'the kept record itself');
      assert.equal(await cached.clients.find('app_b'), b);
      // Another connection renames it: the next lookup reads the row again.
      await other.clients.upsert(client('app_a', 'Renamed'));
      const a2 = await cached.clients.find('app_a');
      assert.notEqual(a2, a);
      assert.equal(a2!.name, 'Renamed');
      assert.notEqual(await cached.clients.find('app_b'), b, 'every copy dropped');
      assert.equal(await cached.clients.find('app_a'), a2);
      // Through the cache's own store: the same.
      await cached.clients.upsert(client('app_a', 'Again'));
      assert.equal((await cached.clients.find('app_a'))!.name, 'Again');
      await other.clients.delete('app_a');
      assert.equal(await cached.clients.find('app_a'), null);
    });

    it('answers an unknown id with null and never keeps it', async () => {
      const cached = cachedClients(store);
      assert.equal(await cached.clients.find('app_later'), null);
      assert.equal(await cached.clients.find('app_later'), null);
      // Written behind the version's back (the stamp put back): a kept null would hide it.
      const [{ version }] = (await rawSql<{ version: number }>(url, 'SELECT version FROM clients_version WHERE id = 1')) as [{ version: number }];
      await other.clients.create(client('app_later'));
      await rawSql(url, 'UPDATE clients_version SET version = $1 WHERE id = 1', [version]);
      assert.equal(await store.clients.version(), Number(version));
      assert.deepEqual(await cached.clients.find('app_later'), client('app_later'));
    });

    it('lists the kept records in a fresh array each time, and sees writes', async () => {
      const cached = cachedClients(store);
      const first = await cached.clients.list();
      const ids = (await store.clients.list()).map((c) => c.clientId);
      assert.deepEqual(
        first.map((c) => c.clientId),
        ids,
      );
      assert.ok(first.length > 0 && first.every((c) => Object.isFrozen(c) && Object.isFrozen(c.redirectUris)));
      const second = await cached.clients.list();
      assert.notEqual(second, first);
      assert.deepEqual(second, first);
      second.forEach((c, i) => assert.equal(c, first[i], 'the kept records themselves'));
      second.pop();
      assert.equal((await cached.clients.list()).length, first.length, "a caller's change to its array is its own");
      await other.clients.create(client('app_listed'));
      const third = await cached.clients.list();
      assert.deepEqual(
        third.map((c) => c.clientId),
        (await store.clients.list()).map((c) => c.clientId),
      );
      assert.equal(third.length, first.length + 1);
      assert.ok(third.some((c) => c.clientId === 'app_listed'));
      assert.notEqual(third[0], first[0]);
    });

    /**
     * The real store, with its first `clients.find` or `clients.list` answer held back until
     * `release()`: the row is read, then a write lands before the lookup goes on (the race a
     * concurrent request makes).
     */
    function heldStore(which: 'find' | 'list') {
      let release!: () => void;
      let read!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      const wasRead = new Promise<void>((r) => (read = r));
      let hold = true;
      const held = Object.create(store) as Store;
      held.clients = {
        ...store.clients,
        find: async (id: string) => {
          const row = await store.clients.find(id);
          if (which === 'find' && hold) {
            hold = false;
            read();
            await gate;
          }
          return row;
        },
        list: async () => {
          const rows = await store.clients.list();
          if (which === 'list' && hold) {
            hold = false;
            read();
            await gate;
          }
          return rows;
        },
      };
      return { held, release, wasRead };
    }

    it('a record read while the version moved is answered but not kept: the next lookup reads the row again', async () => {
      await store.clients.create(client('app_race', 'Before'));
      await store.clients.create(client('app_race_other'));
      const { held, release, wasRead } = heldStore('find');
      const cached = cachedClients(held);
      const slow = cached.clients.find('app_race');
      await wasRead;
      // Renamed after the slow lookup read its row; another lookup sees the new version.
      await other.clients.upsert(client('app_race', 'After'));
      assert.deepEqual(await cached.clients.find('app_race_other'), client('app_race_other'));
      release();
      assert.equal((await slow)!.name, 'Before', 'the row it read');
      assert.equal((await cached.clients.find('app_race'))!.name, 'After');
    });

    it('a list read while the version moved is answered but not kept: the next list reads again', async () => {
      await store.clients.create(client('app_race_list', 'Before'));
      await store.clients.create(client('app_race_list_other'));
      const { held, release, wasRead } = heldStore('list');
      const cached = cachedClients(held);
      const slow = cached.clients.list();
      await wasRead;
      await other.clients.upsert(client('app_race_list', 'After'));
      assert.deepEqual(await cached.clients.find('app_race_list_other'), client('app_race_list_other'));
      release();
      assert.equal((await slow).find((c) => c.clientId === 'app_race_list')!.name, 'Before', 'the rows it read');
      assert.equal((await cached.clients.list()).find((c) => c.clientId === 'app_race_list')!.name, 'After');
    });

    it('passes the rest of the store through', async () => {
      const cached = cachedClients(store);
      assert.equal(await cached.clients.version(), await store.clients.version());
      assert.deepEqual(await cached.users.findByEmail('nobody@example.com'), null);
      await cached.clients.create(client('app_through'));
      assert.deepEqual(await store.clients.find('app_through'), client('app_through'));
    });
  });
}
