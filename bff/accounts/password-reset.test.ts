/**
 * "Forgot password?": the same answer for known and unknown emails, one mail
 * (through a real SMTP server) for a known one, a single-use link valid 30
 * minutes that works in another browser, the strength rule, throttles per
 * email and per address, and the user's other access ended unless unticked.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { TEST_SECRETS_ENV, startTestApp, type TestApp } from '../testing/test-app.ts';
import { startInbox, type Inbox } from '../testing/smtp-inbox.ts';
import { Agent, signedInAgent } from '../testing/agent.ts';
import { partnerTokens, refreshWith, testPartner, type TestPartner } from '../testing/partner.ts';
import { createAccount } from './accounts.ts';
import { RESET_PER_EMAIL, RESET_PER_IP, RESET_TTL_MS } from './password-reset.ts';

const OLD = 'the old long passphrase 1';
const NEW = 'a brand new long passphrase 2';

async function ask(agent: Agent, email: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await agent.api('POST', '/bff/password-reset', { email });
  return { status: res.status, body: await res.json() };
}

/** The real `portal` command, run without blocking this process (the test app serves from it). */
function cli(app: TestApp, args: string[]): Promise<{ status: number; out: Record<string, string> | null; err: string }> {
  const env = {
    ...process.env,
    ...TEST_SECRETS_ENV,
    DATABASE_URL: app.config.databaseUrl,
    NODE_ENV: 'test',
    PUBLIC_URL: app.url,
    SMTP_URL: 'smtp://127.0.0.1:9',
  };
  return new Promise((resolve) => {
    execFile(process.execPath, ['bin/portal.js', 'user', 'reset-link', ...args], { env, encoding: 'utf8' }, (error, stdout, stderr) => {
      resolve({ status: error ? Number(error.code ?? 1) : 0, out: stdout ? (JSON.parse(stdout) as Record<string, string>) : null, err: stderr });
    });
  });
}

const tokenIn = (text: string): string => {
  const m = /\/reset-password#token=([A-Za-z0-9_-]+)/.exec(text);
  if (!m) throw new Error(`no reset link in: ${text}`);
  return m[1]!;
};

async function canSignIn(app: TestApp, email: string, password: string): Promise<boolean> {
  try {
    await signedInAgent(app.url, email, password);
    return true;
  } catch {
    return false;
  }
}

for (const db of ['sqlite', 'postgres'] as const) {
  describe(`password reset (${db})`, () => {
    let app: TestApp;
    let inbox: Inbox;
    let p: TestPartner;
    let n = 0;
    const fresh = async () => {
      const email = `reset-${db}-${++n}@example.com`;
      const user = await createAccount(app.store, { email, password: OLD, emailVerified: true }, Date.now());
      return { email, user };
    };
    /** Asks for a link and reads it from the mail that arrives. */
    const mailedToken = async (email: string): Promise<string> => {
      const before = inbox.to(email).length;
      assert.equal((await ask(new Agent(app.url), email)).status, 202);
      const mails = await inbox.waitForTo(email, before + 1);
      assert.equal(mails.length, before + 1);
      return tokenIn(mails.at(-1)!.mail.text ?? '');
    };

    before(async () => {
      inbox = await startInbox();
      app = await startTestApp({ db, env: { SMTP_URL: inbox.url, SESSION_CACHE_MS: '0' } });
      p = await testPartner(app);
    });
    after(async () => {
      await app.close();
      await inbox.close();
    });

    it('answers the same for a known and an unknown email; only the known one gets a mail', async () => {
      const { email, user } = await fresh();
      const known = await ask(new Agent(app.url), email);
      const unknown = await ask(new Agent(app.url), `nobody-${db}@example.com`);
      assert.deepEqual(known, unknown);
      assert.equal(known.status, 202);
      const [mail] = await inbox.waitFor(1);
      assert.equal(app.mail.worker && (await app.mail.worker.runOnce()), 0);
      assert.equal(inbox.arrivals.length, 1);
      assert.deepEqual(mail!.envelopeTo, [email]);
      assert.match(mail!.mail.subject ?? '', /^Reset your password · /);
      assert.match(String(mail!.mail.html), /reset-password#token=/);
      assert.equal((await app.store.audit.list({ kind: 'password_reset_requested', subjectId: user.id })).length, 1);
    });

    it('the link works once, in another browser; the old password stops working', async () => {
      const { email } = await fresh();
      const token = await mailedToken(email);
      const elsewhere = new Agent(app.url);
      assert.deepEqual(await (await elsewhere.api('POST', '/bff/password-reset/check', { token })).json(), { email });
      const weak = await elsewhere.api('POST', '/bff/password-reset/complete', { token, password: 'short' });
      assert.equal(weak.status, 400);
      assert.equal((await weak.json()).error, 'weak_password');
      const done = await elsewhere.api('POST', '/bff/password-reset/complete', { token, password: NEW });
      assert.equal(done.status, 200, 'a weak try left the link usable');
      const again = await elsewhere.api('POST', '/bff/password-reset/complete', { token, password: `${NEW} again` });
      assert.equal(again.status, 410);
      assert.equal((await again.json()).error, 'reset_link_invalid');
      assert.equal(await canSignIn(app, email, OLD), false);
      assert.equal(await canSignIn(app, email, NEW), true);
    });

    it('refuses an expired, tampered or superseded link with a clear 410', async () => {
      const { email } = await fresh();
      const first = await mailedToken(email);
      const second = await mailedToken(email);
      const agent = new Agent(app.url);
      for (const token of [first, `${second.slice(0, -2)}xx`, 'not-a-token']) {
        const res = await agent.api('POST', '/bff/password-reset/complete', { token, password: NEW });
        assert.equal(res.status, 410);
        assert.match((await res.json()).message, /Ask for a new one/);
      }
      app.clock.offset += RESET_TTL_MS;
      const late = await agent.api('POST', '/bff/password-reset/check', { token: second });
      assert.equal(late.status, 410);
      assert.equal(await canSignIn(app, email, OLD), true, 'nothing changed');
    });

    it('ends every BFF session and revokes partner refresh tokens; audited', async () => {
      const { email, user } = await fresh();
      const browser = await signedInAgent(app.url, email, OLD);
      const partner = await partnerTokens(app, p, { email, password: OLD });
      const token = await mailedToken(email);
      assert.equal((await new Agent(app.url).api('POST', '/bff/password-reset/complete', { token, password: NEW })).status, 200);
      assert.equal((await (await browser.api('GET', '/bff/session')).json()).authenticated, false);
      assert.equal((await refreshWith(app, p, partner.refresh_token!)).body.error, 'invalid_grant');
      const revoked = await app.store.audit.list({ kind: 'sessions_revoked', subjectId: user.id });
      assert.equal(revoked.length, 1);
      assert.equal(revoked[0]!.data.reason, 'password_reset');
      assert.equal(revoked[0]!.data.bffSessions, 1);
      assert.equal((await app.store.audit.list({ kind: 'password_reset', subjectId: user.id })).length, 1);
    });

    it('with "Sign out everywhere" unticked, other sessions and partner tokens stay', async () => {
      const { email, user } = await fresh();
      const browser = await signedInAgent(app.url, email, OLD);
      const partner = await partnerTokens(app, p, { email, password: OLD });
      const token = await mailedToken(email);
      const res = await new Agent(app.url).api('POST', '/bff/password-reset/complete', { token, password: NEW, signOutEverywhere: false });
      assert.deepEqual(await res.json(), { ok: true, email, signedOutEverywhere: false });
      assert.equal((await (await browser.api('GET', '/bff/session')).json()).authenticated, true);
      assert.equal((await refreshWith(app, p, partner.refresh_token!)).status, 200);
      assert.equal((await app.store.audit.list({ kind: 'sessions_revoked', subjectId: user.id })).length, 0);
    });

    it(`throttles: after ${RESET_PER_EMAIL} per email no more mail (same answer); after ${RESET_PER_IP} per address 429`, async () => {
      app.clock.offset += 15 * 60_000; // a fresh window for this address
      const { email } = await fresh();
      const before = inbox.arrivals.length;
      const answers = [];
      for (let i = 0; i < RESET_PER_EMAIL + 2; i++) answers.push(await ask(new Agent(app.url), email));
      assert.deepEqual(new Set(answers.map((a) => JSON.stringify(a))).size, 1, 'every answer the same');
      await inbox.waitFor(before + RESET_PER_EMAIL);
      assert.equal(await app.mail.worker!.runOnce(), 0);
      assert.equal(inbox.to(email).length, RESET_PER_EMAIL);
      for (let i = RESET_PER_EMAIL + 2; i < RESET_PER_IP; i++) assert.equal((await ask(new Agent(app.url), `x${i}-${db}@example.com`)).status, 202);
      const limited = await ask(new Agent(app.url), `y-${db}@example.com`);
      assert.equal(limited.status, 429);
      assert.equal(limited.body.error, 'too_many_attempts');
    });

    it('portal user reset-link prints a working link, or queues the mail with --mail; audited', async () => {
      app.clock.offset = 0; // the CLI runs on the real clock
      const { email, user } = await fresh();
      const printed = await cli(app, ['--email', email.toUpperCase()]);
      assert.equal(printed.status, 0, printed.err);
      assert.equal(printed.out!.email, email);
      const token = tokenIn(printed.out!.link!);
      const res = await new Agent(app.url).api('POST', '/bff/password-reset/complete', { token, password: NEW });
      assert.equal(res.status, 200);
      assert.equal(await canSignIn(app, email, NEW), true);

      const queued = await cli(app, ['--email', email, '--mail']);
      assert.equal(queued.status, 0, queued.err);
      const before = inbox.to(email).length;
      await app.mail.worker!.runOnce(); // the running portal's worker delivers what the CLI queued
      const mails = await inbox.waitForTo(email, before + 1);
      assert.equal(mails.length, before + 1);
      assert.match(mails.at(-1)!.mail.text ?? '', /reset-password#token=/);
      assert.equal((await app.store.audit.list({ kind: 'password_reset_link_issued', subjectId: user.id })).length, 2);

      const unknown = await cli(app, ['--email', `nobody-cli-${db}@example.com`]);
      assert.equal(unknown.status, 1);
      assert.match(unknown.err, /no user with the email/);
    });

    it('refuses input that is not an email with a clear 400', async () => {
      const res = await ask(new Agent(app.url), 'not an email');
      assert.equal(res.status, 400);
      assert.equal(res.body.error, 'invalid_email');
    });
  });
}
