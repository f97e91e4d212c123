import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { runStoreContract } from '../contract.ts';
import { openStore } from '../open-store.ts';

const dir = mkdtempSync(join(tmpdir(), 'portal-sqlite-'));
after(() => rmSync(dir, { recursive: true, force: true }));

runStoreContract('sqlite (file)', () => openStore(`sqlite:${join(dir, 'nested', 'contract.db')}`));
runStoreContract('sqlite (memory)', () => openStore('sqlite::memory:'));

describe('sqlite: two stores on one file', () => {
  it('see each other’s writes, and share the audit chain', async () => {
    const url = `sqlite:${join(dir, 'shared.db')}`;
    const a = await openStore(url);
    const b = await openStore(url);
    try {
      await Promise.all([a.migrate(), b.migrate()]);
      const id = randomUUID();
      await a.users.create({ id, email: `${id}@example.test`, name: 'A', passwordHash: null, role: 'user' }, 1);
      assert.equal((await b.users.findById(id))?.name, 'A');
      await b.settings.set('k', 'v');
      assert.equal(await a.settings.get('k'), 'v');
      const hash = (prev: string, seq: number) => `${prev.slice(0, 8)}:${seq}`;
      const e = { at: 1, kind: 'x', actorId: null, subjectId: null, ip: null, userAgent: null, data: {} };
      const out = await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 ? a : b).audit.append(e, hash)));
      assert.deepEqual(
        out.map((x) => x.seq).sort((x, y) => x - y),
        [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
      );
    } finally {
      await a.close();
      await b.close();
    }
  });
});

describe('sqlite: group commit', () => {
  it('writes issued together commit together, and one failing write fails alone', async () => {
    const store = await openStore(`sqlite:${join(dir, 'group.db')}`);
    try {
      await store.migrate();
      const dup = `${randomUUID()}@example.test`;
      const ids = Array.from({ length: 20 }, () => randomUUID());
      const results = await Promise.allSettled(
        ids
          .map((id, i) => store.users.create({ id, email: i === 7 ? dup : `${id}@example.test`, name: String(i), passwordHash: null, role: 'user' }, 1))
          .concat(store.users.create({ id: randomUUID(), email: dup, name: 'twin', passwordHash: null, role: 'user' }, 1)),
      );
      const rejected = results.filter((r) => r.status === 'rejected');
      assert.equal(rejected.length, 1, 'exactly the duplicate fails');
      assert.equal((rejected[0] as PromiseRejectedResult).reason.name, 'ConflictError');
      for (const id of ids) assert.ok(await store.users.findById(id), 'every other write is durable');
    } finally {
      await store.close();
    }
  });
});
