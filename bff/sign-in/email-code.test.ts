/**
 * "Email me a sign-in code" (magic auth): the same answer for every email, a
 * 6-digit code by mail (real SMTP) that completes the same provider
 * interaction as a password with amr ["email"], single use, 10 minutes,
 * 5 tries, throttled; unknown emails fail exactly like known ones.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as oidc from 'openid-client';
import { startTestApp, type TestApp } from '../testing/test-app.ts';
import { startInbox, type Inbox } from '../testing/smtp-inbox.ts';
import { Agent } from '../testing/agent.ts';
import { PARTNER_REDIRECT, testPartner } from '../testing/partner.ts';
import { createAccount } from '../accounts/accounts.ts';
import { authenticationMethod } from '../oauth/core.ts';
import { CODES_PER_EMAIL, CODE_TTL_MS } from './email-code.ts';

const codeIn = (text: string) => /Your code: (\d{6})/.exec(text)?.[1] ?? assert.fail(`no code in ${text}`);

async function askCode(app: TestApp, email: string, start = '/bff/login?returnTo=/account') {
  const agent = new Agent(app.url);
  const { url } = await agent.follow(start, (u) => u.pathname.startsWith('/interaction/'));
  const uid = url.pathname.split('/')[2]!;
  const res = await agent.api('POST', `/bff/interaction/${uid}/email-code`, { email });
  return { agent, uid, status: res.status, body: (await res.json()) as Record<string, unknown> };
}

const send = (s: { agent: Agent; uid: string }, code: string) => s.agent.api('POST', `/bff/interaction/${s.uid}/email-code/verify`, { code });

for (const db of ['sqlite', 'postgres'] as const) {
  describe(`sign-in with an emailed code (${db})`, () => {
    let app: TestApp;
    let inbox: Inbox;
    let n = 0;
    const account = async (verified = true) => {
      const email = `code-${db}-${++n}@example.com`;
      const user = await createAccount(app.store, { email, password: null, emailVerified: verified }, Date.now());
      return { email, user };
    };
    before(async () => {
      inbox = await startInbox();
      app = await startTestApp({ db, env: { SMTP_URL: inbox.url } });
    });
    after(async () => {
      await app.close();
      await inbox.close();
    });

    it('signs in with the mailed code (no password needed), verifying the email; audited', async () => {
      const { email, user } = await account(false);
      const s = await askCode(app, email);
      assert.deepEqual({ status: s.status, next: s.body.next, email: s.body.email }, { status: 200, next: 'email_code', email });
      assert.deepEqual((await (await s.agent.api('GET', `/bff/interaction/${s.uid}`)).json()).emailCode, { email });
      const mail = (await inbox.waitForTo(email, 1))[0]!.mail;
      assert.match(mail.subject ?? '', /^Your sign-in code · /);
      const code = codeIn(mail.text ?? '');
      assert.match(mail.text ?? '', new RegExp(`/interaction/${s.uid}#code=${code}`));
      const res = await send(s, code);
      assert.equal(res.status, 200, await res.clone().text());
      const { url } = await s.agent.follow(((await res.json()) as { redirectTo: string }).redirectTo, (u) => u.pathname === '/account');
      assert.equal(url.pathname, '/account');
      assert.equal((await (await s.agent.api('GET', '/bff/session')).json()).authenticated, true);
      assert.equal((await app.store.users.findById(user.id))!.emailVerified, true);
      const signIns = await app.store.audit.list({ kind: 'sign_in', subjectId: user.id });
      assert.deepEqual(
        signIns.map((e) => e.data.method),
        ['email_code'],
      );
      assert.equal((await send(s, code)).status, 404, 'the interaction is over');
    });

    it('an unknown email gets the same answer and its codes fail exactly like wrong ones', async () => {
      const { email } = await account();
      const known = await askCode(app, email);
      const unknown = await askCode(app, `nobody-code-${db}@example.com`);
      assert.deepEqual(Object.keys(known.body).sort(), Object.keys(unknown.body).sort());
      assert.equal(known.body.message, unknown.body.message);
      const answers = async (s: typeof known) => {
        const out = [];
        for (let i = 0; i < 5; i++) {
          const r = await send(s, '000000');
          out.push([r.status, (await r.json()).error]);
        }
        return out;
      };
      const code = codeIn((await inbox.waitForTo(email, 1))[0]!.mail.text ?? '');
      if (code !== '000000') assert.deepEqual(await answers(known), await answers(unknown));
      assert.equal((await send(known, code)).status, 410, 'five wrong codes ended it');
      assert.equal(inbox.to(`nobody-code-${db}@example.com`).length, 0);
    });

    it('expires after 10 minutes', async () => {
      const { email } = await account();
      const s = await askCode(app, email);
      const code = codeIn((await inbox.waitForTo(email, 1))[0]!.mail.text ?? '');
      app.clock.offset += CODE_TTL_MS;
      const res = await send(s, code);
      app.clock.offset = 0;
      assert.equal(res.status, 410);
      assert.equal((await res.json()).error, 'code_expired');
    });

    it(`mails at most ${CODES_PER_EMAIL} codes per email per window, with the same answer`, async () => {
      const { email } = await account();
      const bodies = [];
      for (let i = 0; i < CODES_PER_EMAIL + 1; i++) bodies.push((await askCode(app, email)).body.message);
      assert.equal(new Set(bodies).size, 1);
      await inbox.waitForTo(email, CODES_PER_EMAIL);
      await app.mail.worker!.runOnce();
      assert.equal(inbox.to(email).length, CODES_PER_EMAIL);
    });

    it('the sign-in is recorded with amr ["email"], which the WorkOS adapter calls MagicAuth', async () => {
      const { email, user } = await account();
      const p = await testPartner(app);
      const verifier = oidc.randomPKCECodeVerifier();
      const authUrl = oidc.buildAuthorizationUrl(p.config, {
        redirect_uri: PARTNER_REDIRECT,
        scope: 'openid email',
        state: 's1',
        code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
      });
      const s = await askCode(app, email, authUrl.href);
      const code = codeIn((await inbox.waitForTo(email, 1))[0]!.mail.text ?? '');
      const done = await send(s, code);
      let { url } = await s.agent.follow(((await done.json()) as { redirectTo: string }).redirectTo, (u) => u.pathname.startsWith('/interaction/'));
      const uid = url.pathname.split('/')[2]!;
      const consent = await s.agent.api('POST', `/bff/interaction/${uid}/consent`, { scopes: ['openid', 'email'] });
      ({ url } = await s.agent.follow(((await consent.json()) as { redirectTo: string }).redirectTo));
      const tokens = await oidc.authorizationCodeGrant(p.config, url, { pkceCodeVerifier: verifier, expectedState: 's1' });
      assert.equal(tokens.claims()!.sub, user.id);
      // The provider session records how the person signed in; codes and tokens issued from it carry it (WorkOS reads the code's amr).
      const sessions = await app.store.oidcOwners.sessions(user.id);
      assert.equal(sessions.length, 1);
      assert.deepEqual((await app.store.oidc.find('Session', sessions[0]!.id))!.payload.amr, ['email']);
      assert.equal(authenticationMethod(['email'], undefined), 'MagicAuth');
      assert.equal(authenticationMethod(['pwd'], undefined), 'Password');
    });
  });
}
