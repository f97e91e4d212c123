/**
 * SIGNUP=open: "Create account" on the sign-in screen makes an unverified
 * account and goes on to the emailed code; invite (the default) and closed
 * refuse it. Invitations: `portal user invite` mails a link to a "set your
 * password" screen; accepting verifies the email, once.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { TEST_SECRETS_ENV, startTestApp, type TestApp } from '../testing/test-app.ts';
import { startInbox, type Inbox } from '../testing/smtp-inbox.ts';
import { Agent, signedInAgent } from '../testing/agent.ts';

const PASSWORD = 'a fine long passphrase 7';

async function interaction(app: TestApp) {
  const agent = new Agent(app.url);
  const { url } = await agent.follow('/bff/login?returnTo=/account', (u) => u.pathname.startsWith('/interaction/'));
  const uid = url.pathname.split('/')[2]!;
  return { agent, uid, info: (await (await agent.api('GET', `/bff/interaction/${uid}`)).json()) as Record<string, unknown> };
}

function invite(app: TestApp, email: string): Promise<{ status: number; err: string }> {
  const env = {
    ...process.env,
    ...TEST_SECRETS_ENV,
    DATABASE_URL: app.config.databaseUrl,
    NODE_ENV: 'test',
    PUBLIC_URL: app.url,
    SMTP_URL: 'smtp://127.0.0.1:9',
  };
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['bin/portal.js', 'user', 'invite', '--email', email, '--name', 'Invited Person'],
      { env, encoding: 'utf8' },
      (error, _out, stderr) => resolve({ status: error ? Number(error.code ?? 1) : 0, err: stderr }),
    );
  });
}

for (const db of ['sqlite', 'postgres'] as const) {
  describe(`sign-up and invitations (${db})`, () => {
    let open: TestApp;
    let invited: TestApp;
    let inbox: Inbox;
    before(async () => {
      inbox = await startInbox();
      open = await startTestApp({ db, env: { SMTP_URL: inbox.url, SIGNUP: 'open' } });
      invited = await startTestApp({ db, env: { SMTP_URL: inbox.url } });
    });
    after(async () => {
      await open.close();
      await invited.close();
      await inbox.close();
    });

    it('SIGNUP=open: creates an unverified account, asks for the mailed code, then signs in', async () => {
      const email = `new-${db}@example.com`;
      const s = await interaction(open);
      assert.equal(s.info.signUp, true);
      const weak = await s.agent.api('POST', `/bff/interaction/${s.uid}/sign-up`, { email, name: 'New', password: 'short' });
      assert.deepEqual([weak.status, (await weak.json()).error], [400, 'weak_password']);
      const res = await s.agent.api('POST', `/bff/interaction/${s.uid}/sign-up`, { email, name: 'New Person', password: PASSWORD });
      assert.deepEqual(await res.json(), { next: 'verify_email', email });
      const user = (await open.store.users.findByEmail(email))!;
      assert.equal(user.emailVerified, false);
      const code = /Your code: (\d{6})/.exec((await inbox.waitForTo(email, 1))[0]!.mail.text ?? '')![1]!;
      const done = await s.agent.api('POST', `/bff/interaction/${s.uid}/verify-email`, { code });
      assert.equal(done.status, 200);
      assert.equal((await open.store.users.findById(user.id))!.emailVerified, true);
      assert.deepEqual(
        (await open.store.audit.list({ kind: 'user_created', subjectId: user.id })).map((e) => e.data.via),
        ['sign_up'],
      );
      const t = await interaction(open);
      const taken = await t.agent.api('POST', `/bff/interaction/${t.uid}/sign-up`, { email, password: PASSWORD });
      assert.deepEqual([taken.status, (await taken.json()).error], [409, 'email_taken']);
    });

    it('SIGNUP=invite (default): the screen offers no sign-up and the endpoint refuses it', async () => {
      const s = await interaction(invited);
      assert.equal(s.info.signUp, false);
      const res = await s.agent.api('POST', `/bff/interaction/${s.uid}/sign-up`, { email: `x-${db}@example.com`, password: PASSWORD });
      assert.deepEqual([res.status, (await res.json()).error], [403, 'signup_closed']);
      assert.equal(await invited.store.users.findByEmail(`x-${db}@example.com`), null);
    });

    it('portal user invite mails a link; setting the password verifies the email, once', async () => {
      const email = `invitee-${db}@example.com`;
      const r = await invite(invited, email);
      assert.equal(r.status, 0, r.err);
      await invited.mail.worker!.runOnce();
      const mail = (await inbox.waitForTo(email, 1))[0]!.mail;
      assert.match(mail.subject ?? '', /^You are invited · /);
      const token = /\/accept-invite#token=([A-Za-z0-9_-]+)/.exec(mail.text ?? '')![1]!;
      const browser = new Agent(invited.url);
      assert.deepEqual(await (await browser.api('POST', '/bff/invitations/check', { token })).json(), { email, name: 'Invited Person' });
      assert.equal((await browser.api('POST', '/bff/invitations/accept', { token, password: PASSWORD })).status, 200);
      assert.equal((await invited.store.users.findByEmail(email))!.emailVerified, true);
      const reuse = await browser.api('POST', '/bff/invitations/accept', { token, password: `${PASSWORD}x` });
      assert.deepEqual([reuse.status, (await reuse.json()).error], [410, 'invitation_invalid']);
      await signedInAgent(invited.url, email, PASSWORD);
    });
  });
}
