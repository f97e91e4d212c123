/**
 * The sign-in interaction's routes (sign-in/routes.ts), each answer exactly, where mutation testing
 * (docs/mutation.md) asks for it: the screen's data (client, login hint, sign-up screen, the step a
 * reloaded screen waits at, consent's previously granted scopes), the password step with its audit
 * entries (success, failure with the email lower-cased, the throttle), the amr a password and an
 * emailed code give, email verification (code, resend, the link and continue), sign-up, the emailed
 * code's refusals, a second factor held before the interaction ends, and consent: what is allowed
 * and declined, the remembered consent merged over two visits, its audit entry, and denial.
 * Wrong-prompt refusals for each step. Through the real app, provider, SMTP and database, on SQLite
 * and PostgreSQL.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as oidc from 'openid-client';
import { startTestApp, type TestApp } from '../testing/test-app.ts';
import { startInbox, type Inbox } from '../testing/smtp-inbox.ts';
import { Agent, signedInAgent } from '../testing/agent.ts';
import { enrolTotp } from '../testing/second-factor.ts';
import { PARTNER_REDIRECT, testPartner, type TestPartner } from '../testing/partner.ts';
import { createAccount } from '../accounts/accounts.ts';
import { CODE_SENT_MESSAGE } from './email-code.ts';

const PASSWORD = 'a long enough passphrase 9';
const UA = 'SignInRoutesTest/1.0';
const T = { timeout: 20000 };

const codeIn = (text: string) => /Your code: (\d{6})/.exec(text)?.[1] ?? assert.fail(`no code in ${text}`);
const linkTokenIn = (text: string) => /\/verify-email#token=([A-Za-z0-9_-]+)/.exec(text)?.[1] ?? assert.fail(`no link in ${text}`);

/** Follows a start URL to its interaction; the agent and the uid. */
async function atInteraction(agent: Agent, start: string): Promise<string> {
  const { url } = await agent.follow(start, (u) => u.pathname.startsWith('/interaction/'));
  assert.match(url.pathname, /^\/interaction\//, url.href);
  return url.pathname.split('/')[2]!;
}

const NOT_WAITING = { status: 400, body: { error: 'wrong_prompt', message: 'This sign-in is not waiting for an email code. Sign in again.' } };
const errorBody = async (res: Response) => ({ status: res.status, body: await res.json() });
/** Whether the provider's session cookie outlives the browser (remember: true) rather than being a session cookie. */
const remembered = (agent: Agent) => {
  const op = agent.jar.get('portal_op');
  assert.ok(op, 'the provider session cookie');
  return /expires=|max-age=/i.test(op.attrs);
};

for (const db of ['sqlite', 'postgres'] as const) {
  describe(`the sign-in interaction's routes (${db})`, () => {
    let app: TestApp;
    let inbox: Inbox;
    let partner: TestPartner;
    let n = 0;
    const account = async (opts: { verified?: boolean; name?: string } = {}) => {
      const email = `signin-${db}-${++n}@example.com`;
      const user = await createAccount(
        app.store,
        { email, password: PASSWORD, name: opts.name ?? `User ${n}`, emailVerified: opts.verified ?? true },
        Date.now(),
      );
      return { email, user };
    };
    const mailText = async (email: string, count: number) => (await inbox.waitForTo(email, count)).at(-1)!.mail.text ?? '';
    const lastAudit = async (kind: string) => {
      const [e] = await app.store.audit.list({ kind: kind as never });
      assert.ok(e, `an ${kind} entry`);
      const { actorId, subjectId, ip, userAgent, data } = e;
      return { actorId, subjectId, ip, userAgent, data };
    };
    const auditCount = async (kind: string) => (await app.store.audit.list({ kind: kind as never })).length;

    /** A partner's authorization request (PKCE), to its first interaction. */
    const partnerStart = async (agent: Agent, scope: string | undefined, extra: Record<string, string> = {}) => {
      const verifier = oidc.randomPKCECodeVerifier();
      const state = oidc.randomState();
      const url = oidc.buildAuthorizationUrl(partner.config, {
        redirect_uri: PARTNER_REDIRECT,
        ...(scope === undefined ? {} : { scope }),
        state,
        code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
        ...extra,
      });
      return { uid: await atInteraction(agent, url.href), verifier, state };
    };
    /** Follows an interaction's redirectTo to the next interaction (or off the portal). */
    const next = async (agent: Agent, res: Response) => {
      assert.equal(res.status, 200, await res.clone().text());
      const { redirectTo } = (await res.json()) as { redirectTo: string };
      const { url } = await agent.follow(redirectTo, (u) => u.pathname.startsWith('/interaction/') || u.pathname === '/account');
      return url;
    };

    before(async () => {
      inbox = await startInbox();
      app = await startTestApp({ db, env: { SMTP_URL: inbox.url, SIGNUP: 'open', RATE_LIMIT_LOGIN_PER_ACCOUNT: '2' } });
      partner = await testPartner(app, 'Routes Partner', ['openid', 'profile', 'email']);
    });
    after(async () => {
      await app.close();
      await inbox.close();
    });

    const SCOPES = [
      { name: 'openid', description: 'Confirm who you are (your Portal account identifier)', required: true },
      { name: 'profile', description: 'See your name', required: false },
      { name: 'email', description: 'See your email address', required: false },
    ];
    const screen = (uid: string, over: Record<string, unknown>) => ({
      uid,
      prompt: 'login',
      client: { clientId: 'portal-bff', name: 'Portal', logoUrl: null, firstParty: true },
      loginHint: null,
      connections: [],
      homeRealmDiscovery: false,
      pendingLink: null,
      user: null,
      signUp: true,
      screen: 'sign-in',
      scopes: SCOPES.map((s) => ({ ...s, previouslyGranted: false })),
      ...over,
    });
    const screenOf = async (agent: Agent, uid: string) => {
      const res = await agent.api('GET', `/bff/interaction/${uid}`);
      assert.equal(res.status, 200);
      return res.json();
    };

    it('consents: required scopes kept, unticked ones declined, merged over two visits, audited; denial audited and sent back', T, async () => {
      const { email, user } = await account();
      const agent = new Agent(app.url);
      const first = await partnerStart(agent, 'openid profile email');
      const consentAt = await next(agent, await agent.api('POST', `/bff/interaction/${first.uid}/login`, { email, password: PASSWORD }));
      const cu = consentAt.pathname.split('/')[2]!;
      assert.deepEqual(
        (await screenOf(agent, cu)).scopes,
        SCOPES.map((s) => ({ ...s, previouslyGranted: false })),
      );
      const deny = await agent.api('POST', `/bff/interaction/${cu}/deny`, {}, { 'user-agent': UA });
      const back = await next(agent, deny);
      assert.equal(back.origin + back.pathname, PARTNER_REDIRECT);
      assert.deepEqual([...back.searchParams.keys()], ['error', 'error_description', 'state', 'iss']);
      assert.equal(back.searchParams.get('error'), 'access_denied');
      assert.equal(back.searchParams.get('error_description'), 'The user denied access to the app.');
      assert.deepEqual(await lastAudit('consent_denied'), {
        actorId: user.id,
        subjectId: user.id,
        ip: '127.0.0.1',
        userAgent: UA,
        data: { clientId: partner.clientId },
      });

      const second = await partnerStart(agent, 'openid profile email');
      const sc = second.uid;
      const given = await agent.api('POST', `/bff/interaction/${sc}/consent`, { scopes: ['email'] }, { 'user-agent': UA });
      const end = await next(agent, given);
      const tokens = await oidc.authorizationCodeGrant(partner.config, end, { pkceCodeVerifier: second.verifier, expectedState: second.state });
      assert.equal(tokens.scope, 'openid email');
      assert.deepEqual(await lastAudit('consent_given'), {
        actorId: user.id,
        subjectId: user.id,
        ip: '127.0.0.1',
        userAgent: UA,
        data: { clientId: partner.clientId, allowed: ['openid', 'email'], declined: ['profile'] },
      });
      const row1 = (await app.store.consents.find(user.id, partner.clientId))!;
      assert.deepEqual(row1.scopes, ['openid', 'email', '!profile']);
      assert.equal(row1.grantedAt, row1.updatedAt);

      const third = await partnerStart(agent, 'openid profile email', { prompt: 'consent' });
      // Asked again (prompt=consent): everything was decided, so nothing counts as missing and all is kept,
      // the scope declined before included: its grant no longer rejects it.
      assert.deepEqual(
        (await screenOf(agent, third.uid)).scopes,
        SCOPES.map((s) => ({ ...s, previouslyGranted: true })),
      );
      const again = await next(agent, await agent.api('POST', `/bff/interaction/${third.uid}/consent`, { scopes: ['profile'] }));
      const more = await oidc.authorizationCodeGrant(partner.config, again, { pkceCodeVerifier: third.verifier, expectedState: third.state });
      assert.equal(more.scope, 'openid email profile');
      const row2 = (await app.store.consents.find(user.id, partner.clientId))!;
      assert.deepEqual(row2.scopes, ['openid', 'email', 'profile']);
      assert.equal(row2.grantedAt, row1.grantedAt);
      assert.equal(row2.grantId, row1.grantId, "the same grant, this sign-in session's");
      assert.deepEqual((await lastAudit('consent_given')).data, { clientId: partner.clientId, allowed: ['openid', 'profile', 'email'], declined: [] });
    });

    it('two browsers at consent at once: each gets a grant of its own; the later decision wins; a later visit keeps what it did not ask about', T, async () => {
      const { email, user } = await account();
      const atConsent = async (agent: Agent) => {
        const s = await partnerStart(agent, 'openid profile email');
        const at = await next(agent, await agent.api('POST', `/bff/interaction/${s.uid}/login`, { email, password: PASSWORD }));
        return { ...s, uid: at.pathname.split('/')[2]! };
      };
      const x = new Agent(app.url);
      const y = new Agent(app.url);
      const cx = await atConsent(x);
      const cy = await atConsent(y);
      // y decides first: the row (and y's grant) allow everything.
      await next(y, await y.api('POST', `/bff/interaction/${cy.uid}/consent`, { scopes: ['profile', 'email'] }));
      const first = (await app.store.consents.find(user.id, partner.clientId))!;
      assert.deepEqual(first.scopes, ['openid', 'profile', 'email']);
      // x, asked before the row existed, declines profile: its decision replaces that one, in a grant of x's session.
      const endX = await next(x, await x.api('POST', `/bff/interaction/${cx.uid}/consent`, { scopes: ['email'] }));
      const second = (await app.store.consents.find(user.id, partner.clientId))!;
      assert.deepEqual(second.scopes, ['openid', 'email', '!profile']);
      assert.notEqual(second.grantId, first.grantId, "another session's grant is never shared");
      const tokensX = await oidc.authorizationCodeGrant(partner.config, endX, { pkceCodeVerifier: cx.verifier, expectedState: cx.state });
      assert.equal(tokensX.scope, 'openid email');

      // Asked again (prompt=consent) about openid and email only: profile, not asked about, stays declined.
      const again = await partnerStart(x, 'openid email', { prompt: 'consent' });
      await next(x, await x.api('POST', `/bff/interaction/${again.uid}/consent`, { scopes: [] }));
      const third = (await app.store.consents.find(user.id, partner.clientId))!;
      assert.deepEqual(third.scopes, ['openid', 'email', '!profile']);
      assert.equal(third.grantId, second.grantId, "x's own grant again");
    });

    it('consent keeps the time of the sign-in: auth_time is when the password was given, not when consent was', T, async () => {
      const { email } = await account();
      const agent = new Agent(app.url);
      // max_age makes the ID token carry auth_time.
      const { uid, verifier, state } = await partnerStart(agent, 'openid', { max_age: '3600' });
      const consentAt = await next(agent, await agent.api('POST', `/bff/interaction/${uid}/login`, { email, password: PASSWORD }));
      const signedInBy = Math.floor(Date.now() / 1000);
      // Consent in a later second than the sign-in (a wait, not a timing assertion).
      while (Math.floor(Date.now() / 1000) <= signedInBy) await new Promise((r) => setTimeout(r, 50));
      const end = await next(agent, await agent.api('POST', `/bff/interaction/${consentAt.pathname.split('/')[2]!}/consent`, { scopes: [] }));
      const tokens = await oidc.authorizationCodeGrant(partner.config, end, { pkceCodeVerifier: verifier, expectedState: state });
      const authTime = tokens.claims()!.auth_time!;
      assert.ok(authTime <= signedInBy, `auth_time ${authTime} is the sign-in's (by ${signedInBy}), not the consent's`);
    });

    it('a request without any scope lists none; a consent screen is never the sign-up screen, and shows no user once the account was deleted', T, async () => {
      const agent = new Agent(app.url);
      const { uid } = await partnerStart(agent, undefined);
      const info = await screenOf(agent, uid);
      assert.deepEqual([info.prompt, info.scopes], ['login', []]);

      const { email, user } = await account();
      const b = new Agent(app.url);
      // The app asked for the sign-up screen: that is the sign-in step's; consent shows no sign-up screen.
      const start = await partnerStart(b, 'openid email', { portal_screen: 'sign-up' });
      assert.equal((await screenOf(b, start.uid)).screen, 'sign-up');
      const consentAt = await next(b, await b.api('POST', `/bff/interaction/${start.uid}/login`, { email, password: PASSWORD }));
      const cu = consentAt.pathname.split('/')[2]!;
      const asked = await screenOf(b, cu);
      assert.deepEqual([asked.prompt, asked.screen, asked.user], ['consent', 'sign-in', { email, name: user.name }]);
      assert.deepEqual(await app.store.users.delete(user.id), { ok: true });
      const res = await b.api('GET', `/bff/interaction/${cu}`);
      assert.equal(res.status, 200, await res.clone().text());
      const gone = await res.json();
      assert.deepEqual([gone.prompt, gone.user], ['consent', null]);
    });

    it("a partner's request carrying an impersonation parameter: at consent it is a consent screen, and the impersonation step refuses it", T, async () => {
      // Any client may send the parameter (oauth/provider.ts extraParams); only the first party's login step acts on it.
      const { email, user } = await account();
      const agent = new Agent(app.url);
      const first = await partnerStart(agent, 'openid');
      await next(agent, await agent.api('POST', `/bff/interaction/${first.uid}/login`, { email, password: PASSWORD }));
      const { uid } = await partnerStart(agent, 'openid email', { impersonation: 'not-a-request' });
      const info = await screenOf(agent, uid);
      assert.deepEqual([info.prompt, info.user], ['consent', { email, name: user.name }]);
      assert.deepEqual(await errorBody(await agent.api('POST', `/bff/interaction/${uid}/impersonate`, {})), {
        status: 400,
        body: { error: 'wrong_prompt', message: 'This step is not an impersonation.' },
      });
    });

    it('signs in with a password: audited with the address and agent; amr pwd; a consent step refuses a password', T, async () => {
      const { email, user } = await account();
      const agent = new Agent(app.url);
      const { uid, verifier, state } = await partnerStart(agent, 'openid email');
      const before = await auditCount('sign_in');
      const res = await agent.api('POST', `/bff/interaction/${uid}/login`, { email, password: PASSWORD }, { 'user-agent': UA });
      const consentAt = await next(agent, res);
      assert.equal(await auditCount('sign_in'), before + 1);
      assert.deepEqual(await lastAudit('sign_in'), {
        actorId: user.id,
        subjectId: user.id,
        ip: '127.0.0.1',
        userAgent: UA,
        data: { method: 'password', clientId: partner.clientId },
      });
      const cu = consentAt.pathname.split('/')[2]!;
      // The consent screen knows who is signing in.
      const info = await screenOf(agent, cu);
      assert.equal(info.prompt, 'consent');
      assert.deepEqual(info.user, { email, name: user.name });
      for (const step of ['login', 'sign-up', 'email-code']) {
        const wrong = await agent.api('POST', `/bff/interaction/${cu}/${step}`, { email, password: PASSWORD, name: 'x' });
        assert.deepEqual(await errorBody(wrong), { status: 400, body: { error: 'wrong_prompt', message: 'This step does not expect a sign-in.' } }, step);
      }
      const end = await next(agent, await agent.api('POST', `/bff/interaction/${cu}/consent`, { scopes: ['email'] }));
      const tokens = await oidc.authorizationCodeGrant(partner.config, end, { pkceCodeVerifier: verifier, expectedState: state });
      assert.deepEqual(tokens.claims()!.amr, ['pwd']);
    });

    it('audits a failed password with the email lower-cased, and a throttled one; the screen refuses an impersonation step', T, async () => {
      const { email } = await account();
      const agent = new Agent(app.url);
      const uid = await atInteraction(agent, '/bff/login?returnTo=/account');
      const before = await auditCount('sign_in_failed');
      const shout = email.toUpperCase();
      const wrong = await agent.api('POST', `/bff/interaction/${uid}/login`, { email: shout, password: 'not the password' }, { 'user-agent': UA });
      assert.deepEqual(await errorBody(wrong), {
        status: 401,
        body: { error: 'invalid_credentials', message: 'Email or password is incorrect.' },
      });
      assert.deepEqual(await lastAudit('sign_in_failed'), {
        actorId: null,
        subjectId: null,
        ip: '127.0.0.1',
        userAgent: UA,
        data: { email, reason: 'invalid_credentials', clientId: 'portal-bff' },
      });
      await agent.api('POST', `/bff/interaction/${uid}/login`, { email, password: 'not the password' });
      const throttled = await agent.api('POST', `/bff/interaction/${uid}/login`, { email, password: PASSWORD });
      assert.equal(throttled.status, 429);
      assert.deepEqual((await lastAudit('sign_in_failed')).data, { email, reason: 'too_many_attempts', clientId: 'portal-bff' });
      assert.equal(await auditCount('sign_in_failed'), before + 3);
      const imp = await agent.api('POST', `/bff/interaction/${uid}/impersonate`, {});
      assert.deepEqual(await errorBody(imp), { status: 400, body: { error: 'wrong_prompt', message: 'This step is not an impersonation.' } });
    });

    it('emails a sign-in code: same answer, audited failure, trimmed code, amr email; not before asking', T, async () => {
      const { email, user } = await account();
      const agent = new Agent(app.url);
      const { uid, verifier, state } = await partnerStart(agent, 'openid');
      const early = await agent.api('POST', `/bff/interaction/${uid}/email-code/verify`, { code: '123456' });
      assert.deepEqual(await errorBody(early), {
        status: 400,
        body: { error: 'wrong_prompt', message: 'This sign-in is not waiting for an emailed code. Ask for one first.' },
      });
      const asked = await agent.api('POST', `/bff/interaction/${uid}/email-code`, { email });
      assert.deepEqual(await errorBody(asked), { status: 200, body: { next: 'email_code', email, message: CODE_SENT_MESSAGE } });
      assert.deepEqual((await screenOf(agent, uid)).emailCode, { email });
      const mail = await mailText(email, 1);
      assert.ok(mail.includes(`${app.config.publicUrl}/interaction/${uid}#code=`), mail);
      const code = codeIn(mail);
      const wrong = await agent.api(
        'POST',
        `/bff/interaction/${uid}/email-code/verify`,
        { code: code === '000000' ? '111111' : '000000' },
        { 'user-agent': UA },
      );
      assert.equal(wrong.status, 400);
      assert.deepEqual(await lastAudit('sign_in_failed'), {
        actorId: null,
        subjectId: null,
        ip: '127.0.0.1',
        userAgent: UA,
        data: { email, reason: 'invalid_code', method: 'email_code', clientId: partner.clientId },
      });
      const consentAt = await next(agent, await agent.api('POST', `/bff/interaction/${uid}/email-code/verify`, { code: ` ${code} ` }, { 'user-agent': UA }));
      assert.deepEqual(await lastAudit('sign_in'), {
        actorId: user.id,
        subjectId: user.id,
        ip: '127.0.0.1',
        userAgent: UA,
        data: { method: 'email_code', clientId: partner.clientId },
      });
      // The finished sign-in is remembered: the provider's cookie persists.
      assert.equal(remembered(agent), true);
      const cu = consentAt.pathname.split('/')[2]!;
      const end = await next(agent, await agent.api('POST', `/bff/interaction/${cu}/consent`, { scopes: [] }));
      const tokens = await oidc.authorizationCodeGrant(partner.config, end, { pkceCodeVerifier: verifier, expectedState: state });
      assert.deepEqual(tokens.claims()!.amr, ['email']);
    });

    it('asks an unverified account for its emailed code (trimmed); a reloaded screen knows; resend and the link then continue', T, async () => {
      const { email, user } = await account({ verified: false });
      const agent = new Agent(app.url);
      const uid = await atInteraction(agent, '/bff/login?returnTo=/account');
      // Not waiting yet: each verification step refuses.
      for (const step of ['verify-email', 'verify-email/resend', 'verify-email/continue']) {
        const early = await agent.api('POST', `/bff/interaction/${uid}/${step}`, { code: '123456' });
        assert.deepEqual(await errorBody(early), NOT_WAITING, step);
      }
      const res = await agent.api('POST', `/bff/interaction/${uid}/login`, { email, password: PASSWORD });
      assert.deepEqual(await errorBody(res), { status: 200, body: { next: 'verify_email', email } });
      assert.deepEqual(await screenOf(agent, uid), screen(uid, { verifyEmail: { email } }));
      const first = codeIn(await mailText(email, 1));
      const resent = await agent.api('POST', `/bff/interaction/${uid}/verify-email/resend`, {});
      assert.deepEqual(await errorBody(resent), { status: 200, body: { ok: true, email } });
      const second = codeIn(await mailText(email, 2));
      const notYet = await agent.api('POST', `/bff/interaction/${uid}/verify-email/continue`, {});
      assert.deepEqual(await errorBody(notYet), {
        status: 400,
        body: { error: 'email_not_verified', message: 'This email is not verified yet. Enter the code from the mail, or open its link first.' },
      });
      assert.notEqual(first, second);
      // The link, opened anywhere, verifies; this browser then continues.
      const link = await new Agent(app.url).api('POST', '/bff/verify-email', { token: linkTokenIn(await mailText(email, 2)) });
      assert.deepEqual(await errorBody(link), { status: 200, body: { ok: true, email } });
      assert.equal((await app.store.users.findById(user.id))!.emailVerified, true);
      assert.equal((await next(agent, await agent.api('POST', `/bff/interaction/${uid}/verify-email/continue`, {}))).pathname, '/account');
    });

    it('takes the emailed verification code with spaces around it and signs in; resend and continue refuse a disabled account', T, async () => {
      const { email } = await account({ verified: false });
      const agent = new Agent(app.url);
      const uid = await atInteraction(agent, '/bff/login?returnTo=/account');
      await agent.api('POST', `/bff/interaction/${uid}/login`, { email, password: PASSWORD });
      const code = codeIn(await mailText(email, 1));
      assert.equal((await next(agent, await agent.api('POST', `/bff/interaction/${uid}/verify-email`, { code: ` ${code} ` }))).pathname, '/account');
      assert.equal(remembered(agent), true, 'a sign-in finished by the verification code is remembered');
      const off = await account({ verified: false });
      const b = new Agent(app.url);
      const ub = await atInteraction(b, '/bff/login?returnTo=/account');
      await b.api('POST', `/bff/interaction/${ub}/login`, { email: off.email, password: PASSWORD });
      await app.store.users.setDisabled(off.user.id, true, Date.now());
      for (const step of ['verify-email/resend', 'verify-email/continue']) {
        const refused = await b.api('POST', `/bff/interaction/${ub}/${step}`, {});
        assert.deepEqual(await errorBody(refused), NOT_WAITING, step);
      }
    });

    it('signs up (SIGNUP=open) into the verification step, whose code ends the sign-in with amr pwd', T, async () => {
      const agent = new Agent(app.url);
      const { uid, verifier, state } = await partnerStart(agent, 'openid');
      const email = `new-${db}@example.com`;
      const res = await agent.api('POST', `/bff/interaction/${uid}/sign-up`, { email, name: 'New One', password: PASSWORD });
      assert.deepEqual(await errorBody(res), { status: 200, body: { next: 'verify_email', email } });
      const code = codeIn(await mailText(email, 1));
      const consentAt = await next(agent, await agent.api('POST', `/bff/interaction/${uid}/verify-email`, { code }));
      const cu = consentAt.pathname.split('/')[2]!;
      const end = await next(agent, await agent.api('POST', `/bff/interaction/${cu}/consent`, { scopes: [] }));
      const tokens = await oidc.authorizationCodeGrant(partner.config, end, { pkceCodeVerifier: verifier, expectedState: state });
      assert.deepEqual(tokens.claims()!.amr, ['pwd']);
      // No name given: the schema's default (none) leaves createAccount to name the account after the address.
      const bare = `bare-${db}@example.com`;
      const b = new Agent(app.url);
      const bu = await atInteraction(b, '/bff/login?returnTo=/account');
      assert.deepEqual(await errorBody(await b.api('POST', `/bff/interaction/${bu}/sign-up`, { email: bare, password: PASSWORD })), {
        status: 200,
        body: { next: 'verify_email', email: bare },
      });
      assert.equal((await app.store.users.findByEmail(bare))!.name, `bare-${db}`);
    });

    it('holds a password sign-in for the second factor an account has; a reloaded screen knows', T, async () => {
      const { email } = await account();
      await enrolTotp(await signedInAgent(app.url, email, PASSWORD), email);
      const agent = new Agent(app.url);
      const uid = await atInteraction(agent, '/bff/login?returnTo=/account');
      const res = await agent.api('POST', `/bff/interaction/${uid}/login`, { email, password: PASSWORD });
      assert.deepEqual(await errorBody(res), { status: 200, body: { next: 'second_factor', factors: ['totp', 'recovery_code'] } });
      assert.deepEqual(await screenOf(agent, uid), screen(uid, { secondFactor: { factors: ['totp', 'recovery_code'] } }));
    });

    it('describes the sign-in screen: the app, the login hint, no user yet, the requested scopes; sign-up only when asked', T, async () => {
      const agent = new Agent(app.url);
      const uid = await atInteraction(agent, '/bff/login?returnTo=/account&login_hint=Hint%40Example.com');
      assert.deepEqual(await screenOf(agent, uid), screen(uid, { loginHint: 'Hint@Example.com' }));
      const plain = new Agent(app.url);
      const uid2 = await atInteraction(plain, '/bff/login?returnTo=/account');
      assert.deepEqual(await screenOf(plain, uid2), screen(uid2, {}));
      // A partner's request: not first party; its sign-up screen when it asks for one.
      const p = new Agent(app.url);
      const { uid: pu } = await partnerStart(p, 'openid email', { portal_screen: 'sign-up' });
      assert.deepEqual(
        await screenOf(p, pu),
        screen(pu, {
          client: { clientId: partner.clientId, name: 'Routes Partner', logoUrl: null, firstParty: false },
          screen: 'sign-up',
          scopes: [SCOPES[0], SCOPES[2]].map((s) => ({ ...s, previouslyGranted: false })),
        }),
      );
      const other = new Agent(app.url);
      const { uid: ou } = await partnerStart(other, 'openid', { portal_screen: 'sign-in' });
      assert.equal((await screenOf(other, ou)).screen, 'sign-in');
    });
  });
}
