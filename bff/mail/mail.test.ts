/**
 * Mail delivery through a real SMTP server in-process: the outbox is durable,
 * the worker retries with backoff and gives up after MAX_ATTEMPTS, two
 * instances never deliver one message twice, a dead worker's lease lapses,
 * nothing a user typed can add a header, and /healthz shows the failures.
 */
import { describe, it, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { startTestApp, type TestApp } from '../testing/test-app.ts';
import { startInbox, type Inbox } from '../testing/smtp-inbox.ts';
import { createLogger } from '../http/logger.ts';
import { createMail } from './mail.ts';
import { enqueueMail, mailSealer } from './outbox.ts';
import { composeContent } from './templates.ts';
import { LEASE_MS, MAX_ATTEMPTS, backoffMs } from './worker.ts';

const content = (code: string) =>
  composeContent({
    portal: 'Acme Login',
    subject: 'Your code',
    intro: ['Hello.'],
    code,
    link: { url: `https://login.example/verify#c=${code}`, label: 'Verify' },
    outro: ['Not you? Ignore this mail.'],
  });

async function health(app: TestApp): Promise<{ mail: { pending: number; retrying: number; failed: number; mode: string } }> {
  return (await fetch(`${app.url}/healthz`)).json();
}

for (const db of ['sqlite', 'postgres'] as const) {
  describe(`mail outbox and SMTP delivery (${db})`, () => {
    let app: TestApp;
    let inbox: Inbox;
    let n = 0;
    const address = () => `person-${db}-${++n}@example.com`;
    const queue = (to: string, code = '123456') =>
      enqueueMail(app.store, mailSealer(app.config.dataEncryptionKeys), 'test', { address: to, name: 'Person' }, content(code), app.deps.now());

    before(async () => {
      inbox = await startInbox();
      app = await startTestApp({ db, env: { SMTP_URL: inbox.url, MAIL_FROM: 'Acme Login <no-reply@login.example>' } });
    });
    after(async () => {
      await app.close();
      await inbox.close();
    });
    beforeEach(() => {
      inbox.failing = false;
      inbox.arrivals.length = 0;
    });

    it('sends a queued message with a text and an HTML part, off the request path, once', async () => {
      const to = address();
      await app.mail.send('test', { address: to, name: 'Person' }, content('424242'));
      const [got] = await inbox.waitFor(1);
      assert.deepEqual(got!.envelopeTo, [to]);
      assert.equal(got!.mail.subject, 'Your code · Acme Login');
      assert.equal(got!.mail.from?.value[0]?.address, 'no-reply@login.example');
      assert.match(got!.mail.text ?? '', /Your code: 424242/);
      assert.match(String(got!.mail.html), /424242/);
      assert.match(String(got!.mail.html), /href="https:\/\/login\.example\/verify#c=424242"/);
      assert.equal(await app.mail.worker!.runOnce(), 0, 'nothing left to send');
      assert.equal(inbox.arrivals.length, 1);
      assert.deepEqual((await health(app)).mail, { mode: 'smtp', pending: 0, retrying: 0, failed: 0, lastFailureAt: null });
    });

    it('puts no header a name or subject smuggles in, and sends to the one recipient', async () => {
      const to = address();
      const evil = composeContent({
        portal: 'Acme\r\nBcc: boss@evil.example',
        subject: 'Hi\r\nBcc: victim@evil.example\r\nX-Evil: 1',
        intro: ['x'],
        outro: [],
      });
      await app.mail.send('test', { address: to, name: 'Eve\r\nBcc: victim@evil.example\nCc: other@evil.example' }, evil);
      const [got] = await inbox.waitFor(1);
      assert.deepEqual(got!.envelopeTo, [to]);
      assert.equal(got!.mail.headers.has('bcc'), false);
      assert.equal(got!.mail.headers.has('cc'), false);
      assert.equal(got!.mail.headers.has('x-evil'), false);
      assert.deepEqual(got!.mail.to && !Array.isArray(got!.mail.to) ? got!.mail.to.value.map((v) => v.address) : null, [to]);
      assert.doesNotMatch(got!.raw.split(/\r?\n\r?\n/)[0]!, /^(Bcc|Cc|X-Evil):/im);
    });

    it('refuses a recipient address that could carry a header', async () => {
      await queue('victim@evil.example>\r\nBcc: x@evil.example');
      assert.equal(await app.mail.worker!.runOnce(), 0);
      assert.equal(inbox.arrivals.length, 0);
      const s = await app.mail.health();
      assert.equal(s.failed, 1, 'given up at once: retrying cannot make it safe');
    });

    it('retries a failed delivery after its backoff, then delivers it exactly once', async () => {
      const before = await app.mail.health();
      inbox.failing = true;
      await queue(address(), '111111');
      assert.equal(await app.mail.worker!.runOnce(), 0);
      assert.equal((await health(app)).mail.retrying, before.retrying + 1, '/healthz shows the failing message');
      inbox.failing = false;
      assert.equal(await app.mail.worker!.runOnce(), 0, 'not due before its backoff');
      app.clock.offset += backoffMs(1);
      assert.equal(await app.mail.worker!.runOnce(), 1);
      assert.equal(inbox.arrivals.length, 1);
      assert.match(inbox.arrivals[0]!.mail.text ?? '', /111111/);
      assert.equal((await app.mail.health()).retrying, before.retrying);
    });

    it(`gives up after ${MAX_ATTEMPTS} attempts and counts it as failed`, async () => {
      const before = await app.mail.health();
      inbox.failing = true;
      await queue(address());
      for (let i = 1; i <= MAX_ATTEMPTS; i++) {
        assert.equal(await app.mail.worker!.runOnce(), 0);
        app.clock.offset += backoffMs(i);
      }
      const h = (await health(app)).mail;
      assert.equal(h.failed, before.failed + 1);
      assert.equal(h.pending, before.pending);
      inbox.failing = false;
      assert.equal(await app.mail.worker!.runOnce(), 0, 'a given-up message is not tried again');
      assert.equal(inbox.arrivals.length, 0);
    });

    it('two instances draining one outbox deliver each message exactly once', async () => {
      const other = createMail(app.config, app.store, createLogger('silent'), app.deps.now);
      const sent = new Set<string>();
      for (let i = 0; i < 25; i++) sent.add(await queue(address()));
      const [a, b] = await Promise.all([app.mail.worker!.runOnce(), other.worker!.runOnce()]);
      await other.close();
      assert.equal(a + b, 25);
      assert.equal(inbox.arrivals.length, 25);
      const ids = new Set(inbox.arrivals.map((x) => x.mail.messageId!.replace(/^<|@portal\.mail>$/g, '')));
      assert.deepEqual([...ids].sort(), [...sent].sort());
    });

    it('a message a dead worker had claimed is delivered by another once the lease lapses (restart)', async () => {
      await queue(address(), '777777');
      assert.equal((await app.store.mailOutbox.claim('worker-that-died', app.deps.now(), LEASE_MS, 10)).length, 1);
      const restarted = createMail(app.config, app.store, createLogger('silent'), app.deps.now);
      assert.equal(await restarted.worker!.runOnce(), 0, 'still leased');
      app.clock.offset += LEASE_MS;
      assert.equal(await restarted.worker!.runOnce(), 1);
      await restarted.close();
      assert.equal(inbox.arrivals.length, 1);
      assert.match(inbox.arrivals[0]!.mail.text ?? '', /777777/);
    });

    it('keeps the body sealed in the database and clears it once sent', async () => {
      const id = await queue(address(), '989898');
      const [claimed] = await app.store.mailOutbox.claim('inspector', app.deps.now(), 1, 10);
      assert.equal(claimed!.id, id);
      assert.doesNotMatch(claimed!.body, /989898/);
      app.clock.offset += 1;
      assert.equal(await app.mail.worker!.runOnce(), 1);
      assert.equal(await app.store.mailOutbox.markSent(id, 'inspector', app.deps.now()), false, 'only the lease holder marks it');
    });
  });
}
