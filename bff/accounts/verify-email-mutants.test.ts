/**
 * Email verification (verify-email.ts) called as a module, where mutation testing
 * (docs/mutation.md) asks for the edges: when verification is required (each of
 * its three conditions), the mail (through a real SMTP server) with its code and
 * link and the token row behind it, the per-account mail limit from both sides
 * with its sentence and Retry-After, a typed code and a link each verifying the
 * email (audited with the method) or refused with their exact bodies, and what
 * `readPending` accepts. Real store (a SQLite file and a PostgreSQL schema), real
 * audit chain and mail outbox; no app.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Store, User } from '../store/store.ts';
import { TEST_SECRETS_ENV } from '../testing/test-app.ts';
import { openTempStore as tempStore } from '../testing/temp-store.ts';
import { startInbox, type Inbox } from '../testing/smtp-inbox.ts';
import { rawSql } from '../testing/raw-sql.ts';
import { loadConfig, type Config } from '../config/config.ts';
import { createLogger } from '../http/logger.ts';
import { createMail, type Mail } from '../mail/mail.ts';
import { createAudit, type Audit } from '../audit/audit.ts';
import { AppError } from '../http/errors.ts';
import { codeHashFor, sha256 } from './one-time.ts';
import {
  MAX_CODE_TRIES,
  VERIFY_MAILS_PER_WINDOW,
  VERIFY_PURPOSE,
  VERIFY_TTL_MS,
  needsVerification,
  notWaiting,
  readPending,
  sendVerification,
  verifyCode,
  verifyLink,
} from './verify-email.ts';

const PUBLIC_URL = 'https://portal.example.test';
const EXPIRED = {
  code: 'code_expired',
  status: 410,
  message: 'This code has expired or was tried too many times. Send a new code.',
  fields: undefined,
  retryAfter: undefined,
};
const LINK_GONE = {
  code: 'verification_link_invalid',
  status: 410,
  message: 'This verification link has expired or was already used. Sign in to get a new code.',
  fields: undefined,
  retryAfter: undefined,
};

async function thrown(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
    return 'none';
  } catch (e) {
    if (!(e instanceof AppError)) return `not an AppError: ${String(e)}`;
    return { code: e.code, status: e.status, message: e.message, fields: e.fields, retryAfter: e.retryAfter };
  }
}

describe('verification: pure parts', () => {
  const user = (emailVerified: boolean) => ({ emailVerified }) as User;
  const cfg = (requireEmailVerification: boolean) => ({ requireEmailVerification }) as Config;
  const mail = (enabled: boolean) => ({ enabled }) as Mail;

  it('is needed only when required, mail is on, and the email is not verified', () => {
    assert.equal(needsVerification({ config: cfg(true), mail: mail(true) }, user(false)), true);
    assert.equal(needsVerification({ config: cfg(false), mail: mail(true) }, user(false)), false);
    assert.equal(needsVerification({ config: cfg(true), mail: mail(false) }, user(false)), false);
    assert.equal(needsVerification({ config: cfg(true), mail: mail(true) }, user(true)), false);
  });

  it('readPending takes only a complete pending verification', () => {
    const p = { accountId: 'a', tokenId: 't', amr: ['pwd'] };
    assert.equal(readPending({ portalVerification: p }), p);
    assert.equal(readPending(undefined), null);
    assert.equal(readPending({}), null);
    assert.equal(readPending({ portalVerification: { ...p, accountId: 1 } }), null);
    assert.equal(readPending({ portalVerification: { ...p, tokenId: null } }), null);
    assert.equal(readPending({ portalVerification: { ...p, amr: 'pwd' } }), null);
  });

  it('the constants and the wrong-prompt answer', () => {
    assert.equal(VERIFY_PURPOSE, 'email_verification');
    assert.equal(VERIFY_TTL_MS, 24 * 3600_000);
    assert.equal(VERIFY_MAILS_PER_WINDOW, 4);
    assert.equal(MAX_CODE_TRIES, 5);
    const e = notWaiting();
    assert.deepEqual(
      { code: e.code, status: e.status, message: e.message },
      { code: 'wrong_prompt', status: 400, message: 'This sign-in is not waiting for an email code. Sign in again.' },
    );
  });
});

for (const db of ['sqlite', 'postgres'] as const) {
  describe(`email verification as a module (${db})`, { timeout: 60_000 }, () => {
    let store: Store;
    let drop: () => Promise<void>;
    let url: string;
    let inbox: Inbox;
    let mail: Mail;
    let audit: Audit;
    let config: Config;
    const base = Date.now();
    let offset = 0;
    const now = () => base + offset;
    let d: { store: Store; audit: Audit; config: Config; mail: Mail; now: () => number };
    let n = 0;
    const fresh = async (): Promise<User> =>
      store.users.create(
        { id: `v-${db}-${++n}`, email: `verify-${n}@example.com`, name: `V ${n}`, passwordHash: null, role: 'user', emailVerified: false },
        now(),
      );
    const meta = { ip: '10.6.0.1', userAgent: 'ua-v' };
    /** Sends a verification and reads the code and link secret from the mail that arrives. */
    const sent = async (user: User, count = 1) => {
      const tokenId = await sendVerification(d, user, meta);
      const mails = await inbox.waitForTo(user.email, count);
      const text = mails.find((m) => (m.mail.text ?? '').includes(`#token=`) && sha256(/#token=([A-Za-z0-9_-]{43})/.exec(m.mail.text ?? '')![1]!) === tokenId)!
        .mail.text!;
      const secret = /https:\/\/portal\.example\.test\/verify-email#token=([A-Za-z0-9_-]{43})\n/.exec(text)![1]!;
      const t = (await store.oneTimeTokens.find(tokenId))!;
      const code = /\b(\d{6})\b/.exec(text)![1]!;
      assert.equal(t.codeHash, codeHashFor(tokenId, code));
      return { tokenId, secret, code, text };
    };

    before(async () => {
      inbox = await startInbox();
      ({ store, drop, url } = await tempStore(db));
      config = loadConfig({ NODE_ENV: 'test', PUBLIC_URL, DATABASE_URL: 'sqlite::memory:', ...TEST_SECRETS_ENV, LOG_LEVEL: 'silent', SMTP_URL: inbox.url });
      mail = createMail(config, store, createLogger('silent'), now);
      audit = createAudit(store, now, config.auditKeys);
      d = { store, audit, config, mail, now };
    });
    after(async () => {
      await mail.close();
      await inbox.close();
      await drop();
    });

    it('sends a code and a link valid 24 hours, stored as hashes, audited', async () => {
      const user = await fresh();
      const s = await sent(user);
      assert.equal(s.tokenId, sha256(s.secret));
      assert.match(s.text, /The code and the link work once, for 24 hours\./);
      // The outbox row names the mail's kind (its log lines and delivery are grouped by it).
      assert.deepEqual(
        (await rawSql<{ kind: string }>(url, 'SELECT kind FROM mail_outbox WHERE to_address = $1', [user.email])).map((r) => r.kind),
        ['email_verification'],
      );
      const t = (await store.oneTimeTokens.find(s.tokenId))!;
      assert.deepEqual(
        { purpose: t.purpose, userId: t.userId, email: t.email, createdAt: t.createdAt, expiresAt: t.expiresAt, consumedAt: t.consumedAt },
        { purpose: 'email_verification', userId: user.id, email: user.email, createdAt: now(), expiresAt: now() + VERIFY_TTL_MS, consumedAt: null },
      );
      const [e] = await store.audit.list({ kind: 'email_verification_sent', limit: 1 });
      assert.deepEqual(
        { actorId: e!.actorId, subjectId: e!.subjectId, ip: e!.ip, userAgent: e!.userAgent, data: e!.data },
        { actorId: null, subjectId: user.id, ip: '10.6.0.1', userAgent: 'ua-v', data: {} },
      );
    });

    it('four mails per account in 15 minutes, the fifth refused with 429 and the seconds left; a new one ends the older', async () => {
      const user = await fresh();
      const first = await sendVerification(d, user, meta);
      for (let i = 1; i < VERIFY_MAILS_PER_WINDOW; i++) await sendVerification(d, user, meta);
      assert.notEqual((await store.oneTimeTokens.find(first))!.consumedAt, null);
      const refusal = {
        code: 'too_many_attempts',
        status: 429,
        message: 'Too many verification mails for this account. Use the last code you got, or try again later.',
        fields: undefined,
      };
      assert.deepEqual(await thrown(sendVerification(d, user, meta)), { ...refusal, retryAfter: 900 });
      offset += 15 * 60_000 - 1500;
      assert.deepEqual(await thrown(sendVerification(d, user, meta)), { ...refusal, retryAfter: 2 });
      offset -= 15 * 60_000 - 1500;
      assert.deepEqual(await store.throttle.peek(`verify-mail:${user.id}`, now()), { count: 6, resetAt: now() + 15 * 60_000 });
    });

    it('the right code verifies the email (audited as "code"); a wrong one counts; a disabled or missing account is expired', async () => {
      const user = await fresh();
      const s = await sent(user);
      const pending = { accountId: user.id, tokenId: s.tokenId, amr: ['pwd'] };
      const wrong = String((Number(s.code) + 1) % 1_000_000).padStart(6, '0');
      assert.equal(((await thrown(verifyCode(d, pending, wrong, meta))) as { message: string }).message, 'That code is not right. 4 tries left.');
      assert.equal((await store.users.findById(user.id))!.emailVerified, false);
      assert.equal((await verifyCode(d, pending, s.code, { ip: '10.6.0.2', userAgent: null })).id, user.id);
      assert.equal((await store.users.findById(user.id))!.emailVerified, true);
      const [e] = await store.audit.list({ kind: 'email_verified', limit: 1 });
      assert.deepEqual(
        { actorId: e!.actorId, subjectId: e!.subjectId, ip: e!.ip, data: e!.data },
        { actorId: user.id, subjectId: user.id, ip: '10.6.0.2', data: { method: 'code' } },
      );
      assert.deepEqual(await thrown(verifyCode(d, pending, s.code, meta)), EXPIRED);

      const other = await fresh();
      const s2 = await sent(other);
      assert.deepEqual(await thrown(verifyCode(d, { accountId: 'v-missing', tokenId: s2.tokenId, amr: [] }, s2.code, meta)), EXPIRED);
      await store.users.setDisabled(other.id, true, now());
      assert.deepEqual(await thrown(verifyCode(d, { accountId: other.id, tokenId: s2.tokenId, amr: [] }, s2.code, meta)), EXPIRED);
      assert.equal((await store.oneTimeTokens.find(s2.tokenId))!.consumedAt, null);
    });

    it('the link verifies the email once (audited as "link"); refused when unknown, used, without or with a disabled account', async () => {
      const user = await fresh();
      const s = await sent(user);
      assert.equal((await verifyLink(d, s.secret, { ip: '10.6.0.3', userAgent: 'ua-l' })).id, user.id);
      assert.equal((await store.users.findById(user.id))!.emailVerified, true);
      assert.equal((await store.oneTimeTokens.find(s.tokenId))!.consumedAt, now());
      const [e] = await store.audit.list({ kind: 'email_verified', limit: 1 });
      assert.deepEqual(
        { actorId: e!.actorId, subjectId: e!.subjectId, ip: e!.ip, userAgent: e!.userAgent, data: e!.data },
        { actorId: user.id, subjectId: user.id, ip: '10.6.0.3', userAgent: 'ua-l', data: { method: 'link' } },
      );
      assert.deepEqual(await thrown(verifyLink(d, s.secret, meta)), LINK_GONE);
      assert.deepEqual(await thrown(verifyLink(d, 'x'.repeat(43), meta)), LINK_GONE);
      const mk = (secret: string, userId: string | null) =>
        store.oneTimeTokens.create({
          id: sha256(secret),
          purpose: VERIFY_PURPOSE,
          userId,
          email: 'x@example.com',
          codeHash: null,
          createdAt: now(),
          expiresAt: now() + 1000,
          data: {},
        });
      await mk('a'.repeat(43), null);
      assert.deepEqual(await thrown(verifyLink(d, 'a'.repeat(43), meta)), LINK_GONE);
      await mk('b'.repeat(43), 'v-missing');
      assert.deepEqual(await thrown(verifyLink(d, 'b'.repeat(43), meta)), LINK_GONE);
      const off = await fresh();
      const s2 = await sent(off);
      await store.users.setDisabled(off.id, true, now());
      assert.deepEqual(await thrown(verifyLink(d, s2.secret, meta)), LINK_GONE);
      assert.equal((await store.oneTimeTokens.find(s2.tokenId))!.consumedAt, null);
      assert.equal((await store.users.findById(off.id))!.emailVerified, false);
    });

    it('two uses of one link at once: one verifies, the other is refused', async () => {
      const user = await fresh();
      const s = await sent(user);
      const results = await Promise.allSettled([verifyLink(d, s.secret, meta), verifyLink(d, s.secret, meta)]);
      assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
      assert.equal((await store.audit.list({ kind: 'email_verified', subjectId: user.id })).length, 1);
    });
  });
}
