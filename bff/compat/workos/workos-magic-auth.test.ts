/**
 * `createMagicAuth` and `authenticateWithMagicAuth` with the official SDK: the
 * person is mailed the sign-in code step's 6-digit code (real SMTP server),
 * the answer never carries it nor tells whether the email has an account, and
 * the code signs in once (authentication_method MagicAuth) for the client that
 * asked. SQLite and PostgreSQL.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestApp, type TestApp } from '../../testing/test-app.ts';
import { startInbox, type Inbox } from '../../testing/smtp-inbox.ts';
import { createAccount } from '../../accounts/accounts.ts';
import { partner, PASSWORD, sdk, type Partner } from './test-helpers.ts';

interface Refusal {
  status: number;
  rawData: Record<string, unknown>;
}

const codeIn = (text: string) => /Your code: (\d{6})/.exec(text)?.[1] ?? assert.fail(`no code in ${text}`);

for (const db of ['sqlite', 'postgres'] as const) {
  describe(`WorkOS magic auth (${db})`, () => {
    let app: TestApp;
    let inbox: Inbox;
    let conf: Partner;
    let other: Partner;
    before(async () => {
      inbox = await startInbox();
      app = await startTestApp({ db, env: { SMTP_URL: inbox.url } });
      conf = await partner(app, false);
      other = await partner(app, false);
      await createAccount(app.store, { email: `mia-${db}@example.com`, password: PASSWORD, name: 'Mia', emailVerified: false }, Date.now());
    });
    after(async () => {
      await app.close();
      await inbox.close();
    });

    it('mails a code that signs in once, only for the client that asked; the answer carries no code', async () => {
      const email = `mia-${db}@example.com`;
      const um = sdk(app, conf).userManagement;
      const created = await um.createMagicAuth({ email });
      assert.equal(created.object, 'magic_auth');
      assert.equal(created.email, email);
      assert.equal(created.code, undefined);
      assert.equal(created.userId, null);
      const mails = await inbox.waitForTo(email, 1);
      assert.equal(mails.length, 1);
      const code = codeIn(mails[0]!.mail.text ?? '');
      assert.equal(JSON.stringify(created).includes(code), false);

      await assert.rejects(
        sdk(app, other).userManagement.authenticateWithMagicAuth({ clientId: other.clientId, email, code }),
        (e: Refusal) => e.status === 400 && e.rawData.code === 'code_expired',
      );
      const wrong = code === '000000' ? '111111' : '000000';
      await assert.rejects(
        um.authenticateWithMagicAuth({ clientId: conf.clientId, email, code: wrong }),
        (e: Refusal) => e.status === 400 && e.rawData.code === 'invalid_code',
      );
      const auth = await um.authenticateWithMagicAuth({ clientId: conf.clientId, email, code });
      assert.equal(auth.user.email, email);
      assert.equal(auth.authenticationMethod, 'MagicAuth');
      assert.equal(auth.user.emailVerified, true, 'a right code proves the address');
      await assert.rejects(um.authenticateWithMagicAuth({ clientId: conf.clientId, email, code }), (e: Refusal) => e.status === 410 || e.status === 400);
    });

    it('an email without an account gets the same answer and no mail', async () => {
      const email = `nobody-${db}@example.com`;
      const created = await sdk(app, conf).userManagement.createMagicAuth({ email });
      assert.deepEqual([created.object, created.email, created.userId, created.code], ['magic_auth', email, null, undefined]);
      assert.equal(await app.mail.worker!.runOnce(), 0);
      assert.equal(inbox.to(email).length, 0);
    });

    it("what older SDKs' sendMagicAuthCode sent (/magic_auth/send) mails a code the same way", async () => {
      const email = `mia-${db}@example.com`;
      const before = inbox.to(email).length;
      const res = await fetch(`${app.url}/user_management/magic_auth/send`, {
        method: 'POST',
        headers: { authorization: `Bearer ${conf.secret}`, 'content-type': 'application/json' },
        body: JSON.stringify({ email }),
      });
      assert.equal(res.status, 201);
      const mails = await inbox.waitForTo(email, before + 1);
      const code = codeIn(mails.at(-1)!.mail.text ?? '');
      const auth = await sdk(app, conf).userManagement.authenticateWithMagicAuth({ clientId: conf.clientId, email, code });
      assert.equal(auth.authenticationMethod, 'MagicAuth');
    });

    it('without the API key: 401', async () => {
      const res = await fetch(`${app.url}/user_management/magic_auth`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: 'x@example.com' }),
      });
      assert.equal(res.status, 401);
      assert.equal((await res.json()).error, 'invalid_client');
    });
  });
}
