/**
 * The official SDK's `sendVerificationEmail` / `verifyEmail` and
 * `createPasswordReset` / `resetPassword` against the portal's own steps: the
 * mails arrive at a real SMTP server, no answer carries a secret, the reset
 * link's token (read from the mail) sets the password once and signs out
 * everywhere. SQLite and PostgreSQL.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestApp, type TestApp } from '../../testing/test-app.ts';
import { startInbox, type Inbox } from '../../testing/smtp-inbox.ts';
import { signedInAgent } from '../../testing/agent.ts';
import { createAccount } from '../../accounts/accounts.ts';
import { partner, PASSWORD, sdk, type Partner } from './test-helpers.ts';

interface Refusal {
  status: number;
  rawData: Record<string, unknown>;
}

const NEW_PASSWORD = 'a brand new passphrase 42';
const codeIn = (text: string) => /Your code: (\d{6})/.exec(text)?.[1] ?? assert.fail(`no code in ${text}`);
const resetTokenIn = (text: string) => /\/reset-password#token=([A-Za-z0-9_-]+)/.exec(text)?.[1] ?? assert.fail(`no link in ${text}`);

for (const db of ['sqlite', 'postgres'] as const) {
  describe(`WorkOS email verification and password reset endpoints (${db})`, () => {
    let app: TestApp;
    let inbox: Inbox;
    let conf: Partner;
    before(async () => {
      inbox = await startInbox();
      app = await startTestApp({ db, env: { SMTP_URL: inbox.url } });
      conf = await partner(app, false);
    });
    after(async () => {
      await app.close();
      await inbox.close();
    });

    it('sendVerificationEmail mails the code; verifyEmail with a wrong code counts, the right one verifies', async () => {
      const email = `vera-${db}@example.com`;
      const vera = await createAccount(app.store, { email, password: PASSWORD, name: 'Vera', emailVerified: false }, Date.now());
      const um = sdk(app, conf).userManagement;
      const sent = await um.sendVerificationEmail({ userId: vera.id });
      assert.equal(sent.user.email, email);
      assert.equal(sent.user.emailVerified, false);
      const mails = await inbox.waitForTo(email, 1);
      assert.equal(mails.length, 1);
      const code = codeIn(mails[0]!.mail.text ?? '');
      await assert.rejects(
        um.verifyEmail({ userId: vera.id, code: code === '000000' ? '111111' : '000000' }),
        (e: Refusal) => e.status === 400 && e.rawData.code === 'invalid_code',
      );
      const done = await um.verifyEmail({ userId: vera.id, code });
      assert.equal(done.user.emailVerified, true);
      assert.equal((await app.store.users.findById(vera.id))!.emailVerified, true);
      await assert.rejects(um.sendVerificationEmail({ userId: 'user_unknown' }), (e: Refusal) => e.status === 404);
    });

    it('createPasswordReset mails the link (no token in the answer); resetPassword sets the password once and signs out everywhere', async () => {
      const email = `rex-${db}@example.com`;
      await createAccount(app.store, { email, password: PASSWORD, name: 'Rex' }, Date.now());
      const browser = await signedInAgent(app.url, email, PASSWORD);
      const um = sdk(app, conf).userManagement;
      const reset = await um.createPasswordReset({ email });
      assert.deepEqual([reset.object, reset.email, reset.passwordResetToken, reset.passwordResetUrl], ['password_reset', email, undefined, undefined]);
      const mails = await inbox.waitForTo(email, 1);
      assert.equal(mails.length, 1);
      const token = resetTokenIn(mails[0]!.mail.text ?? '');
      await assert.rejects(um.resetPassword({ token, newPassword: 'short' }), (e: Refusal) => e.status === 400 && e.rawData.code === 'weak_password');
      const done = await um.resetPassword({ token, newPassword: NEW_PASSWORD });
      assert.equal(done.user.email, email);
      await assert.rejects(um.resetPassword({ token, newPassword: `${NEW_PASSWORD}x` }), (e: Refusal) => e.status === 410);
      assert.equal((await (await browser.api('GET', '/bff/session')).json()).authenticated, false, 'signed out everywhere');
      await signedInAgent(app.url, email, NEW_PASSWORD);
      // What older SDKs' sendPasswordResetEmail sent (the installed SDK no longer has it): the same step, no secret back.
      const legacy = await fetch(`${app.url}/user_management/password_reset/send`, {
        method: 'POST',
        headers: { authorization: `Bearer ${conf.secret}`, 'content-type': 'application/json' },
        body: JSON.stringify({ email, password_reset_url: 'https://partner.example/reset' }),
      });
      assert.equal(legacy.status, 201);
      assert.equal(JSON.stringify(await legacy.json()).includes('token'), false);
      const again = await inbox.waitForTo(email, 2);
      assert.equal(again.length, 2);
      assert.match(again[1]!.mail.text ?? '', /\/reset-password#token=/, "the portal's own reset link, not the partner-supplied URL");
      const nobody = await um.createPasswordReset({ email: `nobody-${db}@example.com` });
      assert.equal(nobody.object, 'password_reset');
      assert.equal(await app.mail.worker!.runOnce(), 0);
    });
  });
}
