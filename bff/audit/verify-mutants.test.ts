/**
 * What mutation testing (docs/mutation.md) needs pinned in verify.ts, called
 * in-process (the `portal audit` CLI runs it in a child process Stryker cannot
 * see):
 * - parseCheckpoint: each field's bounds and the hex pattern from both sides,
 *   and its two sentences;
 * - the checkpoint MAC format, by a golden vector computed independently
 *   (Python's json + hmac), so a change that maker and checker would share
 *   still fails;
 * - verifyChain: every verdict exactly (ok, count, first bad entry, the
 *   sentence), for each kind of edit an attacker can make, and each checkpoint
 *   case (unknown key, not authentic, a shorter MAC, the log ending exactly at
 *   it, cut off before it, a different entry at its place);
 * - createCheckpoint: on an empty log, on a log, and refused on a broken one;
 * - rekeyPlainEntries: what it writes, and each refusal leaving the rows as
 *   they were.
 * Through the real store, on SQLite and PostgreSQL.
 */
import { describe, it, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { startTestApp, type TestApp } from '../testing/test-app.ts';
import { rawSql } from '../testing/raw-sql.ts';
import { GENESIS_HASH, keyedEntryHash, plainEntryHash } from './audit.ts';
import { type Checkpoint, createCheckpoint, parseCheckpoint, rekeyPlainEntries, verifyChain } from './verify.ts';

const KEY1 = 'audit-key-one-audit-key-one-audit-key-1';
const KEY2 = 'audit-key-two-audit-key-two-audit-key-2';
const KEYS = `1:${KEY1},2:${KEY2}`;
const HEX = 'ab'.repeat(32);
const PLAIN_REASON = (seq: number) => `entry ${seq} has a plain hash, not an HMAC (written before AUDIT_KEYS: run \`portal audit rekey\` once after upgrading)`;
const SCHEMA_SENTENCE = 'the checkpoint must be {seq, hash, at, keyId, mac} as printed by `portal audit checkpoint`';

/** The checkpoint MAC as documented: HMAC-SHA256 over a label line and the sorted JSON of the four fields, written out by hand. */
function macOf(secret: string, c: Omit<Checkpoint, 'mac'>): string {
  return createHmac('sha256', secret).update(`portal audit checkpoint\n{"at":${c.at},"hash":"${c.hash}","keyId":${c.keyId},"seq":${c.seq}}`).digest('hex');
}

describe('parseCheckpoint', () => {
  const good = { seq: 0, hash: HEX, at: 0, keyId: 1, mac: 'cd'.repeat(32) };

  it('returns the five fields, at their lowest allowed values, and drops anything else', () => {
    assert.deepEqual(parseCheckpoint(JSON.stringify({ ...good, extra: 'x' })), good);
    assert.deepEqual(parseCheckpoint(`  ${JSON.stringify({ ...good, seq: 7, at: 1_700_000_000_000, keyId: 3 })}\n`), {
      ...good,
      seq: 7,
      at: 1_700_000_000_000,
      keyId: 3,
    });
  });

  it('refuses text that is not JSON with its own sentence', () => {
    for (const text of ['', 'seq=1', '{seq: 1}']) assert.throws(() => parseCheckpoint(text), { message: 'the checkpoint is not JSON' }, text);
  });

  it('refuses every field out of bounds and every hash or MAC that is not 64 lower-case hex digits', () => {
    const bad: Array<[string, unknown]> = [
      ['null', null],
      ['array', [good]],
      ['string', 'x'],
      ['seq -1', { ...good, seq: -1 }],
      ['seq 1.5', { ...good, seq: 1.5 }],
      ['seq as text', { ...good, seq: '1' }],
      ['seq missing', { ...good, seq: undefined }],
      ['at -1', { ...good, at: -1 }],
      ['at 0.5', { ...good, at: 0.5 }],
      ['keyId 0', { ...good, keyId: 0 }],
      ['keyId -1', { ...good, keyId: -1 }],
      ['keyId 1.5', { ...good, keyId: 1.5 }],
    ];
    for (const field of ['hash', 'mac'] as const) {
      bad.push(
        [`${field} 63`, { ...good, [field]: 'a'.repeat(63) }],
        [`${field} 65`, { ...good, [field]: 'a'.repeat(65) }],
        [`${field} upper case`, { ...good, [field]: 'AB'.repeat(32) }],
        [`${field} not hex`, { ...good, [field]: 'g'.repeat(64) }],
        [`${field} with a prefix`, { ...good, [field]: `x${'a'.repeat(64)}` }],
        [`${field} with a suffix`, { ...good, [field]: `${'a'.repeat(64)}x` }],
        [`${field} a number`, { ...good, [field]: 1 }],
      );
    }
    for (const [what, value] of bad) assert.throws(() => parseCheckpoint(JSON.stringify(value)), { message: SCHEMA_SENTENCE }, what);
    for (const digits of ['0123456789', 'abcdef']) {
      const hex = digits.repeat(64).slice(0, 64);
      assert.deepEqual(parseCheckpoint(JSON.stringify({ ...good, hash: hex, mac: hex })), { ...good, hash: hex, mac: hex }, digits);
    }
  });
});

for (const db of ['sqlite', 'postgres'] as const) {
  describe(`audit verification in-process (${db})`, () => {
    let app: TestApp;
    const sql = <T = Record<string, string | number | null>>(q: string, params: Array<string | number | null> = []) =>
      rawSql<T>(app.config.databaseUrl, q, params);
    const keys = () => app.config.auditKeys;
    const verify = (since?: Checkpoint) => verifyChain(app.store, keys(), since ? { since } : undefined);
    const write = async (n: number) => {
      for (let i = 1; i <= n; i++)
        await app.audit.record('secrets_reencrypted', { actorId: 'admin-1', subjectId: 'user-1', ip: '192.0.2.1', userAgent: 'ua', data: { i } });
      return app.store.audit.iterate(1, 100);
    };
    const rows = async () =>
      (
        await sql<{ seq: number; prev_hash: string; hash: string; key_id: number | null }>(`SELECT seq, prev_hash, hash, key_id FROM audit_log ORDER BY seq`)
      ).map((r) => ({
        seq: Number(r.seq),
        prevHash: r.prev_hash,
        hash: r.hash,
        keyId: r.key_id === null ? null : Number(r.key_id),
      }));
    /** A log from before AUDIT_KEYS: plain SHA-256 hashes, no key id; `seqs` may leave one out, `edit` changes a row after hashing. */
    const legacy = async (seqs: number[], edit: { seq: number; kind?: string; prevHash?: string } | null = null) => {
      let prev = GENESIS_HASH;
      for (const seq of seqs) {
        const e = { at: 1_700_000_000_000 + seq, kind: 'legacy_event', actorId: 'admin-0', subjectId: null, ip: '192.0.2.7', userAgent: null, data: { seq } };
        const hash = plainEntryHash(prev, seq, e);
        const mine = edit?.seq === seq ? edit : null;
        await sql(
          `INSERT INTO audit_log (seq, at, kind, actor_id, subject_id, ip, user_agent, data, prev_hash, hash, key_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, NULL)`,
          [seq, e.at, mine?.kind ?? e.kind, e.actorId, e.subjectId, e.ip, e.userAgent, JSON.stringify(e.data), mine?.prevHash ?? prev, hash],
        );
        prev = hash;
      }
    };

    before(async () => {
      app = await startTestApp({ db, env: { AUDIT_KEYS: KEYS } });
    });
    beforeEach(async () => {
      await sql(`DELETE FROM audit_log`);
    });
    after(() => app.close());

    it('an empty log verifies with no entries; an intact one counts them all', async () => {
      assert.deepEqual(await verify(), { ok: true, count: 0 });
      await write(3);
      assert.deepEqual(await verify(), { ok: true, count: 3 });
    });

    it('names each edit exactly: the link, the HMAC (even of another length), an unknown key, a missing entry', async () => {
      await write(3);
      await sql(`UPDATE audit_log SET prev_hash = $1 WHERE seq = 2`, ['c'.repeat(64)]);
      assert.deepEqual(await verify(), { ok: false, count: 1, badSeq: 2, reason: 'entry 2 does not point at the hash of entry 1' });
      await sql(`DELETE FROM audit_log`);

      const [first] = await write(3);
      await sql(`UPDATE audit_log SET prev_hash = $1 WHERE seq = 1`, [first!.hash]);
      assert.deepEqual(await verify(), { ok: false, count: 0, badSeq: 1, reason: 'entry 1 does not point at the hash of entry 0' });
      await sql(`UPDATE audit_log SET prev_hash = $1 WHERE seq = 1`, [GENESIS_HASH]);

      await sql(`UPDATE audit_log SET hash = $1 WHERE seq = 3`, ['abc']);
      assert.deepEqual(await verify(), { ok: false, count: 2, badSeq: 3, reason: 'entry 3 was altered (its HMAC does not match its content)' });
      await sql(`UPDATE audit_log SET hash = $1 WHERE seq = 3`, [`${'a'.repeat(64)}0`]);
      assert.deepEqual(await verify(), { ok: false, count: 2, badSeq: 3, reason: 'entry 3 was altered (its HMAC does not match its content)' });
      await sql(`DELETE FROM audit_log`);

      await write(3);
      await sql(`UPDATE audit_log SET key_id = 7 WHERE seq = 2`);
      assert.deepEqual(await verify(), { ok: false, count: 1, badSeq: 2, reason: 'entry 2 is keyed with AUDIT_KEYS id 7, which is not configured' });
      await sql(`UPDATE audit_log SET key_id = 2 WHERE seq = 2`);
      assert.deepEqual(await verify(), { ok: true, count: 3 });

      await sql(`DELETE FROM audit_log WHERE seq = 2`);
      assert.deepEqual(await verify(), { ok: false, count: 1, badSeq: 2, reason: 'entry 2 is missing (next is 3)' });
      await sql(`DELETE FROM audit_log WHERE seq = 1`);
      assert.deepEqual(await verify(), { ok: false, count: 0, badSeq: 1, reason: 'entry 1 is missing (next is 3)' });
    });

    it('tells a plain hash that matches (written before the keys) from one that does not', async () => {
      const entries = await write(3);
      const last = entries[2]!;
      await sql(`UPDATE audit_log SET key_id = NULL, hash = $1 WHERE seq = 3`, [plainEntryHash(last.prevHash, 3, last)]);
      assert.deepEqual(await verify(), { ok: false, count: 2, badSeq: 3, reason: PLAIN_REASON(3) });
      await sql(`UPDATE audit_log SET kind = 'user_created' WHERE seq = 3`);
      assert.deepEqual(await verify(), { ok: false, count: 2, badSeq: 3, reason: 'entry 3 was altered (its hash does not match its content)' });
    });

    it('checks the checkpoint MAC against a golden vector, field by field', async () => {
      const golden = { seq: 12, hash: HEX, at: 1_700_000_000_123, keyId: 4, mac: '3c9dc5ba0cf9b5d2d8059a00a9f96290c28c441709a4294fff255709238f4cad' };
      const goldenKeys = { 4: 'golden-checkpoint-key-0001', 5: 'golden-checkpoint-key-0001' };
      const cut = { ok: false, count: 0, badSeq: 1, reason: 'the log ends at entry 0, but the checkpoint covers entry 12: entries were removed from the end' };
      assert.deepEqual(await verifyChain(app.store, goldenKeys, { since: golden }), cut, 'authentic');
      const forged = (since: Checkpoint) => ({ ok: false, count: 0, badSeq: since.seq, reason: 'the checkpoint is not authentic (its HMAC does not match)' });
      for (const since of [
        { ...golden, seq: 13 },
        { ...golden, hash: 'ac'.repeat(32) },
        { ...golden, at: golden.at + 1 },
        { ...golden, keyId: 5 },
        { ...golden, mac: `${golden.mac.slice(0, 63)}e` },
        { ...golden, mac: golden.mac.slice(0, 63) },
        { ...golden, mac: `${golden.mac}0` },
      ])
        assert.deepEqual(await verifyChain(app.store, goldenKeys, { since }), forged(since), JSON.stringify(since));
      assert.deepEqual(await verifyChain(app.store, { 5: 'golden-checkpoint-key-0001' }, { since: golden }), {
        ok: false,
        count: 0,
        badSeq: 12,
        reason: 'the checkpoint is keyed with AUDIT_KEYS id 4, which is not configured',
      });
    });

    it('makes a checkpoint of an empty log, which the log then passes as it grows', async () => {
      const now = 1_800_000_000_000;
      const empty = await createCheckpoint(app.store, keys(), now);
      assert.deepEqual(empty, { seq: 0, hash: GENESIS_HASH, at: now, keyId: 2, mac: macOf(KEY2, { seq: 0, hash: GENESIS_HASH, at: now, keyId: 2 }) });
      assert.deepEqual(await verify(empty), { ok: true, count: 0 });
      await write(2);
      assert.deepEqual(await verify(empty), { ok: true, count: 2 });
    });

    it('makes a checkpoint of the newest entry; the log passes it at exactly that length and after, and fails it when cut or changed', async () => {
      const entries = await write(3);
      const now = 1_800_000_000_001;
      const c = await createCheckpoint(app.store, keys(), now);
      assert.deepEqual(c, { seq: 3, hash: entries[2]!.hash, at: now, keyId: 2, mac: macOf(KEY2, { seq: 3, hash: entries[2]!.hash, at: now, keyId: 2 }) });
      assert.deepEqual(await verify(c), { ok: true, count: 3 });
      await write(2);
      assert.deepEqual(await verify(c), { ok: true, count: 5 });

      // Any configured key may have made it.
      const byKey1 = { seq: 2, hash: entries[1]!.hash, at: now, keyId: 1 };
      assert.deepEqual(await verify({ ...byKey1, mac: macOf(KEY1, byKey1) }), { ok: true, count: 5 });
      // An authentic checkpoint of another entry 2 than this log's.
      const other = { seq: 2, hash: 'cd'.repeat(32), at: now, keyId: 2 };
      assert.deepEqual(await verify({ ...other, mac: macOf(KEY2, other) }), { ok: false, count: 1, badSeq: 2, reason: 'entry 2 differs from the checkpoint' });

      await sql(`DELETE FROM audit_log WHERE seq >= 3`);
      assert.deepEqual(await verify(), { ok: true, count: 2 }, 'the chain alone cannot tell');
      assert.deepEqual(await verify(c), {
        ok: false,
        count: 2,
        badSeq: 3,
        reason: 'the log ends at entry 2, but the checkpoint covers entry 3: entries were removed from the end',
      });
    });

    it('makes no checkpoint of a broken log', async () => {
      await write(3);
      await sql(`UPDATE audit_log SET kind = 'user_created' WHERE seq = 2`);
      await assert.rejects(createCheckpoint(app.store, keys(), 1), {
        message: 'audit chain broken at entry 2: entry 2 was altered (its HMAC does not match its content)',
      });
    });

    it('re-keys an intact plain log under the newest key, from the genesis hash on', async () => {
      await legacy([1, 2, 3]);
      const plain = await app.store.audit.iterate(1, 10);
      assert.deepEqual(await verify(), { ok: false, count: 0, badSeq: 1, reason: PLAIN_REASON(1) });
      assert.deepEqual(await rekeyPlainEntries(app.store, keys()), { rekeyed: 3 });
      let prev = GENESIS_HASH;
      const expected = plain.map((e) => {
        const hash = keyedEntryHash(KEY2, 2, prev, e.seq, e);
        const row = { seq: e.seq, prevHash: prev, hash, keyId: 2 };
        prev = hash;
        return row;
      });
      assert.deepEqual(await rows(), expected);
      assert.deepEqual(await verify(), { ok: true, count: 3 });
    });

    it('re-keys nothing when a plain entry is missing, altered or unlinked, or any entry is already keyed', async () => {
      const refused = async (result: unknown) => {
        const before = await rows();
        assert.deepEqual(await rekeyPlainEntries(app.store, keys()), result);
        assert.deepEqual(await rows(), before, 'the rows are as they were');
        await sql(`DELETE FROM audit_log`);
      };
      await legacy([1, 2, 4]);
      await refused({ rekeyed: 0, badSeq: 4, reason: 'entry 3 is missing' });
      await legacy([1, 2, 3], { seq: 2, kind: 'edited_before_upgrade' });
      await refused({ rekeyed: 0, badSeq: 2, reason: 'entry 2 was altered (its hash does not match its content)' });
      await legacy([1, 2, 3], { seq: 3, prevHash: 'e'.repeat(64) });
      await refused({ rekeyed: 0, badSeq: 3, reason: 'entry 3 does not point at the hash of entry 2' });
      await legacy([1, 2]);
      await app.audit.record('secrets_reencrypted', {});
      await refused({ rekeyed: 0, badSeq: 3, reason: 'entry 3 is already keyed: only a log written entirely before AUDIT_KEYS can be re-keyed' });
    });
  });
}
