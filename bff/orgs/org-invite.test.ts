/**
 * `portal org invite` mails the person the same invitation `portal user
 * invite` sends (through the outbox, read here from a real SMTP server):
 * its link sets a password and verifies the email. Someone who already has
 * a password gets no account mail, only the organization invitation token.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { TEST_SECRETS_ENV, startTestApp, type TestApp } from '../testing/test-app.ts';
import { startInbox, type Inbox } from '../testing/smtp-inbox.ts';
import { Agent, signedInAgent } from '../testing/agent.ts';
import { createAccount } from '../accounts/accounts.ts';
import { createOrganization } from './orgs.ts';

const PASSWORD = 'a fine long passphrase 7';

function portal(app: TestApp, args: string[]): Promise<{ status: number; out: string; err: string }> {
  const env = {
    ...process.env,
    ...TEST_SECRETS_ENV,
    DATABASE_URL: app.config.databaseUrl,
    NODE_ENV: 'test',
    PUBLIC_URL: app.url,
    SMTP_URL: 'smtp://127.0.0.1:9',
  };
  return new Promise((resolve) => {
    execFile(process.execPath, ['bin/portal.js', ...args], { env, encoding: 'utf8' }, (error, out, err) =>
      resolve({ status: error ? Number(error.code ?? 1) : 0, out, err }),
    );
  });
}

for (const db of ['sqlite', 'postgres'] as const) {
  describe(`portal org invite mails the invitation (${db})`, () => {
    let inbox: Inbox;
    let app: TestApp;
    before(async () => {
      inbox = await startInbox();
      app = await startTestApp({ db, env: { SMTP_URL: inbox.url } });
      await createOrganization(app.store, `Acme ${db}`, Date.now());
    });
    after(async () => {
      await app.close();
      await inbox.close();
    });

    it('a new person gets the set-your-password mail; accepting verifies the email', async () => {
      const email = `org-invitee-${db}@example.com`;
      const r = await portal(app, ['org', 'invite', '--org', `Acme ${db}`, '--email', email, '--name', 'Org Invitee']);
      assert.equal(r.status, 0, r.err);
      const printed = JSON.parse(r.out) as Record<string, unknown>;
      assert.equal(typeof printed.invitation_token, 'string');
      assert.equal(typeof (printed.account_invitation as { queued: unknown }).queued, 'string');
      await app.mail.worker!.runOnce();
      const arrivals = await inbox.waitForTo(email, 1);
      assert.equal(arrivals.length, 1);
      const mail = arrivals[0]!.mail;
      assert.match(mail.subject ?? '', /^You are invited · /);
      const token = /\/accept-invite#token=([A-Za-z0-9_-]+)/.exec(mail.text ?? '')![1]!;
      assert.equal(mail.text!.includes(String(printed.invitation_token)), false, 'the mail carries only its own secret');
      const browser = new Agent(app.url);
      assert.deepEqual(await (await browser.api('POST', '/bff/invitations/check', { token })).json(), { email, name: 'Org Invitee' });
      assert.equal((await browser.api('POST', '/bff/invitations/accept', { token, password: PASSWORD })).status, 200);
      assert.equal((await app.store.users.findByEmail(email))!.emailVerified, true);
      await signedInAgent(app.url, email, PASSWORD);
    });

    it('someone who already has a password gets the token but no account mail', async () => {
      const email = `org-member-${db}@example.com`;
      await createAccount(app.store, { email, password: PASSWORD, emailVerified: true }, Date.now());
      const before = inbox.arrivals.length;
      const r = await portal(app, ['org', 'invite', '--org', `Acme ${db}`, '--email', email]);
      assert.equal(r.status, 0, r.err);
      const printed = JSON.parse(r.out) as Record<string, unknown>;
      assert.equal(typeof printed.invitation_token, 'string');
      assert.match(String(printed.account_invitation), /^not needed/);
      assert.equal(await app.mail.worker!.runOnce(), 0);
      assert.equal(inbox.arrivals.length, before);
    });
  });
}
