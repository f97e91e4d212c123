/**
 * Password reset (password-reset.ts) called as a module, where mutation testing
 * (docs/mutation.md) asks for the edges that password-reset.test.ts (through the
 * app) does not pin: the link's exact form and the token row behind it, the mail
 * (through a real SMTP server) and the audit entry of each kind of request field by
 * field (known, unknown, disabled, past the per-email count), the per-address limit
 * from both sides with its sentence, each reason a link is refused (410, exact
 * body), and completing: the weak-password answer, the password set, the email
 * proven and unverified upstream links removed (audited) only for an unverified
 * account, and what is revoked with and without "sign out everywhere". Real store
 * (a SQLite file and a PostgreSQL schema), real audit chain and mail outbox; no app.
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
import { verifyPassword } from './passwords.ts';
import { liveToken, sha256 } from './one-time.ts';
import {
  RESET_PER_EMAIL,
  RESET_PER_IP,
  RESET_PURPOSE,
  RESET_REQUESTED_MESSAGE,
  RESET_TTL_MS,
  checkResetLink,
  completePasswordReset,
  issueResetLink,
  requestPasswordReset,
  resetLink,
} from './password-reset.ts';

const PUBLIC_URL = 'https://portal.example.test';
const INVALID = 'This password reset link has expired or was already used. Ask for a new one from the sign-in screen.';
const GOOD = 'a brand new long passphrase 2';

async function thrown(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
    return 'none';
  } catch (e) {
    if (!(e instanceof AppError)) return `not an AppError: ${String(e)}`;
    return { code: e.code, status: e.status, message: e.message, fields: e.fields, retryAfter: e.retryAfter };
  }
}

const tokenIn = (text: string): string => {
  const m = /https:\/\/portal\.example\.test\/reset-password#token=([A-Za-z0-9_-]{43})\n/.exec(text);
  if (!m) throw new Error(`no reset link in: ${text}`);
  return m[1]!;
};

const gone = { code: 'reset_link_invalid', status: 410, message: INVALID, fields: undefined, retryAfter: undefined };

describe('the reset link', () => {
  it('carries the secret in the fragment of /reset-password, and the constants are as documented', () => {
    assert.equal(resetLink({ publicUrl: 'https://p.example' } as Config, 'abc'), 'https://p.example/reset-password#token=abc');
    assert.equal(RESET_TTL_MS, 30 * 60_000);
    assert.equal(RESET_PER_EMAIL, 3);
    assert.equal(RESET_PER_IP, 20);
    assert.equal(RESET_PURPOSE, 'password_reset');
    assert.equal(RESET_REQUESTED_MESSAGE, 'If an account uses that email, a link to choose a new password is on its way. It works for 30 minutes.');
  });
});

for (const db of ['sqlite', 'postgres'] as const) {
  describe(`password reset as a module (${db})`, { timeout: 60_000 }, () => {
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
    let ipN = 0;
    const meta = () => ({ ip: `10.9.0.${++ipN}`, userAgent: 'ua-test' });
    const fresh = async (o: { verified?: boolean } = {}): Promise<User> =>
      store.users.create(
        { id: `u-${db}-${++n}`, email: `reset-${n}@example.com`, name: `Person ${n}`, passwordHash: null, role: 'user', emailVerified: o.verified ?? true },
        now(),
      );
    const lastAudit = async (kind: string) => (await store.audit.list({ kind, limit: 1 }))[0];

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

    it('a known account gets one mail with a 30-minute link, a token row, and an audit entry', async () => {
      const user = await fresh();
      await requestPasswordReset(d, `  ${user.email.toUpperCase()} `, { ip: '10.8.0.1', userAgent: 'ua-known' });
      const [m] = await inbox.waitForTo(user.email, 1);
      assert.equal(m!.mail.subject, 'Reset your password · Portal');
      assert.match(m!.mail.text ?? '', /The link works once, for 30 minutes, in any browser\./);
      // The outbox row names the mail's kind (its log lines and delivery are grouped by it).
      assert.deepEqual(
        (await rawSql<{ kind: string }>(url, 'SELECT kind FROM mail_outbox WHERE to_address = $1', [user.email])).map((r) => r.kind),
        ['password_reset'],
      );
      const secret = tokenIn(m!.mail.text ?? '');
      const t = await store.oneTimeTokens.find(sha256(secret));
      assert.deepEqual(
        { ...t, data: undefined },
        {
          id: sha256(secret),
          purpose: 'password_reset',
          userId: user.id,
          email: user.email,
          codeHash: null,
          attempts: 0,
          createdAt: now(),
          expiresAt: now() + RESET_TTL_MS,
          consumedAt: null,
          data: undefined,
        },
      );
      const e = await lastAudit('password_reset_requested');
      assert.deepEqual(
        { kind: e!.kind, actorId: e!.actorId, subjectId: e!.subjectId, ip: e!.ip, userAgent: e!.userAgent, data: e!.data },
        { kind: 'password_reset_requested', actorId: null, subjectId: user.id, ip: '10.8.0.1', userAgent: 'ua-known', data: { sent: true } },
      );
      assert.deepEqual(await store.throttle.peek('reset-ip:10.8.0.1', now()), { count: 1, resetAt: now() + 15 * 60_000 });
      assert.deepEqual(await store.throttle.peek(`reset-email:${sha256(user.email)}`, now()), { count: 1, resetAt: now() + 15 * 60_000 });
    });

    it('an unknown email and a disabled account get no mail, each audited as such', async () => {
      await requestPasswordReset(d, 'nobody-here@example.com', { ip: '10.8.0.2', userAgent: null });
      const e = await lastAudit('password_reset_requested');
      assert.deepEqual(
        { subjectId: e!.subjectId, ip: e!.ip, userAgent: e!.userAgent, data: e!.data },
        { subjectId: null, ip: '10.8.0.2', userAgent: null, data: { sent: false, unknownEmail: true } },
      );
      const off = await fresh();
      const { link } = await issueResetLink(d, off, now());
      await store.users.setDisabled(off.id, true, now());
      await requestPasswordReset(d, off.email, meta());
      const e2 = await lastAudit('password_reset_requested');
      assert.deepEqual({ subjectId: e2!.subjectId, data: e2!.data }, { subjectId: off.id, data: { sent: false } });
      // No new link replaced the one issued before it was disabled.
      const secret = link.split('#token=')[1]!;
      assert.equal((await liveToken(store, secret, RESET_PURPOSE, now()))?.userId, off.id);
      assert.deepEqual(await thrown(checkResetLink(d, secret)), gone);
    });

    it('past three requests for one email in the window, no more mail and the same answer', async () => {
      const user = await fresh();
      for (let i = 0; i < RESET_PER_EMAIL; i++) await requestPasswordReset(d, user.email, meta());
      const mails = await inbox.waitForTo(user.email, RESET_PER_EMAIL);
      assert.equal(mails.length, RESET_PER_EMAIL);
      // The worker may deliver them in any order: each newer link ended the older ones.
      const secrets = mails.map((m) => tokenIn(m.mail.text ?? ''));
      const live = async () => (await Promise.all(secrets.map((s) => liveToken(store, s, RESET_PURPOSE, now())))).filter((t) => t !== null).length;
      assert.equal(await live(), 1);
      assert.deepEqual((await lastAudit('password_reset_requested'))!.data, { sent: true });
      await requestPasswordReset(d, user.email, meta());
      assert.deepEqual((await lastAudit('password_reset_requested'))!.data, { sent: false, throttled: true });
      // The fourth issued nothing: the third link still works.
      assert.equal(await live(), 1);
    });

    it('refuses one address past 20 requests in the window with 429 and its sentence', async () => {
      const ip = '10.8.0.99';
      for (let i = 0; i < RESET_PER_IP; i++) await requestPasswordReset(d, `unknown-${db}-${i}@example.com`, { ip, userAgent: null });
      assert.deepEqual(await thrown(requestPasswordReset(d, 'unknown-last@example.com', { ip, userAgent: null })), {
        code: 'too_many_attempts',
        status: 429,
        message: 'Too many password reset requests from your network. Try again later.',
        fields: undefined,
        retryAfter: 900,
      });
    });

    it('a link names its account while live; refused (410) when unknown, used, expired, of a disabled or missing account, or without one', async () => {
      const user = await fresh();
      const { link, expiresAt } = await issueResetLink(d, user, now());
      assert.equal(expiresAt, now() + RESET_TTL_MS);
      assert.ok(link.startsWith(`${PUBLIC_URL}/reset-password#token=`));
      const secret = link.split('#token=')[1]!;
      assert.deepEqual(await checkResetLink(d, secret), { email: user.email });
      assert.deepEqual(await thrown(checkResetLink(d, 'x'.repeat(43))), gone);
      // A newer link ends the older one.
      const newer = (await issueResetLink(d, user, now())).link.split('#token=')[1]!;
      assert.deepEqual(await thrown(checkResetLink(d, secret)), gone);
      offset += RESET_TTL_MS;
      assert.deepEqual(await thrown(checkResetLink(d, newer)), gone);
      offset -= RESET_TTL_MS;
      assert.deepEqual(await checkResetLink(d, newer), { email: user.email });
      // A token of this purpose without an account, or whose account is gone.
      await store.oneTimeTokens.create({
        id: sha256('n'.repeat(43)),
        purpose: RESET_PURPOSE,
        userId: null,
        email: 'x@example.com',
        codeHash: null,
        createdAt: now(),
        expiresAt: now() + 1000,
        data: {},
      });
      assert.deepEqual(await thrown(checkResetLink(d, 'n'.repeat(43))), gone);
      await store.oneTimeTokens.create({
        id: sha256('m'.repeat(43)),
        purpose: RESET_PURPOSE,
        userId: 'u-missing',
        email: 'x@example.com',
        codeHash: null,
        createdAt: now(),
        expiresAt: now() + 1000,
        data: {},
      });
      assert.deepEqual(await thrown(checkResetLink(d, 'm'.repeat(43))), gone);
      assert.deepEqual(
        await thrown(completePasswordReset(d, { token: 'm'.repeat(43), password: GOOD, signOutEverywhere: false, endBffSessions: async () => 0 }, meta())),
        gone,
      );
      assert.deepEqual(
        await thrown(completePasswordReset(d, { token: 'n'.repeat(43), password: GOOD, signOutEverywhere: false, endBffSessions: async () => 0 }, meta())),
        gone,
      );
    });

    it('completing: a weak password keeps the link; then the password is set, the link spent, nothing revoked when unticked', async () => {
      const user = await fresh();
      const secret = (await issueResetLink(d, user, now())).link.split('#token=')[1]!;
      const ended: string[] = [];
      const endBffSessions = async (userId: string) => (ended.push(userId), 2);
      const weak = 'The password must be at least 12 characters long.';
      assert.deepEqual(await thrown(completePasswordReset(d, { token: secret, password: 'short', signOutEverywhere: false, endBffSessions }, meta())), {
        code: 'weak_password',
        status: 400,
        message: weak,
        fields: { password: weak },
        retryAfter: undefined,
      });
      const hasEmail = 'The password must not contain your email address.';
      assert.equal(
        (
          (await thrown(completePasswordReset(d, { token: secret, password: `my ${user.email} pass`, signOutEverywhere: false, endBffSessions }, meta()))) as {
            message: string;
          }
        ).message,
        hasEmail,
      );
      const done = await completePasswordReset(
        d,
        { token: secret, password: GOOD, signOutEverywhere: false, endBffSessions },
        { ip: '10.8.1.1', userAgent: 'ua-done' },
      );
      assert.deepEqual({ id: done.user.id, revoked: done.revoked }, { id: user.id, revoked: null });
      assert.deepEqual(ended, []);
      const after = (await store.users.findById(user.id))!;
      assert.equal(await verifyPassword(after.passwordHash!, GOOD), true);
      assert.equal((await store.oneTimeTokens.find(sha256(secret)))!.consumedAt, now());
      const e = await lastAudit('password_reset');
      assert.deepEqual(
        { actorId: e!.actorId, subjectId: e!.subjectId, ip: e!.ip, userAgent: e!.userAgent, data: e!.data },
        { actorId: user.id, subjectId: user.id, ip: '10.8.1.1', userAgent: 'ua-done', data: { signOutEverywhere: false } },
      );
      assert.deepEqual(await thrown(completePasswordReset(d, { token: secret, password: GOOD, signOutEverywhere: false, endBffSessions }, meta())), gone);
    });

    it('completing with "sign out everywhere" ends the other sessions, audited with the counts', async () => {
      const user = await fresh();
      const secret = (await issueResetLink(d, user, now())).link.split('#token=')[1]!;
      const ended: Array<[string, string | undefined]> = [];
      const before = (await store.audit.list({ kind: 'sessions_revoked' })).length;
      const done = await completePasswordReset(
        d,
        { token: secret, password: GOOD, signOutEverywhere: true, endBffSessions: async (id, except) => (ended.push([id, except]), 3) },
        { ip: '10.8.1.2', userAgent: null },
      );
      assert.deepEqual(done.revoked, { bffSessions: 3, grants: 0, providerSessions: 0 });
      assert.deepEqual(ended, [[user.id, undefined]]);
      const entries = await store.audit.list({ kind: 'sessions_revoked' });
      assert.equal(entries.length, before + 1);
      assert.deepEqual(
        { actorId: entries[0]!.actorId, subjectId: entries[0]!.subjectId, ip: entries[0]!.ip, data: entries[0]!.data },
        { actorId: user.id, subjectId: user.id, ip: '10.8.1.2', data: { reason: 'password_reset', bffSessions: 3, grants: 0, providerSessions: 0 } },
      );
      assert.deepEqual((await lastAudit('password_reset'))!.data, { signOutEverywhere: true });
    });

    it('an unverified account is proven by the reset and loses its upstream links (audited); a verified one keeps them', async () => {
      const identity = (userId: string, subject: string) => ({
        connectionId: `conn-${db}`,
        subject,
        userId,
        email: null,
        tokens: null,
        tokensExpiresAt: null,
        version: 0,
        refreshLockUntil: null,
        linkedAt: 1_000,
        createdAt: 1_000,
        lastUsedAt: 2_000,
      });
      const unverified = await fresh({ verified: false });
      await store.federation.insertIdentity(identity(unverified.id, `s-${n}-a`));
      await store.federation.insertIdentity(identity(unverified.id, `s-${n}-b`));
      const verified = await fresh({ verified: true });
      await store.federation.insertIdentity(identity(verified.id, `s-${n}-c`));
      const before = (await store.audit.list({ kind: 'federation_unlinked' })).length;

      const s1 = (await issueResetLink(d, verified, now())).link.split('#token=')[1]!;
      await completePasswordReset(d, { token: s1, password: GOOD, signOutEverywhere: false, endBffSessions: async () => 0 }, meta());
      assert.equal((await store.federation.listLinkedIdentities(verified.id)).length, 1);
      assert.equal((await store.audit.list({ kind: 'federation_unlinked' })).length, before);

      const s2 = (await issueResetLink(d, unverified, now())).link.split('#token=')[1]!;
      await completePasswordReset(
        d,
        { token: s2, password: GOOD, signOutEverywhere: false, endBffSessions: async () => 0 },
        { ip: '10.8.1.3', userAgent: 'ua-u' },
      );
      assert.equal((await store.users.findById(unverified.id))!.emailVerified, true);
      assert.deepEqual(await store.federation.listLinkedIdentities(unverified.id), []);
      const e = await store.audit.list({ kind: 'federation_unlinked' });
      assert.equal(e.length, before + 1);
      assert.deepEqual(
        { actorId: e[0]!.actorId, subjectId: e[0]!.subjectId, ip: e[0]!.ip, userAgent: e[0]!.userAgent, data: e[0]!.data },
        {
          actorId: unverified.id,
          subjectId: unverified.id,
          ip: '10.8.1.3',
          userAgent: 'ua-u',
          data: { reason: 'password_reset_of_unverified_account', identities: 2 },
        },
      );

      // Unverified without upstream links: proven, nothing to audit.
      const bare = await fresh({ verified: false });
      const s3 = (await issueResetLink(d, bare, now())).link.split('#token=')[1]!;
      await completePasswordReset(d, { token: s3, password: GOOD, signOutEverywhere: false, endBffSessions: async () => 0 }, meta());
      assert.equal((await store.users.findById(bare.id))!.emailVerified, true);
      assert.equal((await store.audit.list({ kind: 'federation_unlinked' })).length, before + 1);
    });

    it('two completions of one link at once: one sets the password, the other is refused', async () => {
      const user = await fresh();
      const secret = (await issueResetLink(d, user, now())).link.split('#token=')[1]!;
      const c = (password: string) => completePasswordReset(d, { token: secret, password, signOutEverywhere: false, endBffSessions: async () => 0 }, meta());
      const results = await Promise.allSettled([c(GOOD), c(`${GOOD} other`)]);
      assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
      const refused = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
      assert.ok(refused.reason instanceof AppError && refused.reason.code === 'reset_link_invalid');
      const winner = results.findIndex((r) => r.status === 'fulfilled');
      const hash = (await store.users.findById(user.id))!.passwordHash!;
      assert.equal(await verifyPassword(hash, winner === 0 ? GOOD : `${GOOD} other`), true);
    });
  });
}
