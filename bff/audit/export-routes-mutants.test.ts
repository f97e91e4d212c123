/**
 * What mutation testing (docs/mutation.md) needs pinned in the audit download,
 * GET /bff/admin/audit/export, beyond `activity/activity.test.ts`:
 * - who may download (401 without a session, 403 for a user) and that a
 *   refused or malformed request records nothing;
 * - the headers exactly (type, no-store, the file name from the app's clock);
 * - the `audit_exported` entry field by field, with and without a user agent,
 *   written before the download so the file holds it;
 * - the `before` filter carried into the first page;
 * - a store failure after the first page cuts the download short (an
 *   incomplete response), never a file that looks whole.
 * Through the real app and database (raw HTTP, so no user agent is added), on
 * SQLite and PostgreSQL.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { startTestApp, type TestApp } from '../testing/test-app.ts';
import { rawSql } from '../testing/raw-sql.ts';
import { Agent, signedInAgent } from '../testing/agent.ts';
import { createAccount } from '../accounts/accounts.ts';
import { EXPORT_PAGE } from './export-routes.ts';
import type { AuditEntry } from '../store/store.ts';
import { recordingLogger } from '../testing/log-lines.ts';

const PASSWORD = 'correct horse battery staple';

interface Got {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  /** Whether the response ended normally (false: the connection was cut before the end). */
  complete: boolean;
}

/** A GET over plain node:http: only the headers given are sent (no user agent unless asked). */
function rawGet(origin: string, path: string, headers: Record<string, string>): Promise<Got> {
  return new Promise((resolve, reject) => {
    const req = request(new URL(path, origin), { method: 'GET', headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('error', () => {});
      res.on('close', () => resolve({ status: res.statusCode!, headers: res.headers, body, complete: res.complete }));
    });
    req.on('error', reject);
    req.end();
  });
}

for (const db of ['sqlite', 'postgres'] as const) {
  describe(`GET /bff/admin/audit/export, exactly (${db})`, () => {
    let app: TestApp;
    let admin: Agent;
    let user: Agent;
    let adminId: string;
    const exported = () => app.store.audit.list({ kind: 'audit_exported', limit: 1000 });
    const download = (agent: Agent, query: string, headers: Record<string, string> = {}) =>
      rawGet(app.url, `/bff/admin/audit/export${query}`, { cookie: agent.cookieHeader(), ...headers });
    const append = (kind: string, n: number) =>
      app.store.audit.append(
        { at: 1_000 + n, kind, actorId: null, subjectId: null, ip: null, userAgent: null, data: { n } },
        (prev, seq) => `${prev.slice(0, 8)}-${seq}`,
      );

    before(async () => {
      app = await startTestApp({ db });
      adminId = (await createAccount(app.store, { email: 'admin@example.com', password: PASSWORD, role: 'admin' }, Date.now())).id;
      await createAccount(app.store, { email: 'user@example.com', password: PASSWORD }, Date.now());
      admin = await signedInAgent(app.url, 'admin@example.com', PASSWORD);
      user = await signedInAgent(app.url, 'user@example.com', PASSWORD);
    });
    after(() => app.close());

    it('refuses people who are not administrators, and a bad filter, recording nothing', async () => {
      const anonymous = await download(new Agent(app.url), '');
      assert.deepEqual([anonymous.status, JSON.parse(anonymous.body).error], [401, 'not_signed_in']);
      const notAdmin = await download(user, '');
      assert.deepEqual([notAdmin.status, JSON.parse(notAdmin.body).error], [403, 'admin_required']);
      const bad = await download(admin, '?limit=1&before=0');
      assert.deepEqual([bad.status, JSON.parse(bad.body).error], [400, 'invalid_request']);
      assert.deepEqual(await exported(), []);
    });

    it('answers with the exact headers, a file named after the app clock, and its own entry first', async () => {
      const t0 = app.deps.now();
      const got = await download(admin, '?kind=audit_exported', { 'user-agent': 'Exporter/1.0' });
      const t1 = app.deps.now();
      assert.equal(got.status, 200);
      assert.equal(got.complete, true);
      assert.equal(got.headers['content-type'], 'application/jsonl; charset=utf-8');
      assert.equal(got.headers['cache-control'], 'no-store');
      const name = /^attachment; filename="audit-(\d{4})-(\d{2})-(\d{2})-(\d{2})-(\d{2})-(\d{2})\.jsonl"$/.exec(String(got.headers['content-disposition']));
      assert.ok(name, String(got.headers['content-disposition']));
      const [, y, mo, d, h, mi, s] = name.map(Number);
      const stamped = Date.UTC(y!, mo! - 1, d!, h!, mi!, s!);
      assert.ok(stamped >= Math.floor(t0 / 1000) * 1000 && stamped <= t1, `${stamped} is the app clock's second during the request (${t0}..${t1})`);

      const [entry] = await exported();
      assert.deepEqual(
        { ...entry!, seq: 0, at: 0, prevHash: '', hash: '' },
        {
          seq: 0,
          at: 0,
          kind: 'audit_exported',
          actorId: adminId,
          subjectId: null,
          ip: '127.0.0.1',
          userAgent: 'Exporter/1.0',
          data: { filter: { kind: 'audit_exported' } },
          prevHash: '',
          hash: '',
          keyId: 1,
        },
      );
      assert.ok(entry!.at >= t0 && entry!.at <= t1);
      assert.equal(got.body, `${JSON.stringify(entry)}\n`, 'the download holds its own entry, written first');
    });

    it('records no user agent when none is sent, and every filter given', async () => {
      const got = await download(admin, `?kind=nothing_here&actorId=a1&subjectId=s1&userId=u1&from=5&to=6&before=7`);
      assert.deepEqual([got.status, got.body, got.complete], [200, '', true]);
      const [entry] = await exported();
      assert.equal(entry!.userAgent, null);
      assert.deepEqual(entry!.data, { filter: { kind: 'nothing_here', actorId: 'a1', subjectId: 's1', userId: 'u1', from: 5, to: 6, before: 7 } });
    });

    it('starts below `before`, newest first', async () => {
      const seqs: number[] = [];
      for (let n = 0; n < 5; n++) seqs.push((await append('export_before', n)).seq);
      const got = await download(admin, `?kind=export_before&before=${seqs[3]}`);
      const lines = got.body.split('\n');
      assert.equal(lines.pop(), '');
      assert.deepEqual(
        lines.map((l) => (JSON.parse(l) as AuditEntry).data.n),
        [2, 1, 0],
      );
      const stored = await app.store.audit.list({ kind: 'export_before', before: seqs[3] });
      assert.deepEqual(
        lines.map((l) => JSON.parse(l)),
        JSON.parse(JSON.stringify(stored)),
      );
    });

    it('cuts the download short when the store fails after the first page', async () => {
      // A row the store cannot read back (its data is not JSON), older than a full page of good ones.
      const [{ seq }] = (await rawSql<{ seq: number }>(app.config.databaseUrl, `SELECT MAX(seq) AS seq FROM audit_log`)) as [{ seq: number }];
      await rawSql(
        app.config.databaseUrl,
        `INSERT INTO audit_log (seq, at, kind, actor_id, subject_id, ip, user_agent, data, prev_hash, hash, key_id) VALUES ($1, 1, 'export_broken', NULL, NULL, NULL, NULL, 'not json', 'x', 'y', NULL)`,
        [Number(seq) + 1],
      );
      // A full page of good rows after it, in one statement (the hashes do not matter to the download).
      const good = Array.from(
        { length: EXPORT_PAGE },
        (_, n) => `(${Number(seq) + 2 + n}, ${2_000 + n}, 'export_broken', NULL, NULL, NULL, NULL, '{"n":${n}}', 'x', 'y', NULL)`,
      );
      await rawSql(
        app.config.databaseUrl,
        `INSERT INTO audit_log (seq, at, kind, actor_id, subject_id, ip, user_agent, data, prev_hash, hash, key_id) VALUES ${good.join(', ')}`,
      );
      const recorded = (await exported()).length;
      // The route's logger, swapped for the real one writing to a stream the test reads.
      const { logger, lines } = recordingLogger<{ level: number; msg: string; err?: { type: string; message: string } }>();
      const original = app.deps.logger;
      app.deps.logger = logger;
      let got: Got;
      try {
        got = await download(admin, '?kind=export_broken');
      } finally {
        app.deps.logger = original;
      }
      // One error line, naming the store's own error (the row's data that is not JSON).
      assert.deepEqual(
        lines.map((l) => [l.level, l.msg, l.err?.type]),
        [[50, 'audit export failed mid-stream', 'SyntaxError']],
        JSON.stringify(lines),
      );
      assert.equal(got.status, 200);
      assert.equal(got.complete, false, 'the response is visibly incomplete');
      // Whatever of the first page reached the socket before it was destroyed: whole lines of good entries, then perhaps part of one.
      const body = got.body.split('\n');
      body.pop();
      assert.ok(body.length <= EXPORT_PAGE, `${body.length} lines`);
      assert.ok(body.every((l) => (JSON.parse(l) as AuditEntry).kind === 'export_broken'));
      assert.equal((await exported()).length, recorded + 1, 'the download was recorded before it started');
    });
  });
}
