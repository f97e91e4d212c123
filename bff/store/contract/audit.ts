/** Contract: the audit chain and throttle counters. */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import type { AuditEntry, NewAuditEntry } from '../store.ts';
import { type GetStore, rid, T0 } from './util.ts';

const GENESIS = '0'.repeat(64);

function entry(over: Partial<NewAuditEntry> = {}): NewAuditEntry {
  return { at: T0, kind: 'test.event', actorId: null, subjectId: null, ip: '192.0.2.1', userAgent: 'ua', data: {}, ...over };
}

/** Stand-in for the hash of audit/audit.ts: binds the entry's content to its place in the chain. */
function hasher(e: NewAuditEntry) {
  return (prevHash: string, seq: number) =>
    createHash('sha256')
      .update(`${prevHash}|${seq}|${JSON.stringify(e)}`)
      .digest('hex');
}

function assertChained(entries: AuditEntry[]): void {
  entries.reduce((prev, e) => {
    assert.equal(e.seq, prev.seq + 1);
    assert.equal(e.prevHash, prev.hash);
    return e;
  });
}

export function auditContract(get: GetStore): void {
  describe('audit log', () => {
    const append = (e: NewAuditEntry) => get().audit.append(e, hasher(e));

    it('serialises 20 concurrent appends into one unbroken chain', async () => {
      const [tail] = await get().audit.list({ limit: 1 });
      const base = tail?.seq ?? 0;
      const kind = rid('burst');
      const appended = await Promise.all(Array.from({ length: 20 }, (_, i) => append(entry({ kind, data: { i } }))));
      assert.deepEqual(
        appended.map((e) => e.seq).sort((a, b) => a - b),
        Array.from({ length: 20 }, (_, i) => base + i + 1),
      );
      const stored = await get().audit.iterate(base === 0 ? 1 : base, 100);
      const [head] = stored;
      assert.ok(head, 'the chain has entries');
      if (tail === undefined) assert.equal(head.prevHash, GENESIS);
      else assert.equal(head.hash, tail.hash);
      assertChained(stored);
      assert.equal(stored.at(-1)?.seq, base + 20);
    });

    it('starts the chain at seq 1 with the all-zero prevHash', async () => {
      await append(entry());
      const [firstEntry] = await get().audit.iterate(1, 1);
      assert.ok(firstEntry, 'an entry at seq 1');
      assert.equal(firstEntry.seq, 1);
      assert.equal(firstEntry.prevHash, GENESIS);
    });

    it('returns and stores the hashed entry', async () => {
      const e = entry({ kind: rid('k'), actorId: 'a', subjectId: 's', ip: null, userAgent: null, data: { deep: { x: [1] } } });
      const [prev] = await get().audit.list({ limit: 1 });
      assert.ok(prev, 'an earlier entry');
      const out = await append(e);
      assert.equal(out.prevHash, prev.hash);
      assert.equal(out.seq, prev.seq + 1);
      assert.equal(out.hash, hasher(e)(out.prevHash, out.seq));
      assert.deepEqual(out, { ...e, seq: out.seq, prevHash: prev.hash, hash: out.hash, keyId: null });
      assert.deepEqual(await get().audit.list({ kind: e.kind }), [out]);
    });

    it('filters, newest first', async () => {
      const kind = rid('f');
      const [u, v] = [rid('u'), rid('u')];
      const e1 = await append(entry({ kind, at: T0 + 1, actorId: u }));
      const e2 = await append(entry({ kind, at: T0 + 2, subjectId: u, actorId: v }));
      const e3 = await append(entry({ kind, at: T0 + 3, actorId: v }));
      await append(entry({ kind: rid('other'), at: T0 + 2, actorId: u }));
      const ids = async (f: Parameters<ReturnType<GetStore>['audit']['list']>[0]) => (await get().audit.list({ kind, ...f })).map((e) => e.seq);
      assert.deepEqual(await ids({}), [e3.seq, e2.seq, e1.seq]);
      assert.deepEqual(await ids({ userId: u }), [e2.seq, e1.seq]);
      assert.deepEqual(await ids({ actorId: v }), [e3.seq, e2.seq]);
      assert.deepEqual(await ids({ subjectId: u }), [e2.seq]);
      assert.deepEqual(await ids({ from: T0 + 2 }), [e3.seq, e2.seq]);
      assert.deepEqual(await ids({ to: T0 + 2 }), [e2.seq, e1.seq]);
      assert.deepEqual(await ids({ from: T0 + 2, to: T0 + 2 }), [e2.seq]);
      assert.deepEqual(await ids({ before: e3.seq }), [e2.seq, e1.seq]);
      assert.deepEqual(await ids({ limit: 2 }), [e3.seq, e2.seq]);
      assert.equal((await get().audit.list({ userId: u })).length, 3);
      assert.ok((await get().audit.list({})).length <= 100);
    });

    it('stores the key id, and rechain rewrites only the links the plan changes', async () => {
      const e = entry({ kind: rid('keyed'), keyId: 3 });
      const out = await append(e);
      assert.equal(out.keyId, 3);
      assert.deepEqual(await get().audit.list({ kind: e.kind }), [out]);
      let seen = 0;
      const changed = await get().audit.rechain((all) => {
        seen = all.length;
        assert.deepEqual(
          all.map((x) => x.seq),
          Array.from({ length: all.length }, (_, i) => i + 1),
        );
        return [
          { seq: out.seq, prevHash: out.prevHash, hash: 'f'.repeat(64), keyId: 4 },
          { seq: out.seq - 1, prevHash: all[out.seq - 2]!.prevHash, hash: all[out.seq - 2]!.hash, keyId: all[out.seq - 2]!.keyId },
        ];
      });
      assert.equal(changed, 1);
      assert.ok(seen >= out.seq);
      assert.deepEqual(await get().audit.list({ kind: e.kind }), [{ ...out, hash: 'f'.repeat(64), keyId: 4 }]);
    });

    it('iterates in seq order from a given seq', async () => {
      const [tail] = await get().audit.list({ limit: 1 });
      assert.ok(tail, 'earlier tests appended entries');
      const page = await get().audit.iterate(tail.seq - 2, 2);
      assert.deepEqual(
        page.map((e) => e.seq),
        [tail.seq - 2, tail.seq - 1],
      );
      assert.deepEqual(await get().audit.iterate(tail.seq + 1, 10), []);
      assertChained(await get().audit.iterate(1, 1000));
    });
  });

  describe('throttle', () => {
    it('counts within a fixed window and restarts after it', async () => {
      const key = rid('t');
      assert.equal(await get().throttle.peek(key, T0), null);
      assert.deepEqual(await get().throttle.hit(key, T0, 1000), { count: 1, resetAt: T0 + 1000 });
      assert.deepEqual(await get().throttle.hit(key, T0 + 500, 1000), { count: 2, resetAt: T0 + 1000 });
      assert.deepEqual(await get().throttle.peek(key, T0 + 999), { count: 2, resetAt: T0 + 1000 });
      // At reset_at the window is over.
      assert.equal(await get().throttle.peek(key, T0 + 1000), null);
      assert.deepEqual(await get().throttle.hit(key, T0 + 1000, 1000), { count: 1, resetAt: T0 + 2000 });
      await get().throttle.reset(key);
      assert.equal(await get().throttle.peek(key, T0 + 1001), null);
      assert.deepEqual(await get().throttle.hit(key, T0 + 1001, 50), { count: 1, resetAt: T0 + 1051 });
    });

    it('counts concurrent hits exactly', async () => {
      const key = rid('t');
      const results = await Promise.all(Array.from({ length: 10 }, () => get().throttle.hit(key, T0, 60_000)));
      assert.deepEqual(
        results.map((r) => r.count).sort((a, b) => a - b),
        [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
      );
      assert.deepEqual(await get().throttle.peek(key, T0), { count: 10, resetAt: T0 + 60_000 });
    });
  });
}
