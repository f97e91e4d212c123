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
}
