/**
 * Back-channel logout delivery (backchannel.ts), pinned where mutation
 * testing (docs/mutation.md) needs it, with rows queued straight into the
 * real outbox (the doors that queue them are backchannel-logout.test.ts's):
 * the backoff table; the logout token exactly (typ, alg, every claim, `sid`
 * only when there is one, a fresh jti per attempt); which answers count as
 * delivered (200, 204) and which do not (201, a redirect, a refused
 * connection), with the reason kept; an app without a URI (or gone) given up
 * at once, logged and audited; the retry's due time and log line; batches
 * beyond twenty in one round; start's first tick and stop waiting for it.
 * Real app, real provider, a real partner endpoint; SQLite and PostgreSQL.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createLocalJWKSet, jwtVerify } from 'jose';
import { startTestApp, type TestApp } from '../testing/test-app.ts';
import { createLogger } from '../http/logger.ts';
import { openTempStore } from '../testing/temp-store.ts';
import { registerClient } from './clients.ts';
import { BACKCHANNEL_LOGOUT_EVENT, LOGOUT_LEASE_MS, LOGOUT_MAX_ATTEMPTS, createLogoutDelivery, logoutBackoffMs, type LogoutDelivery } from './backchannel.ts';

describe('back-channel logout: the schedule', () => {
  it('waits 10 s after the first failure, doubling, at most an hour; six attempts; a 30 s lease', () => {
    assert.deepEqual(
      [0, 1, 2, 3, 4, 5, 6, 8, 9, 10, 20].map(logoutBackoffMs),
      [10_000, 10_000, 20_000, 40_000, 80_000, 160_000, 320_000, 1_280_000, 2_560_000, 3_600_000, 3_600_000],
    );
    assert.equal(LOGOUT_MAX_ATTEMPTS, 6);
    assert.equal(LOGOUT_LEASE_MS, 30_000);
    assert.equal(BACKCHANNEL_LOGOUT_EVENT, 'http://schemas.openid.net/event/backchannel-logout');
  });
});

interface Received {
  method: string;
  contentType: string;
  token: string;
}

for (const db of ['sqlite', 'postgres'] as const) {
  describe(`back-channel logout delivery (${db})`, () => {
    let app: TestApp;
    let server: Server;
    let endpoint: string;
    /** Statuses to answer, in order; 200 when empty. */
    const answers: number[] = [];
    const received: Received[] = [];
    const lines: Array<Record<string, unknown> & { level: number; msg: string }> = [];
    let clock = 1_800_000_000_000;
    let delivery: LogoutDelivery;
    let partner: string;
    let noUri: string;
    let n = 0;

    before(async () => {
      app = await startTestApp({ db });
      server = createServer((req, res) => {
        let body = '';
        req.on('data', (c: Buffer) => (body += c.toString()));
        req.on('end', () => {
          received.push({ method: req.method!, contentType: req.headers['content-type'] ?? '', token: new URLSearchParams(body).get('logout_token') ?? '' });
          const status = answers.shift() ?? 200;
          res.writeHead(status, status === 302 ? { location: `${endpoint}?again` } : {}).end();
        });
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}/logout`;
      partner = (
        await registerClient(
          app.store,
          {
            name: 'Partner',
            redirectUris: ['https://partner.example/cb'],
            isPublic: false,
            options: { backchannelLogoutUri: endpoint, backchannelLogoutSessionRequired: false },
          },
          Date.now(),
        )
      ).client.clientId;
      noUri = (await registerClient(app.store, { name: 'No URI', redirectUris: ['https://nouri.example/cb'], isPublic: false }, Date.now())).client.clientId;
      delivery = createLogoutDelivery({
        store: app.store,
        provider: app.deps.provider,
        audit: app.deps.audit,
        logger: createLogger('info', { write: (s: string) => void lines.push(JSON.parse(s) as (typeof lines)[number]) }),
        now: () => clock,
      });
    });
    after(async () => {
      await delivery?.stop();
      server?.close();
      await app?.close();
    });

    async function queue(clientId: string, sid: string | null, sub = 'user-1'): Promise<string> {
      const id = `logout-${db}-${++n}`;
      assert.equal(await app.store.logoutOutbox.enqueue({ id, clientId, sub, sid, createdAt: clock }), true);
      return id;
    }
    async function claims(token: string) {
      const jwks = createLocalJWKSet((await (await fetch(`${app.config.issuer}/jwks`)).json()) as { keys: [] });
      return jwtVerify(token, jwks, { issuer: app.config.issuer, audience: partner, typ: 'logout+jwt' });
    }

    it('posts a signed logout token as a form; sid only when there is one; a fresh jti each time', { timeout: 20000 }, async () => {
      received.length = 0;
      const withSid = await queue(partner, 'sid-1');
      const withoutSid = await queue(partner, null);
      assert.deepEqual(await delivery.runOnce(), { delivered: 2, retrying: 0, failed: 0 });
      assert.equal(received.length, 2);
      const bySid = new Map<string, Record<string, unknown>>();
      for (const r of received) {
        assert.equal(r.method, 'POST');
        assert.equal(r.contentType, 'application/x-www-form-urlencoded');
        const { payload, protectedHeader } = await claims(r.token);
        assert.equal(protectedHeader.alg, 'ES256');
        assert.equal(protectedHeader.typ, 'logout+jwt');
        bySid.set(String(payload.sid ?? 'none'), payload);
      }
      const a = bySid.get('sid-1')!;
      const b = bySid.get('none')!;
      assert.deepEqual(Object.keys(a).sort(), ['aud', 'events', 'exp', 'iat', 'iss', 'jti', 'sid', 'sub']);
      assert.deepEqual(Object.keys(b).sort(), ['aud', 'events', 'exp', 'iat', 'iss', 'jti', 'sub']);
      assert.deepEqual(a.events, { [BACKCHANNEL_LOGOUT_EVENT]: {} });
      assert.equal(a.sub, 'user-1');
      assert.match(String(a.jti), /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      assert.notEqual(a.jti, b.jti);
      for (const id of [withSid, withoutSid]) {
        const row = (await app.store.logoutOutbox.find(id))!;
        assert.equal(row.deliveredAt, clock);
        assert.equal(row.failedAt, null);
      }
    });

    it('204 is delivered too; 201, a redirect (not followed) and a refused connection are failures with their reason', { timeout: 20000 }, async () => {
      received.length = 0;
      answers.push(204);
      const ok = await queue(partner, 's-204');
      assert.deepEqual(await delivery.runOnce(), { delivered: 1, retrying: 0, failed: 0 });
      assert.equal((await app.store.logoutOutbox.find(ok))!.deliveredAt, clock);
      for (const status of [201, 302, 500]) {
        answers.push(status);
        const id = await queue(partner, `s-${status}`);
        lines.length = 0;
        assert.deepEqual(await delivery.runOnce(), { delivered: 0, retrying: 1, failed: 0 }, String(status));
        const row = (await app.store.logoutOutbox.find(id))!;
        assert.equal(row.lastError, `the partner answered ${status}`);
        assert.equal(row.deliveredAt, null);
        assert.equal(row.failedAt, null);
        assert.equal(row.attempts, 1);
        // Due again after the first backoff, exactly.
        assert.equal(row.nextAttemptAt, clock + logoutBackoffMs(1));
        assert.deepEqual(
          lines.map((l) => [l.level, l.msg, l.logoutId, l.clientId, l.attempts, l.reason]),
          [[40, 'back-channel logout failed; it will be retried', id, partner, 1, `the partner answered ${status}`]],
        );
      }
      // Only the one request per attempt: the redirect was not followed.
      assert.equal(received.length, 4);
      // Not due before its backoff; delivered once due.
      assert.deepEqual(await delivery.runOnce(), { delivered: 0, retrying: 0, failed: 0 });
      clock += logoutBackoffMs(1);
      assert.deepEqual(await delivery.runOnce(), { delivered: 3, retrying: 0, failed: 0 });
    });

    it('an app without a back-channel URI, or gone, is given up at once: logged and audited', { timeout: 20000 }, async () => {
      lines.length = 0;
      const a = await queue(noUri, 'sid-x', 'user-nouri');
      const b = await queue('app_gone', null, 'user-gone');
      assert.deepEqual(await delivery.runOnce(), { delivered: 0, retrying: 0, failed: 2 });
      const reason = 'the app was deleted or no longer has a back-channel logout URI';
      for (const id of [a, b]) {
        const row = (await app.store.logoutOutbox.find(id))!;
        assert.equal(row.failedAt, clock);
        assert.equal(row.lastError, reason);
      }
      assert.deepEqual(lines.map((l) => [l.level, l.msg, l.reason]).sort(), [
        [50, 'back-channel logout failed for good: gave up', reason],
        [50, 'back-channel logout failed for good: gave up', reason],
      ]);
      const [entry] = await app.store.audit.list({ kind: 'backchannel_logout_failed', subjectId: 'user-nouri' });
      assert.deepEqual(entry!.data, { clientId: noUri, sid: 'sid-x', attempts: 1, reason });
      clock += 24 * 3_600_000;
      assert.deepEqual(await delivery.runOnce(), { delivered: 0, retrying: 0, failed: 0 }, 'never tried again');
    });

    it('the last attempt that fails gives up', { timeout: 20000 }, async () => {
      const id = await queue(partner, 'sid-last', 'user-last');
      for (let attempt = 1; attempt <= LOGOUT_MAX_ATTEMPTS; attempt++) {
        answers.push(503);
        const round = await delivery.runOnce();
        assert.deepEqual(
          round,
          attempt < LOGOUT_MAX_ATTEMPTS ? { delivered: 0, retrying: 1, failed: 0 } : { delivered: 0, retrying: 0, failed: 1 },
          `attempt ${attempt}`,
        );
        assert.equal((await app.store.logoutOutbox.find(id))!.attempts, attempt);
        clock += logoutBackoffMs(attempt);
      }
      assert.equal((await app.store.logoutOutbox.find(id))!.failedAt, clock - logoutBackoffMs(LOGOUT_MAX_ATTEMPTS));
    });

    it('more than a batch (twenty) is delivered in one round', { timeout: 20000 }, async () => {
      received.length = 0;
      for (let i = 0; i < 41; i++) await queue(partner, `batch-${i}`);
      assert.deepEqual(await delivery.runOnce(), { delivered: 41, retrying: 0, failed: 0 });
      assert.equal(received.length, 41);
    });

    it('start ticks at once; stop waits for the round under way; rounds never overlap', { timeout: 20000 }, async () => {
      received.length = 0;
      const id = await queue(partner, 'started');
      const worker = createLogoutDelivery({
        store: app.store,
        provider: app.deps.provider,
        audit: app.deps.audit,
        logger: createLogger('silent'),
        now: () => clock,
      });
      worker.start(3_600_000);
      await worker.stop();
      assert.equal((await app.store.logoutOutbox.find(id))!.deliveredAt, clock);
      assert.equal(received.length, 1);
      // Two rounds asked at once run one after the other: each row is posted once.
      const ids = [await queue(partner, 'p1'), await queue(partner, 'p2')];
      const [r1, r2] = await Promise.all([delivery.runOnce(), delivery.runOnce()]);
      assert.deepEqual(
        [r1, r2],
        [
          { delivered: 2, retrying: 0, failed: 0 },
          { delivered: 0, retrying: 0, failed: 0 },
        ],
      );
      assert.equal(received.length, 3);
      for (const i of ids) assert.equal((await app.store.logoutOutbox.find(i))!.deliveredAt, clock);
      // A stopped worker's start ticks no more.
      const late = await queue(partner, 'late');
      worker.start(3_600_000);
      await worker.stop();
      assert.equal((await app.store.logoutOutbox.find(late))!.deliveredAt, null);
    });

    it('a refused connection: the fetch error is the reason', { timeout: 20000 }, async () => {
      const closed = createServer();
      await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
      const deadUri = `http://127.0.0.1:${(closed.address() as AddressInfo).port}/logout`;
      await new Promise<void>((r) => closed.close(() => r()));
      const dead = (
        await registerClient(
          app.store,
          {
            name: 'Dead',
            redirectUris: ['https://dead.example/cb'],
            isPublic: false,
            options: { backchannelLogoutUri: deadUri, backchannelLogoutSessionRequired: false },
          },
          Date.now(),
        )
      ).client.clientId;
      const id = await queue(dead, null);
      assert.equal((await delivery.runOnce()).retrying, 1);
      assert.equal((await app.store.logoutOutbox.find(id))!.lastError, 'fetch failed');
    });

    it('a partner that never answers: the post is abandoned after five seconds, and the reason says so', { timeout: 30000 }, async () => {
      const silent = createServer(() => {
        // Reads the request and never answers.
      });
      await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
      try {
        const silentUri = `http://127.0.0.1:${(silent.address() as AddressInfo).port}/logout`;
        const quiet = (
          await registerClient(
            app.store,
            {
              name: 'Silent',
              redirectUris: ['https://silent.example/cb'],
              isPublic: false,
              options: { backchannelLogoutUri: silentUri, backchannelLogoutSessionRequired: false },
            },
            Date.now(),
          )
        ).client.clientId;
        const id = await queue(quiet, null);
        lines.length = 0;
        assert.deepEqual(await delivery.runOnce(), { delivered: 0, retrying: 1, failed: 0 });
        const row = (await app.store.logoutOutbox.find(id))!;
        assert.equal(row.lastError, 'no answer within 5 seconds');
        assert.equal(row.deliveredAt, null);
        assert.deepEqual(
          lines.map((l) => [l.level, l.msg, l.clientId, l.reason]),
          [[40, 'back-channel logout failed; it will be retried', quiet, 'no answer within 5 seconds']],
        );
      } finally {
        silent.closeAllConnections();
        await new Promise<void>((r) => silent.close(() => r()));
      }
    });

    it('a round that fails (its store is closed) is logged by the timer, once', { timeout: 20000 }, async () => {
      const broken = await openTempStore(db, { timeoutMs: 30_000 });
      const own: typeof lines = [];
      const worker = createLogoutDelivery({
        store: broken.store,
        provider: app.deps.provider,
        audit: app.deps.audit,
        logger: createLogger('info', { write: (s: string) => void own.push(JSON.parse(s) as (typeof lines)[number]) }),
        now: () => clock,
      });
      await broken.store.close();
      try {
        await assert.rejects(worker.runOnce());
        assert.equal(own.length, 0, 'runOnce itself leaves the failure to its caller');
        worker.start(3_600_000);
        await worker.stop();
        // The tick's handler runs once the round has settled.
        await new Promise((r) => setImmediate(r));
        assert.deepEqual(
          own.map((l) => [l.level, l.msg]),
          [[40, 'back-channel logout round failed']],
        );
        const err = own[0]!.err as { message?: unknown; type?: unknown };
        assert.equal(typeof err.message, 'string');
        assert.ok((err.message as string).length > 0);
      } finally {
        await broken.drop().catch(() => undefined);
      }
    });
  });
}
