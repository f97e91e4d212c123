/**
 * The audit log against someone who can write to the database but does not
 * hold AUDIT_KEYS: every column is covered by the HMAC, a chain recomputed with
 * plain SHA-256 fails, and a checkpoint kept outside the database catches the
 * newest entries being cut off.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestApp, TEST_SECRETS_ENV, type TestApp } from '../testing/test-app.ts';
import { rawSql } from '../testing/raw-sql.ts';
import { GENESIS_HASH, keyedEntryHash, plainEntryHash } from './audit.ts';
import { rekeyPlainEntries, verifyChain } from './verify.ts';
import type { NewAuditEntry } from '../store/store.ts';

const KEYS = '1:audit-key-one-audit-key-one-audit-key-1,2:audit-key-two-audit-key-two-audit-key-2';

type Row = Record<string, string | number | null>;

async function columns(app: TestApp): Promise<string[]> {
  const url = app.config.databaseUrl;
  const rows = url.startsWith('sqlite:')
    ? await rawSql<{ name: string }>(url, `SELECT name FROM pragma_table_info('audit_log')`)
    : await rawSql<{ name: string }>(
        url,
        `SELECT column_name AS name FROM information_schema.columns WHERE table_name = 'audit_log' AND table_schema = current_schema()`,
      );
  return rows.map((r) => r.name).sort();
}

/** What an attacker writes into each column of the victim row. */
const EDITS: Record<string, (row: Row) => string | number | null> = {
  seq: (r) => Number(r.seq) + 1000,
  at: (r) => Number(r.at) + 1,
  kind: () => 'user_created',
  actor_id: () => 'attacker',
  subject_id: () => 'someone-else',
  ip: () => '203.0.113.66',
  user_agent: () => 'curl/8',
  data: () => '{"i":42}',
  prev_hash: () => 'a'.repeat(64),
  hash: () => 'b'.repeat(64),
  // Key 1 is configured too: naming it instead of key 2 must still fail.
  key_id: () => 1,
};

function runCli(app: TestApp, args: string[]) {
  const r = spawnSync(process.execPath, ['bff/cli.ts', 'audit', ...args], {
    env: { ...process.env, ...TEST_SECRETS_ENV, AUDIT_KEYS: KEYS, DATABASE_URL: app.config.databaseUrl },
    encoding: 'utf8',
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/**
 * A golden vector: this entry under this key has this MAC, in any build. A
 * field dropped from the hashed body, a renamed key, another serialisation or
 * separator changes it; so does leaving the key id out of the MAC, which the
 * database test below cannot see (naming another key fails there anyway).
 */
describe('audit entry hash: golden vector', () => {
  const KEY = 'golden-audit-key-golden-audit-key-00003';
  const PREV = 'a'.repeat(64);
  const ENTRY: NewAuditEntry = {
    at: 1_700_000_000_123,
    kind: 'impersonation_started',
    actorId: 'admin-7',
    subjectId: 'user-9',
    ip: '192.0.2.10',
    userAgent: 'Mozilla/5.0 (golden)',
    // Nested keys out of order, an array holding an object, and an undefined value that is left out.
    data: { reason: 'Ticket 42', nested: { b: 2, a: 1 }, list: [3, { y: 1, x: 2 }], skipped: undefined },
  };
  // What the MAC covers, written out: every field, the sequence number and the key id, keys sorted at every depth.
  const MESSAGE =
    '{"actorId":"admin-7","at":1700000000123,"data":{"list":[3,{"x":2,"y":1}],"nested":{"a":1,"b":2},"reason":"Ticket 42"},"ip":"192.0.2.10",' +
    '"keyId":3,"kind":"impersonation_started","seq":41,"subjectId":"user-9","userAgent":"Mozilla/5.0 (golden)"}';
  const MAC = 'e7238c014d1ab8f709b766e7e0e4e4779ee3f052b6e564412923ad348880ed01';

  it('a fixed entry, key, key id and previous hash give a fixed HMAC-SHA256', () => {
    assert.equal(createHmac('sha256', KEY).update(`${PREV}\n${MESSAGE}`).digest('hex'), MAC, 'the written-out message is what is MACed');
    assert.equal(keyedEntryHash(KEY, 3, PREV, 41, ENTRY), MAC);
    assert.equal(
      plainEntryHash(PREV, 41, ENTRY),
      '6dc4f3531c1d3d2d2842f30c1fa2f07bb0c6e71eba32b4b50866c5a0781a8f49',
      'the pre-AUDIT_KEYS hash, which re-keying still checks',
    );
  });

  it('changing any one input changes the MAC', () => {
    const changed: Array<[string, string]> = [
      ['key', keyedEntryHash(`${KEY}x`, 3, PREV, 41, ENTRY)],
      ['key id', keyedEntryHash(KEY, 2, PREV, 41, ENTRY)],
      ['previous hash', keyedEntryHash(KEY, 3, 'b'.repeat(64), 41, ENTRY)],
      ['seq', keyedEntryHash(KEY, 3, PREV, 42, ENTRY)],
      ['at', keyedEntryHash(KEY, 3, PREV, 41, { ...ENTRY, at: ENTRY.at + 1 })],
      ['kind', keyedEntryHash(KEY, 3, PREV, 41, { ...ENTRY, kind: 'impersonation_stopped' })],
      ['actorId', keyedEntryHash(KEY, 3, PREV, 41, { ...ENTRY, actorId: 'attacker' })],
      ['subjectId', keyedEntryHash(KEY, 3, PREV, 41, { ...ENTRY, subjectId: null })],
      ['ip', keyedEntryHash(KEY, 3, PREV, 41, { ...ENTRY, ip: '203.0.113.66' })],
      ['userAgent', keyedEntryHash(KEY, 3, PREV, 41, { ...ENTRY, userAgent: 'curl/8' })],
      ['data', keyedEntryHash(KEY, 3, PREV, 41, { ...ENTRY, data: { ...ENTRY.data, reason: 'Ticket 43' } })],
      ['nested data', keyedEntryHash(KEY, 3, PREV, 41, { ...ENTRY, data: { ...ENTRY.data, nested: { a: 1, b: 3 } } })],
    ];
    for (const [input, mac] of changed) assert.notEqual(mac, MAC, input);
    assert.equal(new Set(changed.map(([, mac]) => mac)).size, changed.length, 'each change gives its own MAC');
  });
});

for (const db of ['sqlite', 'postgres'] as const) {
  describe(`audit log integrity (${db})`, () => {
    let app: TestApp;
    const sql = <T = Row>(q: string, params: Array<string | number | null> = []) => rawSql<T>(app.config.databaseUrl, q, params);
    const cli = (...args: string[]) => runCli(app, args);
    const verify = (since?: Parameters<typeof verifyChain>[2]) => verifyChain(app.store, app.config.auditKeys, since);

    before(async () => {
      app = await startTestApp({ db, env: { AUDIT_KEYS: KEYS } });
    });
    after(() => app.close());

    it('keys new entries with the highest AUDIT_KEYS id', async () => {
      const e = await app.audit.record('secrets_reencrypted', { actorId: 'a', data: { i: 0 } });
      assert.equal(e.keyId, 2);
      const [row] = await sql(`SELECT key_id FROM audit_log WHERE seq = $1`, [e.seq]);
      assert.equal(Number(row!.key_id), 2);
    });

    it('fails verification when any one column of an entry is edited in the database', async () => {
      assert.deepEqual(Object.keys(EDITS).sort(), await columns(app), 'every column of audit_log has an edit below');
      for (let i = 0; i < 3; i++)
        await app.audit.record('secrets_reencrypted', { actorId: 'admin-1', subjectId: 'user-1', ip: '192.0.2.1', userAgent: 'ua', data: { i } });
      const [last] = await app.store.audit.list({ limit: 1 });
      const victim = last!.seq - 1;
      assert.deepEqual(await verify(), { ok: true, count: last!.seq });
      let failures = 0;
      for (const [column, edit] of Object.entries(EDITS)) {
        const [original] = await sql(`SELECT * FROM audit_log WHERE seq = $1`, [victim]);
        const value = edit(original!);
        assert.notEqual(String(value), String(original![column]), column);
        await sql(`UPDATE audit_log SET ${column} = $1 WHERE seq = $2`, [value, victim]);
        const r = await verify();
        assert.equal(r.ok, false, `editing ${column} goes unnoticed`);
        assert.equal(!r.ok && r.badSeq, victim, column);
        failures++;
        const where = column === 'seq' ? value : victim;
        await sql(`UPDATE audit_log SET ${column} = $1 WHERE seq = $2`, [original![column]!, where]);
        assert.equal((await verify()).ok, true, `restoring ${column}`);
      }
      assert.equal(failures, Object.keys(EDITS).length);
    });

    it('fails a chain rewritten with recomputed plain SHA-256 hashes (no key)', async () => {
      for (let i = 0; i < 3; i++) await app.audit.record('secrets_reencrypted', { data: { i } });
      const [last] = await app.store.audit.list({ limit: 1 });
      const victim = last!.seq - 2;
      // The attacker edits an entry and recomputes every hash after it, as the old chain allowed.
      const rewrite = async (keyId: number | null) => {
        let prev = (await app.store.audit.iterate(victim - 1, 1))[0]?.hash ?? GENESIS_HASH;
        for (const e of await app.store.audit.iterate(victim, 100)) {
          const edited = e.seq === victim ? { ...e, actorId: 'attacker' } : e;
          const hash = plainEntryHash(prev, e.seq, edited);
          await sql(`UPDATE audit_log SET actor_id = $1, prev_hash = $2, hash = $3, key_id = $4 WHERE seq = $5`, [edited.actorId, prev, hash, keyId, e.seq]);
          prev = hash;
        }
      };
      await rewrite(2);
      const keyed = await verify();
      assert.deepEqual(keyed, { ok: false, count: victim - 1, badSeq: victim, reason: `entry ${victim} was altered (its HMAC does not match its content)` });
      // Claiming the rows predate the keys does not help either.
      await rewrite(null);
      const plain = await verify();
      assert.deepEqual(plain, {
        ok: false,
        count: victim - 1,
        badSeq: victim,
        reason: `entry ${victim} has a plain hash, not an HMAC (written before AUDIT_KEYS: run \`portal audit rekey\` once after upgrading)`,
      });
      assert.equal(cli('verify').status, 1);
      // Nor can the operator's one-time re-keying launder it into valid HMACs.
      const laundered = cli('rekey');
      assert.equal(laundered.status, 1);
      assert.match(laundered.stderr, /entry 1 is already keyed/);
      assert.equal((await verify()).ok, false);
      // The next tests start from an empty, intact log.
      await sql(`DELETE FROM audit_log`);
    });

    it('detects the newest entries cut off, with a checkpoint kept outside the database', async () => {
      for (let i = 0; i < 4; i++) await app.audit.record('secrets_reencrypted', { data: { i } });
      const made = cli('checkpoint');
      assert.equal(made.status, 0, made.stderr);
      const checkpoint = JSON.parse(made.stdout) as { seq: number; hash: string; keyId: number; mac: string };
      const [tail] = await app.store.audit.list({ limit: 1 });
      assert.deepEqual({ seq: checkpoint.seq, hash: checkpoint.hash, keyId: checkpoint.keyId }, { seq: tail!.seq, hash: tail!.hash, keyId: 2 });
      const dir = mkdtempSync(join(tmpdir(), 'checkpoint-'));
      const file = join(dir, 'checkpoint.json');
      writeFileSync(file, made.stdout);
      try {
        assert.equal(cli('verify', '--since', file).status, 0);
        await app.audit.record('secrets_reencrypted', { data: { after: true } });
        assert.equal(cli('verify', '--since', made.stdout).status, 0, 'entries after the checkpoint are fine');

        await sql(`DELETE FROM audit_log WHERE seq >= $1`, [checkpoint.seq - 1]);
        assert.equal((await verify()).ok, true, 'the chain alone cannot tell');
        const cut = cli('verify', '--since', file);
        assert.equal(cut.status, 1);
        assert.match(cut.stderr, new RegExp(`the log ends at entry ${checkpoint.seq - 2}, but the checkpoint covers entry ${checkpoint.seq}`));

        // Cut off, then grown back to the same length with new entries: the checkpointed one differs.
        await app.audit.record('secrets_reencrypted', { data: { again: 1 } });
        await app.audit.record('secrets_reencrypted', { data: { again: 2 } });
        const regrown = cli('verify', '--since', made.stdout);
        assert.equal(regrown.status, 1);
        assert.match(regrown.stderr, new RegExp(`entry ${checkpoint.seq} differs from the checkpoint`));

        // A checkpoint edited to point somewhere else is refused before the log is read.
        const forged = cli('verify', '--since', JSON.stringify({ ...checkpoint, seq: 1 }));
        assert.equal(forged.status, 1);
        assert.match(forged.stderr, /the checkpoint is not authentic/);
        const bad = cli('verify', '--since', '{"seq":1}');
        assert.equal(bad.status, 2);
        assert.match(bad.stderr, /--since: the checkpoint must be/);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it('re-keys a log from before AUDIT_KEYS once, on request, only when its plain chain verifies', async () => {
      await sql(`DELETE FROM audit_log`);
      const legacy = async (tamper: boolean) => {
        let prev = GENESIS_HASH;
        for (let seq = 1; seq <= 3; seq++) {
          const e = { at: 1_700_000_000_000 + seq, kind: 'legacy_event', actorId: 'admin-0', subjectId: null, ip: '192.0.2.7', userAgent: null, data: { seq } };
          const hash = plainEntryHash(prev, seq, e);
          await sql(
            `INSERT INTO audit_log (seq, at, kind, actor_id, subject_id, ip, user_agent, data, prev_hash, hash, key_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, NULL)`,
            [seq, e.at, tamper && seq === 2 ? 'edited_before_upgrade' : e.kind, e.actorId, e.subjectId, e.ip, e.userAgent, JSON.stringify(e.data), prev, hash],
          );
          prev = hash;
        }
      };
      await legacy(true);
      const refused = await rekeyPlainEntries(app.store, app.config.auditKeys);
      assert.deepEqual(refused, { rekeyed: 0, badSeq: 2, reason: 'entry 2 was altered (its hash does not match its content)' });
      assert.equal((await sql(`SELECT seq FROM audit_log WHERE key_id IS NULL`)).length, 3);

      await sql(`DELETE FROM audit_log`);
      await legacy(false);
      assert.equal((await verify()).ok, false, 'plain entries alone do not pass');
      const rekeyed = cli('rekey');
      assert.equal(rekeyed.status, 0, rekeyed.stderr);
      assert.deepEqual(JSON.parse(rekeyed.stdout), { rekeyed: 3 });
      assert.deepEqual(
        await rekeyPlainEntries(app.store, app.config.auditKeys),
        { rekeyed: 0, badSeq: 1, reason: 'entry 1 is already keyed: only a log written entirely before AUDIT_KEYS can be re-keyed' },
        'once',
      );
      assert.deepEqual(
        (await sql<{ key_id: number }>(`SELECT key_id FROM audit_log ORDER BY seq`)).map((r) => Number(r.key_id)),
        [2, 2, 2],
      );
      await app.audit.record('secrets_reencrypted', {});
      assert.deepEqual(await verify(), { ok: true, count: 4 });
    });
  });
}
