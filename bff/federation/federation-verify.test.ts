/**
 * A federated user whose upstream did not assert `email_verified: true` is
 * created unverified and meets the same email verification step as a
 * password sign-in (code by mail, read here from a real SMTP server); one
 * whose upstream asserts it is created verified and signs straight in.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestApp, type TestApp } from '../testing/test-app.ts';
import { startInbox, type Inbox } from '../testing/smtp-inbox.ts';
import { startUpstreamOp, type UpstreamOp, type UpstreamUser } from '../testing/upstream-op.ts';
import { Agent } from '../testing/agent.ts';
import { browse, federate, portalStop, upstreamConnection } from './test-helpers.ts';

const codeIn = (text: string) => /Your code: (\d{6})/.exec(text)?.[1] ?? assert.fail(`no code in ${text}`);

for (const db of ['sqlite', 'postgres'] as const) {
  describe(`federated users and email verification (${db})`, () => {
    let app: TestApp;
    let inbox: Inbox;
    let up: UpstreamOp;
    let social: string;
    const session = async (agent: Agent) => (await (await agent.api('GET', '/bff/session')).json()) as { authenticated: boolean };

    before(async () => {
      inbox = await startInbox();
      app = await startTestApp({ db, env: { FEDERATION_ALLOW_PRIVATE: '1', SMTP_URL: inbox.url } }); // the upstream OP listens on loopback
      up = await startUpstreamOp({ redirectUris: [`${app.url}/bff/federation/callback`] });
      social = await upstreamConnection(app, up);
    });
    after(async () => {
      await up?.close();
      await app?.close();
      await inbox?.close();
    });

    it('an upstream that does not assert email_verified: the user is created unverified and must type the mailed code', async () => {
      const vic: UpstreamUser = { sub: `up-vic-${db}`, email: `vic-${db}@social.test`, password: 'vic-upstream-pw', name: 'Vic', emailVerified: false };
      up.users.push(vic);
      const agent = new Agent(app.url);
      const { uid, end } = await federate(app, agent, up.issuer, social, vic);
      assert.equal(end.pathname, `/interaction/${uid}`, `waits at the sign-in screen, not ${end.href}`);
      const user = (await app.store.users.findByEmail(vic.email))!;
      assert.equal(user.emailVerified, false);
      assert.equal((await session(agent)).authenticated, false);
      const info = await (await agent.api('GET', `/bff/interaction/${uid}`)).json();
      assert.deepEqual(info.verifyEmail, { email: vic.email });

      const mails = await inbox.waitForTo(vic.email, 1);
      assert.equal(mails.length, 1);
      const res = await agent.api('POST', `/bff/interaction/${uid}/verify-email`, { code: codeIn(mails[0]!.mail.text ?? '') });
      assert.equal(res.status, 200);
      const { url } = await browse(agent, (await res.json()).redirectTo, portalStop(app));
      assert.equal(url.pathname, '/account');
      assert.equal((await session(agent)).authenticated, true);
      assert.equal((await app.store.users.findByEmail(vic.email))!.emailVerified, true);
    });

    it('pre-account-takeover: the mailbox owner who resets the password gets the account without the unproven upstream link', async () => {
      // Someone at the upstream claims the owner's address without it being verified there.
      const claim: UpstreamUser = {
        sub: `up-claim-${db}`,
        email: `owner-${db}@social.test`,
        password: 'claim-upstream-pw',
        name: 'Claim',
        emailVerified: false,
      };
      up.users.push(claim);
      const intruder = new Agent(app.url);
      await federate(app, intruder, up.issuer, social, claim);
      const account = (await app.store.users.findByEmail(claim.email))!;
      assert.equal(account.emailVerified, false);
      assert.equal((await session(intruder)).authenticated, false, 'no session without the mailed code');
      assert.equal((await app.store.federation.findIdentity(social, claim.sub))?.userId, account.id);

      // The mailbox's owner: "Forgot password?", then the link from the mail.
      const owner = new Agent(app.url);
      assert.equal((await owner.api('POST', '/bff/password-reset', { email: claim.email })).status, 202);
      const mail = (await inbox.waitForTo(claim.email, 2)).at(-1)!;
      const token = /\/reset-password#token=([A-Za-z0-9_-]+)/.exec(mail.mail.text ?? '')?.[1] ?? assert.fail('no reset link');
      const done = await owner.api('POST', '/bff/password-reset/complete', { token, password: 'the owner’s own new password' });
      assert.equal(done.status, 200);
      assert.equal((await app.store.users.findById(account.id))!.emailVerified, true);
      assert.equal(await app.store.federation.findIdentity(social, claim.sub), null, 'the unproven link is gone');
      const audited = (await app.store.audit.list({ kind: 'federation_unlinked' })).filter((e) => e.subjectId === account.id);
      assert.equal(audited.length, 1);
    });

    it('an upstream that asserts email_verified: true keeps the user verified, with no mail', async () => {
      const val: UpstreamUser = { sub: `up-val-${db}`, email: `val-${db}@social.test`, password: 'val-upstream-pw', name: 'Val', emailVerified: true };
      up.users.push(val);
      const agent = new Agent(app.url);
      const { end } = await federate(app, agent, up.issuer, social, val);
      assert.equal(end.pathname, '/account', `landed at ${end.href}`);
      assert.equal((await app.store.users.findByEmail(val.email))!.emailVerified, true);
      assert.equal((await session(agent)).authenticated, true);
      assert.equal(inbox.to(val.email).length, 0);
    });
  });

  describe(`federated users when no verification can happen (${db})`, () => {
    let app: TestApp;
    let up: UpstreamOp;
    let social: string;
    before(async () => {
      app = await startTestApp({ db, env: { FEDERATION_ALLOW_PRIVATE: '1', REQUIRE_EMAIL_VERIFICATION: 'false' } });
      up = await startUpstreamOp({ redirectUris: [`${app.url}/bff/federation/callback`] });
      social = await upstreamConnection(app, up);
    });
    after(async () => {
      await up?.close();
      await app?.close();
    });

    it('an email the upstream does not vouch for is refused, and no account is created', async () => {
      const uma: UpstreamUser = { sub: `up-uma-${db}`, email: `uma-${db}@social.test`, password: 'uma-upstream-pw', name: 'Uma', emailVerified: false };
      up.users.push(uma);
      const { end } = await federate(app, new Agent(app.url), up.issuer, social, uma);
      assert.equal(end.pathname, '/federation/error', `refused, not ${end.href}`);
      assert.equal(end.searchParams.get('reason'), 'email_unverified');
      assert.equal(await app.store.users.findByEmail(uma.email), null);
    });
  });
}
