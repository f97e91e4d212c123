/**
 * The password-hashing gate: never more real argon2id hashes at once than its
 * cap, waiting ones served in arrival order, a full queue refused with 503 +
 * Retry-After in each front door's own format, and cheap requests answered
 * while hashing is saturated. Ordering and counts only, never elapsed time.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { hash, verify } from '@node-rs/argon2';
import { HashGate, passwordHashing, HASH_BUSY_RETRY_AFTER } from './hash-gate.ts';
import { hashPassword, verifyPassword } from './passwords.ts';
import { createAccount } from './accounts.ts';
import { startTestApp, type TestApp } from '../testing/test-app.ts';
import { Agent } from '../testing/agent.ts';
import { registerClient } from '../oauth/clients.ts';

const PASSWORD = 'correct horse battery staple';

describe('HashGate with real argon2id hashes', () => {
  let stored: string;
  before(async () => {
    stored = await hashPassword(PASSWORD);
  });

  it('never runs more than its cap at once, and serves the waiting in arrival order', async () => {
    const gate = new HashGate({ concurrency: 2, maxQueued: 100 });
    let inside = 0;
    let most = 0;
    const finished: number[] = [];
    await Promise.all(
      Array.from({ length: 9 }, (_, i) =>
        gate.run(async () => {
          inside++;
          most = Math.max(most, inside);
          const ok = await verify(stored, PASSWORD);
          inside--;
          finished.push(i);
          return ok;
        }),
      ),
    );
    assert.equal(most, 2);
    assert.equal(gate.peak, 2);
    assert.equal(gate.running, 0);
    assert.equal(gate.waiting, 0);
    // The first two start together; every later one starts (and so ends) after those before it started.
    assert.deepEqual(
      finished.slice(2).map((i) => i >= 2),
      Array(7).fill(true),
    );
  });

  it('refuses with 503 busy and Retry-After once the queue is full, and recovers when it drains', async () => {
    const gate = new HashGate({ concurrency: 1, maxQueued: 2 });
    const outcomes = await Promise.allSettled(Array.from({ length: 6 }, () => gate.run(() => hash(PASSWORD))));
    assert.deepEqual(
      outcomes.map((o) => o.status),
      ['fulfilled', 'fulfilled', 'fulfilled', 'rejected', 'rejected', 'rejected'],
    );
    for (const o of outcomes.slice(3)) {
      const e = (o as PromiseRejectedResult).reason as { code: string; status: number; retryAfter: number };
      assert.equal(e.code, 'busy');
      assert.equal(e.status, 503);
      assert.equal(e.retryAfter, HASH_BUSY_RETRY_AFTER);
    }
    assert.equal(gate.refused, 3);
    assert.equal(await gate.run(() => verify(stored, PASSWORD)), true);
  });

  it('one address flooding a busy queue keeps to its share; other addresses still get the other half', async () => {
    const gate = new HashGate({ concurrency: 1, maxQueued: 8, perKey: 2 });
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const settle = (p: Promise<unknown>) =>
      p.then(
        () => 'ran',
        (e: { code?: string }) => e.code ?? 'error',
      );
    // Past its share, the flooder is still let in while the queue is under half full (a partner
    // server signing many people in at once), then refused: 1 running + 4 waiting of 8.
    const flood = Array.from({ length: 10 }, () => settle(gate.run(() => held, '203.0.113.9')));
    assert.equal(gate.running, 1);
    assert.equal(gate.waiting, 4);
    // Everyone else fills the rest of the queue, up to its bound.
    const others = Array.from({ length: 4 }, (_, i) => settle(gate.run(() => held, `198.51.100.${i}`)));
    const anonymous = settle(gate.run(() => held));
    assert.equal(gate.waiting, 8);
    release();
    assert.deepEqual(await Promise.all(flood), [...Array(5).fill('ran'), ...Array(5).fill('busy')]);
    assert.deepEqual(await Promise.all(others), Array(4).fill('ran'));
    assert.equal(await anonymous, 'busy', 'the queue itself was full');
    assert.equal(gate.refused, 6);
    // Nothing held any more: the flooder's share is free again.
    assert.equal(await gate.run(() => verify(stored, PASSWORD), '203.0.113.9'), true);
  });
});

for (const db of ['sqlite', 'postgres'] as const) {
  describe(`the process's hashing gate in the running app (${db})`, () => {
    let app: TestApp;
    let stored: string;
    before(async () => {
      app = await startTestApp({ db });
      stored = await hashPassword(PASSWORD);
    });
    after(() => app.close());

    it('answers a cheap request while hashing is saturated, before the queued hashes are done', async () => {
      const n = passwordHashing.concurrency * 16;
      let done = 0;
      const hashes = Array.from({ length: n }, () => verifyPassword(stored, PASSWORD).then(() => done++));
      assert.equal(passwordHashing.running, passwordHashing.concurrency);
      const res = await fetch(`${app.url}/bff/session`, { headers: { accept: 'application/json' } });
      assert.equal(res.status, 200);
      assert.equal((await res.json()).authenticated, false);
      // Answered while hashes were still queued: the cheap request did not wait behind them.
      assert.ok(done < n, `all ${n} hashes finished before /bff/session was answered`);
      assert.ok(passwordHashing.running + passwordHashing.waiting > 0);
      await Promise.all(hashes);
      assert.ok(passwordHashing.peak <= passwordHashing.concurrency);
    });

    it('a sign-in refused by a full queue gets 503 busy + Retry-After in each front door’s format, and no failure is counted', async () => {
      await createAccount(app.store, { email: 'busy@example.com', password: PASSWORD }, Date.now());
      const { client, secret } = await registerClient(app.store, { name: 'SaG', redirectUris: ['https://partner.example/cb'], isPublic: false }, Date.now());
      const agent = new Agent(app.url);
      const { url } = await agent.follow('/bff/login', (u) => u.pathname.startsWith('/interaction/'));
      const uid = url.pathname.split('/')[2]!;

      // Fill the process's gate: every slot taken and the queue at its bound, by work that ends only
      // when released, so the refusals below cannot depend on how fast this machine hashes.
      let release!: () => void;
      const held = new Promise<void>((r) => (release = r));
      const fill = Array.from({ length: passwordHashing.concurrency + passwordHashing.maxQueued }, () => passwordHashing.run(() => held));
      assert.equal(passwordHashing.waiting, passwordHashing.maxQueued);
      const browser = agent.api('POST', `/bff/interaction/${uid}/login`, { email: 'busy@example.com', password: 'wrong password, quite long' });
      const sag = fetch(`${app.url}/admin/login/auth_code`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ ClientId: client.clientId, ClientSecret: secret, Username: 'busy@example.com', Password: PASSWORD }),
      });
      const workos = fetch(`${app.url}/user_management/authenticate`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ client_id: client.clientId, client_secret: secret, grant_type: 'password', email: 'busy@example.com', password: PASSWORD }),
      });
      const [b, s, w] = await Promise.all([browser, sag, workos]);
      release();
      await Promise.all(fill);

      assert.equal(b.status, 503);
      assert.equal(b.headers.get('retry-after'), String(HASH_BUSY_RETRY_AFTER));
      assert.equal((await b.json()).error, 'busy');
      assert.equal(s.status, 503);
      assert.equal(s.headers.get('retry-after'), String(HASH_BUSY_RETRY_AFTER));
      assert.equal((await s.json()).Header.ErrorId, 'busy');
      assert.equal(w.status, 503);
      assert.equal(w.headers.get('retry-after'), String(HASH_BUSY_RETRY_AFTER));
      assert.equal((await w.json()).code, 'busy');

      // The refused wrong password counted nothing: the throttle and the audit trail saw no attempt.
      assert.equal(await app.store.throttle.peek('login-account:busy@example.com', Date.now()), null);
      // Once the queue drained, the same sign-in is checked as usual.
      const again = await agent.api('POST', `/bff/interaction/${uid}/login`, { email: 'busy@example.com', password: PASSWORD });
      assert.equal(again.status, 200);
    });
  });
}
