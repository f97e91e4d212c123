/**
 * What mutation testing (docs/mutation.md) found untested in the audit log:
 * - the hash format itself: writer and verifier share `canonicalJson` and the
 *   entry hashes, so a change to the format still verifies new entries but
 *   silently breaks every log written before it. Golden vectors pin it (the
 *   expected values were computed independently, with Python's json + hmac);
 * - what `record` stores (a long user agent cut to 512 characters, data whose
 *   key order PostgreSQL's jsonb changes, an `undefined` inside data);
 * - an app with no audit key refuses to start;
 * - GET /bff/admin/audit: who may read it, each filter, the email filter, the
 *   limit, and the names beside the ids.
 * Through the real app and database, on SQLite and PostgreSQL.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestApp, type TestApp } from '../testing/test-app.ts';
import { Agent, signedInAgent } from '../testing/agent.ts';
import { createAccount } from '../accounts/accounts.ts';
import { canonicalJson, createAudit, currentKeyId, GENESIS_HASH, keyedEntryHash, plainEntryHash } from './audit.ts';
import { verifyChain } from './verify.ts';
import type { AuditEntryWire, AuditPageWire } from '../../api/audit.ts';

const PASSWORD = 'correct horse battery staple';

const GOLDEN_ENTRY = {
  at: 1_700_000_000_123,
  kind: 'user_role_changed',
  actorId: 'admin-7',
  subjectId: 'user-9',
  ip: '192.0.2.10',
  userAgent: 'Mozilla/5.0',
  data: { role: 'admin', changes: [{ to: 'admin', from: 'user' }, 3, null], skipped: undefined },
  keyId: 4,
};

describe('audit hash format (golden vectors)', () => {
  it('canonical JSON sorts keys at every depth, keeps arrays in order and drops undefined values', () => {
    assert.equal(canonicalJson({ b: 1, a: [2, { d: undefined, c: 'x' }], n: null, s: 'é"\n' }), '{"a":[2,{"c":"x"}],"b":1,"n":null,"s":"é\\"\\n"}');
    assert.equal(canonicalJson(GOLDEN_ENTRY.data), '{"changes":[{"from":"user","to":"admin"},3,null],"role":"admin"}');
    assert.equal(canonicalJson([]), '[]');
    assert.equal(canonicalJson(undefined), 'null');
    assert.equal(canonicalJson('x'), '"x"');
  });

  it('an entry hashes to the same plain SHA-256 and HMAC as in every log already written', () => {
    assert.equal(plainEntryHash(GENESIS_HASH, 12, GOLDEN_ENTRY), '6991f55282f55052c3e614ad9f18bc4ec96ce4352a8fccdcba957292aee6450a');
    assert.equal(
      keyedEntryHash('golden-audit-key-golden-audit-key-0001', 4, 'ab'.repeat(32), 12, GOLDEN_ENTRY),
      '2a3f3811a9fa69eb307003397888aecaffe43f2e334bec6b73446ae147e9d8df',
    );
  });

  it('the highest key id keys new entries; no key at all is refused', () => {
    assert.equal(currentKeyId({ 1: 'a', 10: 'b', 2: 'c' }), 10);
    assert.throws(() => currentKeyId({}), /no audit key is configured \(AUDIT_KEYS\)/);
  });
});

for (const db of ['sqlite', 'postgres'] as const) {
  describe(`audit record and GET /bff/admin/audit (${db})`, () => {
    let app: TestApp;
    let admin: Agent;
    let adminId: string;
    let aliceId: string;
    const page = async (agent: Agent, query: string) => {
      const res = await agent.api('GET', `/bff/admin/audit${query}`);
      return { status: res.status, body: (await res.json()) as AuditPageWire & { error?: string } };
    };
    const kinds = (entries: AuditEntryWire[]) => entries.map((e) => e.kind);

    before(async () => {
      app = await startTestApp({ db });
      adminId = (await createAccount(app.store, { email: 'root@example.com', password: PASSWORD, role: 'admin', name: 'Root Admin' }, Date.now())).id;
      aliceId = (await createAccount(app.store, { email: 'alice@example.com', password: PASSWORD, name: 'Alice Liddell' }, Date.now())).id;
      admin = await signedInAgent(app.url, 'root@example.com', PASSWORD);
    });
    after(() => app.close());

    it('refuses to start without an audit key', () => {
      assert.throws(() => createAudit(app.store, () => 0, {}), /no audit key is configured/);
    });

    it('stores a long user agent cut to 512 characters, and data as given, in a chain that verifies', async () => {
      const ua = `Mozilla/5.0 ${'x'.repeat(600)}`;
      // Key order that PostgreSQL's jsonb changes on the way back, nesting, an array and an undefined value.
      const data = { zeta: 1, alpha: { yy: [2, { b: undefined, a: 'z' }], x: true }, mid: 'm' };
      const e = await app.audit.record('secrets_reencrypted', { actorId: adminId, subjectId: aliceId, ip: '192.0.2.1', userAgent: ua, data });
      assert.equal(e.userAgent, ua.slice(0, 512));
      const [stored] = await app.store.audit.list({ kind: 'secrets_reencrypted' });
      assert.equal(stored!.userAgent, ua.slice(0, 512));
      assert.deepEqual(stored!.data, { zeta: 1, alpha: { yy: [2, { a: 'z' }], x: true }, mid: 'm' });
      assert.deepEqual([stored!.actorId, stored!.subjectId, stored!.ip, stored!.keyId], [adminId, aliceId, '192.0.2.1', 1]);
      const bare = await app.audit.record('secrets_reencrypted', {});
      assert.deepEqual([bare.actorId, bare.subjectId, bare.ip, bare.userAgent, bare.data], [null, null, null, null, {}]);
      assert.deepEqual(await verifyChain(app.store, app.config.auditKeys), { ok: true, count: bare.seq });
    });

    it('is for signed-in administrators only', async () => {
      const anonymous = await page(new Agent(app.url), '');
      assert.deepEqual([anonymous.status, anonymous.body.error], [401, 'not_signed_in']);
      const alice = await signedInAgent(app.url, 'alice@example.com', PASSWORD);
      const user = await page(alice, '');
      assert.deepEqual([user.status, user.body.error], [403, 'admin_required']);
    });

    it('filters by kind, user, actor, subject, email and time, newest first, with names beside the ids', async () => {
      const t0 = app.deps.now();
      app.clock.offset += 10_000;
      await app.audit.record('org_renamed', { actorId: adminId, subjectId: aliceId, data: { n: 1 } });
      app.clock.offset += 10_000;
      await app.audit.record('org_deleted', { actorId: aliceId, subjectId: 'no-such-user', data: { n: 2 } });
      app.clock.offset += 10_000;
      await app.audit.record('org_renamed', { actorId: adminId, subjectId: null, data: { n: 3 } });
      const t3 = app.deps.now();

      const a = await page(admin, '?kind=org_renamed');
      assert.equal(a.status, 200);
      assert.deepEqual(
        a.body.entries.map((e) => e.data.n),
        [3, 1],
      );
      assert.deepEqual(a.body.people, {
        [adminId]: { email: 'root@example.com', name: 'Root Admin' },
        [aliceId]: { email: 'alice@example.com', name: 'Alice Liddell' },
      });

      const b = await page(admin, '?kind=org_deleted');
      assert.deepEqual(
        b.body.entries.map((e) => e.data.n),
        [2],
      );
      assert.deepEqual(b.body.people, { [aliceId]: { email: 'alice@example.com', name: 'Alice Liddell' } }, 'no name for an id that is no user');

      const byActor = await page(admin, `?actorId=${aliceId}&from=${t0}`);
      assert.deepEqual(kinds(byActor.body.entries), ['org_deleted']);
      const bySubject = await page(admin, `?subjectId=${aliceId}&kind=org_renamed`);
      assert.deepEqual(
        bySubject.body.entries.map((e) => e.data.n),
        [1],
      );
      const byUser = await page(admin, `?userId=${aliceId}&from=${t0}`);
      assert.deepEqual(
        byUser.body.entries.map((e) => e.data.n),
        [2, 1],
      );
      const byEmail = await page(admin, `?email=${encodeURIComponent('  ALICE@example.com ')}&from=${t0}`);
      assert.deepEqual(
        byEmail.body.entries.map((e) => e.data.n),
        [2, 1],
        'the email names the same person, trimmed and in any case',
      );

      const window = await page(admin, `?from=${t0 + 15_000}&to=${t0 + 25_000}`);
      assert.deepEqual(
        window.body.entries.map((e) => e.data.n),
        [2],
      );
      const since = await page(admin, `?from=${t0}&to=${t3}`);
      assert.deepEqual(
        since.body.entries.map((e) => e.data.n),
        [3, 2, 1],
      );
      const older = await page(admin, `?from=${t0}&before=${since.body.entries[0]!.seq}`);
      assert.deepEqual(
        older.body.entries.map((e) => e.data.n),
        [2, 1],
      );
    });

    it('answers an email that matches nobody with no entries (not every entry)', async () => {
      const none = await page(admin, '?email=nobody@example.com');
      assert.deepEqual([none.status, none.body], [200, { entries: [] }]);
    });

    it('limits a page (100 by default, 1 to 500) and refuses bad filters in the BFF format', async () => {
      for (let i = 0; i < 101; i++) await app.audit.record('passkey_renamed', { data: { i } });
      const all = await page(admin, '?kind=passkey_renamed');
      assert.equal(all.body.entries.length, 100);
      assert.equal(all.body.entries[0]!.data.i, 100);
      const max = await page(admin, '?kind=passkey_renamed&limit=500');
      assert.equal(max.body.entries.length, 101);
      const one = await page(admin, '?kind=passkey_renamed&limit=1');
      assert.deepEqual(
        one.body.entries.map((e) => e.data.i),
        [100],
      );
      for (const bad of [
        'limit=0',
        'limit=501',
        'limit=1.5',
        'limit=x',
        `kind=${'k'.repeat(65)}`,
        `email=${'e'.repeat(321)}`,
        `userId=${'u'.repeat(101)}`,
        'from=-1',
        'before=0',
      ]) {
        const r = await page(admin, `?${bad}`);
        assert.deepEqual([r.status, r.body.error], [400, 'invalid_request'], bad);
      }
      const longest = await page(admin, `?kind=${'k'.repeat(64)}&email=${'e'.repeat(310)}@x.io&actorId=${'a'.repeat(100)}&subjectId=${'s'.repeat(100)}`);
      assert.deepEqual([longest.status, longest.body], [200, { entries: [] }], 'the longest allowed filters are accepted');
    });
  });
}
