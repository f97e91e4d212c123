/**
 * The dashboard's numbers and the audit download through the real app:
 * per-hour counts of the last 7 days from real audit entries, the totals, and
 * the filtered JSON-lines export streamed across several store pages.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestApp, type TestApp } from '../testing/test-app.ts';
import { Agent, signedInAgent } from '../testing/agent.ts';
import { createAccount } from '../accounts/accounts.ts';
import { EXPORT_PAGE } from '../audit/export-routes.ts';
import { ACTIVITY_HOURS } from './routes.ts';
import { HOUR_MS } from '../store/activity.ts';

const PASSWORD = 'correct horse battery staple';

for (const db of ['sqlite', 'postgres'] as const) {
  describe(`activity dashboard and audit download (${db})`, () => {
    let app: TestApp;
    let admin: Agent;
    let user: Agent;

    const append = (at: number, kind: string, subjectId: string | null = null) =>
      app.store.audit.append({ at, kind, actorId: null, subjectId, ip: null, userAgent: null, data: { n: at } }, (prev, seq) => `${prev.slice(0, 8)}-${seq}`);

    before(async () => {
      app = await startTestApp({ db });
      await createAccount(app.store, { email: 'admin@example.com', password: PASSWORD, role: 'admin' }, Date.now());
      await createAccount(app.store, { email: 'user@example.com', password: PASSWORD }, Date.now());
      admin = await signedInAgent(app.url, 'admin@example.com', PASSWORD);
      user = await signedInAgent(app.url, 'user@example.com', PASSWORD);
    });
    after(async () => {
      await app?.close();
    });

    it('is for admins only', async () => {
      assert.equal((await new Agent(app.url).api('GET', '/bff/admin/activity')).status, 401);
      assert.equal((await user.api('GET', '/bff/admin/activity')).status, 403);
      assert.equal((await user.api('GET', '/bff/admin/audit/export')).status, 403);
    });

    it('counts each kind per hour over the last 7 days, and the totals', async () => {
      const hour = Math.floor(Date.now() / HOUR_MS) * HOUR_MS;
      const oldest = hour - (ACTIVITY_HOURS - 1) * HOUR_MS;
      await append(oldest, 'sign_in_failed');
      await append(oldest - 1, 'sign_in_failed'); // 7 days and a moment ago: outside
      await append(hour - 5 * HOUR_MS, 'impersonation_started');
      await append(hour - 5 * HOUR_MS + 1, 'impersonation_started');
      await append(hour - 2 * HOUR_MS, 'consent_given');
      await append(hour - 2 * HOUR_MS, 'consent_denied'); // not a series
      const res = await admin.api('GET', '/bff/admin/activity');
      assert.equal(res.status, 200);
      const body = await res.json();
      assert.equal(body.from, oldest);
      assert.equal(body.hours, ACTIVITY_HOURS);
      const nonZero = (xs: number[]) => Object.fromEntries(xs.flatMap((n, i) => (n ? [[i, n]] : [])));
      const last = ACTIVITY_HOURS - 1;
      // Both sign-ins of the before() hook landed in the current hour (unless it just turned: then in the one before).
      const signIns = nonZero(body.series.signIns);
      assert.equal(
        Object.values(signIns).reduce((a: number, b) => a + (b as number), 0),
        2,
      );
      assert.ok(Object.keys(signIns).every((i) => Number(i) >= last - 1));
      assert.deepEqual(nonZero(body.series.failedSignIns), { 0: 1 });
      assert.deepEqual(nonZero(body.series.impersonations), { [last - 5]: 2 });
      assert.deepEqual(nonZero(body.series.consents), { [last - 2]: 1 });
      assert.deepEqual(body.totals, { users: 2, partnerApps: 0, activeSessions: 2 });
    });

    it('downloads the filtered entries as JSON lines, newest first, streamed across store pages, and audits it', async () => {
      const subject = (await app.store.users.findByEmail('user@example.com'))!.id;
      const n = EXPORT_PAGE * 2 + 7;
      for (let i = 0; i < n; i++) await append(1_000 + i, 'export_probe', subject);
      await append(5_000_000, 'other_kind', subject);
      const res = await admin.get(`/bff/admin/audit/export?kind=export_probe&email=user%40example.com`);
      assert.equal(res.status, 200);
      assert.match(res.headers.get('content-type') ?? '', /^application\/jsonl/);
      assert.match(res.headers.get('content-disposition') ?? '', /^attachment; filename="audit-.*\.jsonl"$/);
      assert.equal(res.headers.get('content-length'), null, 'streamed (chunked), not buffered into one body');
      assert.equal(res.headers.get('transfer-encoding'), 'chunked');
      const lines = (await res.text()).split('\n');
      assert.equal(lines.pop(), '', 'every line ends with a newline');
      assert.equal(lines.length, n);
      const entries = lines.map((l) => JSON.parse(l) as { kind: string; at: number; seq: number });
      assert.ok(entries.every((e) => e.kind === 'export_probe'));
      assert.deepEqual(
        entries.map((e) => e.at),
        Array.from({ length: n }, (_, i) => 1_000 + n - 1 - i),
      );

      const nobody = await admin.get('/bff/admin/audit/export?email=nobody%40example.com');
      assert.equal(await nobody.text(), '');
      const bad = await admin.get('/bff/admin/audit/export?from=yesterday');
      assert.equal(bad.status, 400);
      assert.equal((await bad.json()).error, 'invalid_request');
      const [last] = await app.store.audit.list({ kind: 'audit_exported', limit: 1 });
      assert.deepEqual(last?.data, { filter: { email: 'nobody@example.com' } });
    });
  });
}
