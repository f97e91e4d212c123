/**
 * The `portal user reset-link` and `portal user invite` commands (cli.ts), called
 * in-process, where mutation testing (docs/mutation.md) asks for what a spawned
 * `portal` hides from Stryker's coverage: each refusal with its exact code and
 * sentence (unknown command, missing --email, unknown or disabled user, mail off),
 * the printed answer field by field, the audit entries with their delivery, and a
 * queued mail that a running portal's worker (real, to a real SMTP server) delivers
 * with a link that works. Real store (a SQLite file and a PostgreSQL schema) and
 * audit chain; no app.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Store } from '../store/store.ts';
import { TEST_SECRETS_ENV } from '../testing/test-app.ts';
import { openTempStore as tempStore } from '../testing/temp-store.ts';
import { rawSql } from '../testing/raw-sql.ts';
import { startInbox, type Inbox } from '../testing/smtp-inbox.ts';
import { loadConfig, type Config } from '../config/config.ts';
import { createLogger } from '../http/logger.ts';
import { createMail, type Mail } from '../mail/mail.ts';
import { createAudit, type Audit } from '../audit/audit.ts';
import { AppError } from '../http/errors.ts';
import { liveToken } from './one-time.ts';
import { RESET_PURPOSE, RESET_TTL_MS } from './password-reset.ts';
import { INVITE_PURPOSE, INVITE_TTL_MS } from './invitations.ts';
import { USER_MAIL_USAGE, runUserMailCommand, sendAccountInvitation } from './cli.ts';

const PUBLIC_URL = 'https://portal.example.test';
const FROM = '"Acme Portal" <portal@acme.test>';

async function thrown(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
    return 'none';
  } catch (e) {
    if (!(e instanceof AppError)) return `not an AppError: ${String(e)}`;
    return { code: e.code, status: e.status, message: e.message };
  }
}

const MAIL_OFF = { code: 'mail_disabled', status: 503, message: 'This portal cannot send mail (no SMTP_URL is configured). Ask an administrator.' };

describe('the user mail commands’ usage', () => {
  it('names both commands and their options', () => {
    assert.equal(
      USER_MAIL_USAGE,
      `  user reset-link --email E [--mail]    (prints a 30-minute, single-use link; --mail sends it instead)
  user invite --email E [--name N] [--print]   (mails a 7-day link to set a password; --print prints it instead)`,
    );
  });
});

for (const db of ['sqlite', 'postgres'] as const) {
  describe(`portal user reset-link / invite, in-process (${db})`, { timeout: 60_000 }, () => {
    let store: Store;
    let drop: () => Promise<void>;
    let url: string;
    let inbox: Inbox;
    let mail: Mail;
    let audit: Audit;
    let config: Config;
    let offConfig: Config;
    const now = Date.now();
    let n = 0;
    const ctx = () => ({ store, audit, config, now });
    const offCtx = () => ({ store, audit, config: offConfig, now });
    const lastAudit = async (kind: string) => (await store.audit.list({ kind, limit: 1 }))[0]!;
    const fresh = async () =>
      store.users.create({ id: `c-${db}-${++n}`, email: `cli-${n}@example.com`, name: `Cli ${n}`, passwordHash: 'x', role: 'user', emailVerified: true }, now);

    before(async () => {
      inbox = await startInbox();
      ({ store, drop, url } = await tempStore(db));
      const env = { PUBLIC_URL, DATABASE_URL: 'sqlite::memory:', ...TEST_SECRETS_ENV, LOG_LEVEL: 'silent', MAIL_FROM: FROM };
      config = loadConfig({ ...env, NODE_ENV: 'test', SMTP_URL: inbox.url });
      offConfig = loadConfig({ ...env, NODE_ENV: 'production' });
      assert.equal(offConfig.mail.mode, 'off');
      // The running portal whose worker delivers what the command queued.
      mail = createMail(config, store, createLogger('silent'), () => Date.now());
      audit = createAudit(store, () => now, config.auditKeys);
    });
    after(async () => {
      await mail.close();
      await inbox.close();
      await drop();
    });

    it('refuses an unknown command, a missing --email, an unknown or disabled user, and --mail with mail off', async () => {
      assert.deepEqual(await thrown(runUserMailCommand('frob', {}, ctx())), { code: 'unknown_command', status: 400, message: 'unknown command: user frob' });
      const missing = { code: 'missing_option', status: 400, message: '--email is required' };
      assert.deepEqual(await thrown(runUserMailCommand('reset-link', {}, ctx())), missing);
      assert.deepEqual(await thrown(runUserMailCommand('reset-link', { email: '' }, ctx())), missing);
      assert.deepEqual(await thrown(runUserMailCommand('reset-link', { email: true }, ctx())), missing);
      assert.deepEqual(await thrown(runUserMailCommand('reset-link', { email: ' Nobody@Example.com ' }, ctx())), {
        code: 'user_not_found',
        status: 404,
        message: 'no user with the email nobody@example.com',
      });
      const off = await fresh();
      await store.users.setDisabled(off.id, true, now);
      assert.deepEqual(await thrown(runUserMailCommand('reset-link', { email: off.email }, ctx())), {
        code: 'user_disabled',
        status: 400,
        message: `${off.email} is disabled: enable it first (portal user enable --email ${off.email})`,
      });
      const user = await fresh();
      assert.deepEqual(await thrown(runUserMailCommand('reset-link', { email: user.email, mail: true }, offCtx())), MAIL_OFF);
      assert.deepEqual(await thrown(runUserMailCommand('invite', {}, ctx())), missing);
      assert.deepEqual(await thrown(runUserMailCommand('invite', { email: '' }, ctx())), missing);
      assert.deepEqual(await thrown(runUserMailCommand('invite', { email: true }, ctx())), missing);
      assert.deepEqual(await thrown(runUserMailCommand('invite', { email: 'new-off@example.com' }, offCtx())), MAIL_OFF);
      assert.equal(await store.users.findByEmail('new-off@example.com'), null);
    });

    it('reset-link prints a working 30-minute link, audited as printed, even with mail off', async () => {
      const user = await fresh();
      const out = (await runUserMailCommand('reset-link', { email: user.email.toUpperCase() }, offCtx())) as Record<string, string>;
      assert.deepEqual(Object.keys(out), ['email', 'link', 'expires_at']);
      assert.equal(out.email, user.email);
      assert.equal(out.expires_at, new Date(now + RESET_TTL_MS).toISOString());
      const secret = /^https:\/\/portal\.example\.test\/reset-password#token=([A-Za-z0-9_-]{43})$/.exec(out.link!)![1]!;
      assert.equal((await liveToken(store, secret, RESET_PURPOSE, now))?.userId, user.id);
      const e = await lastAudit('password_reset_link_issued');
      assert.deepEqual(
        { actorId: e.actorId, subjectId: e.subjectId, data: e.data },
        { actorId: null, subjectId: user.id, data: { via: 'cli', delivery: 'printed' } },
      );
      // `mail` must be exactly true to mail it.
      const again = (await runUserMailCommand('reset-link', { email: user.email, mail: 'yes' }, offCtx())) as Record<string, string>;
      assert.ok(again.link);
    });

    it('reset-link --mail queues the mail; the worker delivers it with a link that works', async () => {
      const user = await fresh();
      const out = (await runUserMailCommand('reset-link', { email: user.email, mail: true }, ctx())) as Record<string, string>;
      assert.deepEqual(Object.keys(out), ['email', 'queued', 'expires_at']);
      assert.equal(out.email, user.email);
      assert.equal(out.expires_at, new Date(now + RESET_TTL_MS).toISOString());
      assert.equal(typeof out.queued, 'string');
      assert.deepEqual((await lastAudit('password_reset_link_issued')).data, { via: 'cli', delivery: 'mail' });
      assert.deepEqual(
        (await rawSql<{ kind: string }>(url, 'SELECT kind FROM mail_outbox WHERE id = $1', [out.queued!])).map((r) => r.kind),
        ['password_reset'],
      );
      mail.worker!.kick();
      const [m] = await inbox.waitForTo(user.email, 1);
      assert.equal(m!.mail.subject, 'Reset your password · Acme Portal');
      assert.equal(m!.mail.to && 'text' in m!.mail.to ? m!.mail.to.text : '', `"Cli ${n}" <${user.email}>`);
      const text = m!.mail.text ?? '';
      assert.match(text, /The link works once, for 30 minutes, in any browser\./);
      const secret = /https:\/\/portal\.example\.test\/reset-password#token=([A-Za-z0-9_-]{43})/.exec(text)![1]!;
      assert.equal((await liveToken(store, secret, RESET_PURPOSE, now))?.userId, user.id);
    });

    it('invite --print prints a 7-day link, audited as printed, even with mail off', async () => {
      const out = (await runUserMailCommand('invite', { email: `Printed-${db}@Example.com`, name: 'Pat', print: true }, offCtx())) as Record<string, string>;
      assert.deepEqual(Object.keys(out), ['email', 'link', 'expires_at']);
      assert.equal(out.email, `printed-${db}@example.com`);
      assert.equal(out.expires_at, new Date(now + INVITE_TTL_MS).toISOString());
      const secret = /^https:\/\/portal\.example\.test\/accept-invite#token=([A-Za-z0-9_-]{43})$/.exec(out.link!)![1]!;
      const user = (await store.users.findByEmail(`printed-${db}@example.com`))!;
      assert.equal(user.name, 'Pat');
      assert.equal((await liveToken(store, secret, INVITE_PURPOSE, now))?.userId, user.id);
      const e = await lastAudit('user_invited');
      assert.deepEqual(
        { actorId: e.actorId, subjectId: e.subjectId, data: e.data },
        { actorId: null, subjectId: user.id, data: { via: 'cli', delivery: 'printed' } },
      );
    });

    it('invite queues the mail (a name only when given as text); the worker delivers a link that works', async () => {
      const address = `mailed-${db}@example.com`;
      const out = (await runUserMailCommand('invite', { email: address, name: 42 }, ctx())) as Record<string, string>;
      assert.deepEqual(Object.keys(out), ['email', 'queued', 'expires_at']);
      assert.equal(out.expires_at, new Date(now + INVITE_TTL_MS).toISOString());
      assert.equal(typeof out.queued, 'string');
      const user = (await store.users.findByEmail(address))!;
      assert.equal(user.name, `mailed-${db}`, 'not the number given');
      assert.deepEqual((await lastAudit('user_invited')).data, { via: 'cli', delivery: 'mail' });
      assert.deepEqual(
        (await rawSql<{ kind: string }>(url, 'SELECT kind FROM mail_outbox WHERE id = $1', [out.queued!])).map((r) => r.kind),
        ['invitation'],
      );
      mail.worker!.kick();
      const [m] = await inbox.waitForTo(address, 1);
      assert.equal(m!.mail.subject, 'You are invited · Acme Portal');
      const text = m!.mail.text ?? '';
      assert.match(text, /The link works once, for 7 days\./);
      const secret = /https:\/\/portal\.example\.test\/accept-invite#token=([A-Za-z0-9_-]{43})/.exec(text)![1]!;
      assert.equal((await liveToken(store, secret, INVITE_PURPOSE, now))?.userId, user.id);
    });

    it('sendAccountInvitation records who asked, and queues nothing when printing', async () => {
      const sent = await sendAccountInvitation(ctx(), `org-${db}@example.com`, 'Org Person', { via: 'org', print: true });
      assert.equal(sent.queued, null);
      assert.equal(sent.expiresAt, now + INVITE_TTL_MS);
      assert.equal(sent.user.name, 'Org Person');
      assert.deepEqual((await lastAudit('user_invited')).data, { via: 'org', delivery: 'printed' });
    });
  });
}
