/**
 * The sign-in interaction's routes (sign-in/routes.ts) at their edges, beside routes-mutants.test.ts,
 * where mutation testing (docs/mutation.md) asks for it: an impersonation's own step (its screen, the
 * sign-in steps refusing it, and consent to a partner refused while impersonating), denial before
 * anyone signed in (audited without an actor), an app deleted while its sign-in was open, and the
 * screen of a sign-in waiting for a new password; a password refused because hashing is saturated is
 * no failed attempt (not audited); an account deleted while its email verification waits; and a
 * finished sign-in (a password, a verified email) remembered by the provider's session cookie. Through the real app, provider and database, on
 * SQLite and PostgreSQL.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as oidc from 'openid-client';
import { startTestApp, type TestApp } from '../testing/test-app.ts';
import { Agent, signedInAgent } from '../testing/agent.ts';
import { PARTNER_REDIRECT, testPartner, type TestPartner } from '../testing/partner.ts';
import { createAccount } from '../accounts/accounts.ts';
import type { User } from '../store/store.ts';
import { passwordHashing } from '../accounts/hash-gate.ts';

const PASSWORD = 'a long enough passphrase 9';
const UA = 'SignInEdgesTest/1.0';
const T = { timeout: 20000 };
const REASON = 'Customer asked for help with billing settings';

async function atInteraction(agent: Agent, start: string): Promise<string> {
  const { url } = await agent.follow(start, (u) => u.pathname.startsWith('/interaction/'));
  assert.match(url.pathname, /^\/interaction\//, url.href);
  return url.pathname.split('/')[2]!;
}
const answer = async (res: Response) => ({ status: res.status, body: await res.json() });
const NOT_SIGN_IN = { status: 400, body: { error: 'wrong_prompt', message: 'This step does not expect a sign-in.' } };

for (const db of ['sqlite', 'postgres'] as const) {
  describe(`the sign-in interaction's routes at their edges (${db})`, () => {
    let app: TestApp;
    let partner: TestPartner;
    let admin: User;
    let user: User;
    before(async () => {
      app = await startTestApp({ db });
      partner = await testPartner(app, 'Edges Partner', ['openid', 'email']);
      admin = await createAccount(app.store, { email: 'root@example.com', password: PASSWORD, name: 'Root', role: 'admin' }, Date.now());
      user = await createAccount(app.store, { email: 'uma@example.com', password: PASSWORD, name: 'Uma' }, Date.now());
    });
    after(() => app.close());

    const partnerUrl = async () =>
      oidc
        .buildAuthorizationUrl(partner.config, {
          redirect_uri: PARTNER_REDIRECT,
          scope: 'openid email',
          state: oidc.randomState(),
          code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()),
          code_challenge_method: 'S256',
        })
        .toString();

    it('an impersonation: its own screen, no sign-in step takes it, it signs in as the user; no consent given for them', T, async () => {
      const agent = await signedInAgent(app.url, admin.email, PASSWORD);
      const start = await agent.api('POST', '/bff/impersonation/start', { userId: user.id, reason: REASON });
      assert.equal(start.status, 200);
      const uid = await atInteraction(agent, ((await start.json()) as { redirectTo: string }).redirectTo);
      assert.deepEqual(await answer(await agent.api('GET', `/bff/interaction/${uid}`)), { status: 200, body: { uid, prompt: 'impersonation' } });
      for (const step of ['login', 'sign-up', 'email-code']) {
        const res = await agent.api('POST', `/bff/interaction/${uid}/${step}`, { email: user.email, password: PASSWORD, name: 'x' });
        assert.deepEqual(await answer(res), NOT_SIGN_IN, step);
      }
      const step = await agent.api('POST', `/bff/interaction/${uid}/impersonate`, {});
      assert.equal(step.status, 200);
      const { url } = await agent.follow(((await step.json()) as { redirectTo: string }).redirectTo);
      assert.equal(url.pathname, '/account');
      const me = (await (await agent.api('GET', '/bff/session')).json()) as { user: { id: string } };
      assert.equal(me.user.id, user.id);

      // A partner's consent screen, in the impersonated user's name: refused.
      const cu = await atInteraction(agent, await partnerUrl());
      const screen = (await (await agent.api('GET', `/bff/interaction/${cu}`)).json()) as { prompt: string; user: unknown };
      assert.deepEqual([screen.prompt, screen.user], ['consent', { email: user.email, name: 'Uma' }]);
      const before = (await app.store.audit.list({ kind: 'consent_given' })).length;
      assert.deepEqual(await answer(await agent.api('POST', `/bff/interaction/${cu}/consent`, { scopes: ['email'] })), {
        status: 403,
        body: { error: 'impersonation_forbidden', message: 'You are impersonating this user: consent to a partner app cannot be given on their behalf.' },
      });
      assert.equal((await app.store.audit.list({ kind: 'consent_given' })).length, before);
      assert.equal(await app.store.consents.find(user.id, partner.clientId), null);
    });

    it('denies before anyone signed in: audited without an actor, the app told access_denied; a sign-in screen takes no consent', T, async () => {
      const agent = new Agent(app.url);
      const uid = await atInteraction(agent, await partnerUrl());
      assert.deepEqual(await answer(await agent.api('POST', `/bff/interaction/${uid}/consent`, { scopes: [] })), {
        status: 400,
        body: { error: 'wrong_prompt', message: 'This step does not expect a consent decision.' },
      });
      const res = await agent.api('POST', `/bff/interaction/${uid}/deny`, {}, { 'user-agent': UA });
      assert.equal(res.status, 200);
      const { url } = await agent.follow(((await res.json()) as { redirectTo: string }).redirectTo);
      assert.equal(url.origin + url.pathname, PARTNER_REDIRECT);
      assert.equal(url.searchParams.get('error'), 'access_denied');
      const [e] = await app.store.audit.list({ kind: 'consent_denied' });
      assert.deepEqual(
        { actorId: e!.actorId, subjectId: e!.subjectId, ip: e!.ip, userAgent: e!.userAgent, data: e!.data },
        { actorId: null, subjectId: null, ip: '127.0.0.1', userAgent: UA, data: { clientId: partner.clientId } },
      );
    });

    it('without open sign-up (SIGNUP=invite) the screen offers none, even when the app asks for the sign-up screen', T, async () => {
      const agent = new Agent(app.url);
      const url = new URL(await partnerUrl());
      url.searchParams.set('portal_screen', 'sign-up');
      const uid = await atInteraction(agent, url.href);
      const screen = (await (await agent.api('GET', `/bff/interaction/${uid}`)).json()) as Record<string, unknown>;
      assert.deepEqual([screen.prompt, screen.signUp, screen.screen], ['login', false, 'sign-in']);
    });

    it('says so when the app that started the sign-in was deleted meanwhile', T, async () => {
      const gone = await testPartner(app, 'Gone Partner', ['openid']);
      const agent = new Agent(app.url);
      const url = oidc.buildAuthorizationUrl(gone.config, {
        redirect_uri: PARTNER_REDIRECT,
        scope: 'openid',
        state: oidc.randomState(),
        code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()),
        code_challenge_method: 'S256',
      });
      const uid = await atInteraction(agent, url.href);
      assert.equal(await app.store.clients.delete(gone.clientId), true);
      assert.deepEqual(await answer(await agent.api('GET', `/bff/interaction/${uid}`)), {
        status: 404,
        body: { error: 'interaction_not_found', message: 'The app that started this sign-in no longer exists.' },
      });
    });

    it('a reloaded screen of a sign-in waiting for a new password says so', T, async () => {
      const hire = await createAccount(app.store, { email: `hire-${db}@example.com`, password: PASSWORD, mustChangePassword: true }, Date.now());
      const agent = new Agent(app.url);
      const uid = await atInteraction(agent, '/bff/login?returnTo=/account');
      const res = await agent.api('POST', `/bff/interaction/${uid}/login`, { email: hire.email, password: PASSWORD });
      assert.deepEqual(await answer(res), { status: 200, body: { next: 'new_password', email: hire.email } });
      const screen = (await (await agent.api('GET', `/bff/interaction/${uid}`)).json()) as Record<string, unknown>;
      assert.deepEqual([screen.prompt, screen.newPassword, screen.secondFactor, screen.verifyEmail], ['login', { email: hire.email }, undefined, undefined]);
    });

    it('a sign-in refused because password hashing is saturated (503 busy) is not audited as a failure', T, async () => {
      const agent = new Agent(app.url);
      const uid = await atInteraction(agent, '/bff/login?returnTo=/account');
      const before = (await app.store.audit.list({ kind: 'sign_in_failed' })).length;
      let release!: () => void;
      const held = new Promise<void>((r) => (release = r));
      const fill = Array.from({ length: passwordHashing.concurrency + passwordHashing.maxQueued }, () => passwordHashing.run(() => held));
      let res: Response;
      try {
        res = await agent.api('POST', `/bff/interaction/${uid}/login`, { email: user.email, password: 'not the password at all' });
      } finally {
        release();
        await Promise.all(fill);
      }
      assert.equal(res.status, 503);
      assert.equal((await res.json()).error, 'busy');
      assert.equal((await app.store.audit.list({ kind: 'sign_in_failed' })).length, before);
      // A checked wrong password is.
      const wrong = await agent.api('POST', `/bff/interaction/${uid}/login`, { email: user.email, password: 'not the password at all' });
      assert.equal(wrong.status, 401);
      assert.equal((await app.store.audit.list({ kind: 'sign_in_failed' })).length, before + 1);
    });

    it('an account deleted while its email verification waits: resend and continue say the sign-in is not waiting', T, async () => {
      const gone = await createAccount(app.store, { email: `gone-${db}@example.com`, password: PASSWORD, emailVerified: false }, Date.now());
      const agent = new Agent(app.url);
      const uid = await atInteraction(agent, '/bff/login?returnTo=/account');
      const res = await agent.api('POST', `/bff/interaction/${uid}/login`, { email: gone.email, password: PASSWORD });
      assert.deepEqual(await answer(res), { status: 200, body: { next: 'verify_email', email: gone.email } });
      assert.deepEqual(await app.store.users.delete(gone.id), { ok: true });
      for (const step of ['verify-email/resend', 'verify-email/continue']) {
        assert.deepEqual(
          await answer(await agent.api('POST', `/bff/interaction/${uid}/${step}`, {})),
          { status: 400, body: { error: 'wrong_prompt', message: 'This sign-in is not waiting for an email code. Sign in again.' } },
          step,
        );
      }
    });

    it("a sign-in finished by a password, or by continuing once the email is verified, is remembered (the provider's cookie persists)", T, async () => {
      const remembered = (agent: Agent) => {
        const op = agent.jar.get('portal_op');
        assert.ok(op, 'the provider session cookie');
        return /expires=|max-age=/i.test(op.attrs);
      };
      const byPassword = new Agent(app.url);
      const uid = await atInteraction(byPassword, '/bff/login?returnTo=/account');
      const res = await byPassword.api('POST', `/bff/interaction/${uid}/login`, { email: user.email, password: PASSWORD });
      assert.equal(res.status, 200);
      const { url } = await byPassword.follow(((await res.json()) as { redirectTo: string }).redirectTo);
      assert.equal(url.pathname, '/account');
      assert.equal(remembered(byPassword), true);

      const later = await createAccount(app.store, { email: `later-${db}@example.com`, password: PASSWORD, emailVerified: false }, Date.now());
      const byLink = new Agent(app.url);
      const lu = await atInteraction(byLink, '/bff/login?returnTo=/account');
      const waiting = await byLink.api('POST', `/bff/interaction/${lu}/login`, { email: later.email, password: PASSWORD });
      assert.deepEqual(await answer(waiting), { status: 200, body: { next: 'verify_email', email: later.email } });
      await app.store.users.update(later.id, { emailVerified: true }, Date.now());
      const done = await byLink.api('POST', `/bff/interaction/${lu}/verify-email/continue`, {});
      assert.equal(done.status, 200);
      const { url: landed } = await byLink.follow(((await done.json()) as { redirectTo: string }).redirectTo);
      assert.equal(landed.pathname, '/account');
      assert.equal(remembered(byLink), true);
    });
  });
}
