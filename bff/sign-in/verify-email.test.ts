/**
 * Email verification as a sign-in step (REQUIRE_EMAIL_VERIFICATION): an
 * unverified account is asked for the emailed code before the interaction
 * completes; the code is single use with 5 tries, re-sendable and throttled;
 * the link verifies from any browser; email_verified then tells the truth.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as oidc from 'openid-client';
import { startTestApp, type TestApp } from '../testing/test-app.ts';
import { startInbox, type Inbox } from '../testing/smtp-inbox.ts';
import { Agent } from '../testing/agent.ts';
import { partnerTokens, testPartner } from '../testing/partner.ts';
import { createAccount } from '../accounts/accounts.ts';
import { MAX_CODE_TRIES, VERIFY_MAILS_PER_WINDOW } from '../accounts/verify-email.ts';

const PASSWORD = 'a long enough passphrase 9';

/** Starts a BFF sign-in and submits the password; returns the interaction uid and the answer. */
async function passwordStep(app: TestApp, email: string): Promise<{ agent: Agent; uid: string; status: number; body: Record<string, unknown> }> {
  const agent = new Agent(app.url);
  const { url } = await agent.follow('/bff/login?returnTo=/account', (u) => u.pathname.startsWith('/interaction/'));
  const uid = url.pathname.split('/')[2]!;
  const res = await agent.api('POST', `/bff/interaction/${uid}/login`, { email, password: PASSWORD });
  return { agent, uid, status: res.status, body: await res.json() };
}

async function landsOnAccount(agent: Agent, res: Response): Promise<boolean> {
  assert.equal(res.status, 200, await res.clone().text());
  const { redirectTo } = (await res.json()) as { redirectTo: string };
  const { url } = await agent.follow(redirectTo, (u) => u.pathname === '/account');
  return url.pathname === '/account' && (await (await agent.api('GET', '/bff/session')).json()).authenticated === true;
}

const codeIn = (text: string) => /Your code: (\d{6})/.exec(text)?.[1] ?? assert.fail(`no code in ${text}`);
const linkTokenIn = (text: string) => /\/verify-email#token=([A-Za-z0-9_-]+)/.exec(text)?.[1] ?? assert.fail(`no link in ${text}`);

for (const db of ['sqlite', 'postgres'] as const) {
  describe(`email verification at sign-in (${db})`, () => {
    let app: TestApp;
    let inbox: Inbox;
    let n = 0;
    const unverified = async () => {
      const email = `verify-${db}-${++n}@example.com`;
      const user = await createAccount(app.store, { email, password: PASSWORD, emailVerified: false }, Date.now());
      return { email, user };
    };
    const lastMail = async (email: string, count: number) => (await inbox.waitForTo(email, count)).at(-1)!.mail.text ?? '';

    before(async () => {
      inbox = await startInbox();
      app = await startTestApp({ db, env: { SMTP_URL: inbox.url } });
    });
    after(async () => {
      await app.close();
      await inbox.close();
    });

    it('asks an unverified account for the emailed code; a wrong one counts, the right one signs in', async () => {
      const { email, user } = await unverified();
      const step = await passwordStep(app, email);
      assert.deepEqual({ status: step.status, body: step.body }, { status: 200, body: { next: 'verify_email', email } });
      const info = await (await step.agent.api('GET', `/bff/interaction/${step.uid}`)).json();
      assert.deepEqual(info.verifyEmail, { email }, 'a reloaded screen knows it waits for the code');
      const code = codeIn(await lastMail(email, 1));
      const wrong = await step.agent.api('POST', `/bff/interaction/${step.uid}/verify-email`, { code: code === '000000' ? '111111' : '000000' });
      assert.equal(wrong.status, 400);
      assert.deepEqual(await wrong.json().then((b) => [b.error, b.message]), ['invalid_code', `That code is not right. ${MAX_CODE_TRIES - 1} tries left.`]);
      assert.equal((await app.store.users.findById(user.id))!.emailVerified, false);
      assert.equal(await landsOnAccount(step.agent, await step.agent.api('POST', `/bff/interaction/${step.uid}/verify-email`, { code })), true);
      assert.equal((await app.store.users.findById(user.id))!.emailVerified, true);
      assert.equal((await app.store.audit.list({ kind: 'email_verified', subjectId: user.id })).length, 1);
      assert.equal(inbox.to(email).length, 1);
    });

    it(`${MAX_CODE_TRIES} wrong codes end the code; a re-sent code works and the old one does not`, async () => {
      const { email } = await unverified();
      const step = await passwordStep(app, email);
      const first = codeIn(await lastMail(email, 1));
      const wrong = first === '000000' ? '111111' : '000000';
      const statuses = [];
      for (let i = 0; i < MAX_CODE_TRIES; i++)
        statuses.push((await step.agent.api('POST', `/bff/interaction/${step.uid}/verify-email`, { code: wrong })).status);
      assert.deepEqual(statuses, [400, 400, 400, 400, 410]);
      const late = await step.agent.api('POST', `/bff/interaction/${step.uid}/verify-email`, { code: first });
      assert.equal(late.status, 410);
      assert.equal((await late.json()).error, 'code_expired');
      assert.equal((await step.agent.api('POST', `/bff/interaction/${step.uid}/verify-email/resend`, {})).status, 200);
      const second = codeIn(await lastMail(email, 2));
      if (second !== first) {
        const old = await step.agent.api('POST', `/bff/interaction/${step.uid}/verify-email`, { code: first });
        assert.deepEqual([old.status, (await old.json()).error], [400, 'invalid_code'], 'the old code is just a wrong code now');
      }
      assert.equal(await landsOnAccount(step.agent, await step.agent.api('POST', `/bff/interaction/${step.uid}/verify-email`, { code: second })), true);
    });

    it('the link verifies from another browser, once; the waiting screen then continues', async () => {
      const { email } = await unverified();
      const step = await passwordStep(app, email);
      const token = linkTokenIn(await lastMail(email, 1));
      const early = await step.agent.api('POST', `/bff/interaction/${step.uid}/verify-email/continue`, {});
      assert.equal(early.status, 400);
      assert.equal((await early.json()).error, 'email_not_verified');
      const elsewhere = new Agent(app.url);
      assert.deepEqual(await (await elsewhere.api('POST', '/bff/verify-email', { token })).json(), { ok: true, email });
      assert.equal((await (await elsewhere.api('GET', '/bff/session')).json()).authenticated, false, 'the link signs nobody in');
      const again = await elsewhere.api('POST', '/bff/verify-email', { token });
      assert.equal(again.status, 410);
      assert.equal((await again.json()).error, 'verification_link_invalid');
      assert.equal(await landsOnAccount(step.agent, await step.agent.api('POST', `/bff/interaction/${step.uid}/verify-email/continue`, {})), true);
    });

    it(`re-sending is throttled: ${VERIFY_MAILS_PER_WINDOW} mails, then 429`, async () => {
      const { email } = await unverified();
      const step = await passwordStep(app, email);
      const statuses = [];
      for (let i = 1; i <= VERIFY_MAILS_PER_WINDOW; i++)
        statuses.push((await step.agent.api('POST', `/bff/interaction/${step.uid}/verify-email/resend`, {})).status);
      assert.deepEqual(statuses, [200, 200, 200, 429]);
      await inbox.waitForTo(email, VERIFY_MAILS_PER_WINDOW);
      await app.mail.worker!.runOnce();
      assert.equal(inbox.to(email).length, VERIFY_MAILS_PER_WINDOW);
    });

    it('a verified account signs in without a code, and a step that is not waiting is refused', async () => {
      const email = `verified-${db}@example.com`;
      await createAccount(app.store, { email, password: PASSWORD }, Date.now());
      const before = inbox.arrivals.length;
      const step = await passwordStep(app, email);
      assert.equal(typeof step.body.redirectTo, 'string');
      const stray = await new Agent(app.url).api('POST', `/bff/interaction/${step.uid}/verify-email`, { code: '123456' });
      assert.equal(stray.status, 404, 'another browser cannot reach this interaction');
      assert.equal(inbox.arrivals.length, before);
    });

    it('email_verified in userinfo tells the truth once verified through a partner sign-in', async () => {
      const p = await testPartner(app);
      const { email } = await unverified();
      const step = await passwordStep(app, email);
      const code = codeIn(await lastMail(email, 1));
      assert.equal((await step.agent.api('POST', `/bff/interaction/${step.uid}/verify-email`, { code })).status, 200);
      const tokens = await partnerTokens(app, p, { email, password: PASSWORD });
      assert.equal(tokens.claims()!.email_verified, true);
      assert.equal((await oidc.fetchUserInfo(p.config, tokens.access_token, tokens.claims()!.sub)).email_verified, true);
    });
  });

  describe(`REQUIRE_EMAIL_VERIFICATION=false (${db})`, () => {
    let app: TestApp;
    let inbox: Inbox;
    before(async () => {
      inbox = await startInbox();
      app = await startTestApp({ db, env: { SMTP_URL: inbox.url, REQUIRE_EMAIL_VERIFICATION: 'false' } });
    });
    after(async () => {
      await app.close();
      await inbox.close();
    });

    it('signs an unverified account in at once, and its tokens say email_verified: false', async () => {
      const email = `relaxed-${db}@example.com`;
      await createAccount(app.store, { email, password: PASSWORD, emailVerified: false }, Date.now());
      const step = await passwordStep(app, email);
      assert.equal(typeof step.body.redirectTo, 'string');
      const p = await testPartner(app);
      const tokens = await partnerTokens(app, p, { email, password: PASSWORD });
      assert.equal(tokens.claims()!.email_verified, false);
      assert.equal(inbox.arrivals.length, 0);
    });
  });
}
