/**
 * `authenticateWithPassword` and `email_verification_required` as the
 * official SDK sees them: the password grant goes through the browser's own
 * credential check and throttles (a wrong password counts where the sign-in
 * screen counts), an unverified account gets the 403 with a
 * `pending_authentication_token` and a mailed code (real SMTP server), and
 * `authenticateWithEmailVerification` completes it once. SQLite and PostgreSQL.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { decodeJwt } from 'jose';
import { startTestApp, type TestApp } from '../../testing/test-app.ts';
import { startInbox, type Inbox } from '../../testing/smtp-inbox.ts';
import { Agent } from '../../testing/agent.ts';
import { createAccount } from '../../accounts/accounts.ts';
import { partner, PASSWORD, sdk, type Partner } from './test-helpers.ts';

const LIMIT = 3;

interface Refusal {
  status: number;
  code?: string;
  pendingAuthenticationToken?: string;
  rawData: Record<string, unknown>;
}

const codeIn = (text: string) => /Your code: (\d{6})/.exec(text)?.[1] ?? assert.fail(`no code in ${text}`);

for (const db of ['sqlite', 'postgres'] as const) {
  describe(`WorkOS password grant and email verification (${db})`, () => {
    let app: TestApp;
    let inbox: Inbox;
    let conf: Partner;
    before(async () => {
      inbox = await startInbox();
      app = await startTestApp({ db, env: { SMTP_URL: inbox.url, RATE_LIMIT_LOGIN_PER_ACCOUNT: String(LIMIT) } });
      conf = await partner(app, false);
      await createAccount(app.store, { email: `pat-${db}@example.com`, password: PASSWORD, name: 'Pat' }, Date.now());
      await createAccount(app.store, { email: `una-${db}@example.com`, password: PASSWORD, name: 'Una', emailVerified: false }, Date.now());
      await createAccount(app.store, { email: `tom-${db}@example.com`, password: PASSWORD, name: 'Tom' }, Date.now());
    });
    after(async () => {
      await app.close();
      await inbox.close();
    });

    it('a right password authenticates (authentication_method Password)', async () => {
      const auth = await sdk(app, conf).userManagement.authenticateWithPassword({
        clientId: conf.clientId,
        email: `pat-${db}@example.com`,
        password: PASSWORD,
      });
      assert.equal(auth.user.email, `pat-${db}@example.com`);
      assert.equal(auth.authenticationMethod, 'Password');
      assert.equal(decodeJwt(auth.accessToken).sub, auth.user.id);
      assert.equal(typeof auth.refreshToken, 'string');
    });

    it('wrong passwords count with the sign-in screen: after the limit even the right one waits, in the browser too', async () => {
      const um = sdk(app, conf).userManagement;
      const email = `tom-${db}@example.com`;
      for (let i = 0; i < LIMIT; i++) {
        await assert.rejects(
          um.authenticateWithPassword({ clientId: conf.clientId, email, password: 'not the password' }),
          (e: Refusal) => e.status === 400 && e.rawData.code === 'invalid_credentials',
        );
      }
      await assert.rejects(um.authenticateWithPassword({ clientId: conf.clientId, email, password: PASSWORD }), (e: Refusal) => e.status === 429);
      const agent = new Agent(app.url);
      const { url } = await agent.follow('/bff/login?returnTo=/account', (u) => u.pathname.startsWith('/interaction/'));
      const res = await agent.api('POST', `/bff/interaction/${url.pathname.split('/')[2]}/login`, { email, password: PASSWORD });
      assert.equal(res.status, 429, 'the browser shares the count');
    });

    it('an unverified account: email_verification_required, then authenticateWithEmailVerification with the mailed code, once', async () => {
      const um = sdk(app, conf).userManagement;
      const email = `una-${db}@example.com`;
      const e = (await um.authenticateWithPassword({ clientId: conf.clientId, email, password: PASSWORD }).then(
        () => assert.fail('expected email_verification_required'),
        (err: unknown) => err,
      )) as Refusal;
      assert.equal(e.status, 403);
      assert.equal(e.code, 'email_verification_required');
      assert.equal(e.rawData.email, email);
      assert.match(String(e.rawData.email_verification_id), /^email_verification_/);
      const token = e.pendingAuthenticationToken!;
      assert.equal(typeof token, 'string');
      const mails = await inbox.waitForTo(email, 1);
      assert.equal(mails.length, 1);
      const code = codeIn(mails[0]!.mail.text ?? '');
      await assert.rejects(
        um.authenticateWithEmailVerification({ clientId: conf.clientId, pendingAuthenticationToken: token, code: code === '000000' ? '111111' : '000000' }),
        (err: Refusal) => err.status === 400 && err.rawData.code === 'invalid_code',
      );
      assert.equal((await app.store.users.findByEmail(email))!.emailVerified, false);
      const auth = await um.authenticateWithEmailVerification({ clientId: conf.clientId, pendingAuthenticationToken: token, code });
      assert.equal(auth.user.email, email);
      assert.equal(auth.user.emailVerified, true);
      assert.equal((await app.store.users.findByEmail(email))!.emailVerified, true);
      await assert.rejects(
        um.authenticateWithEmailVerification({ clientId: conf.clientId, pendingAuthenticationToken: token, code }),
        (err: Refusal) => err.status === 400 && err.rawData.code === 'invalid_pending_authentication_token',
        'single use',
      );
    });
  });
}
