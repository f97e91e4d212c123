/**
 * Second factors end to end through the real app, provider and database:
 * setting up TOTP on the account API, the sign-in's second-factor step
 * (wrong, replayed, throttled, recovery codes), amr/acr in a partner's ID token
 * read by openid-client, and acr_values=mfa. TOTP codes come from the
 * independent RFC 6238 implementation in testing/totp.ts.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import * as oidc from 'openid-client';
import { startTestApp, TEST_SECRETS_ENV, type TestApp } from '../testing/test-app.ts';
import { Agent, authorizeThrough, signedInAgent } from '../testing/agent.ts';
import { PARTNER_REDIRECT, testPartner, type TestPartner } from '../testing/partner.ts';
import { rawSql } from '../testing/raw-sql.ts';
import { codeForStep, stepAt } from '../testing/totp.ts';
import { enrolTotp, knownFactor } from '../testing/second-factor.ts';
import { createAccount } from '../accounts/accounts.ts';
import { SoftAuthenticator } from '../testing/soft-authenticator.ts';
import { registerWith } from './passkey-test-helpers.ts';

const PASSWORD = 'correct horse battery staple';
let n = 0;
const email = (p: string) => `${p}-${++n}-${Date.now()}@example.com`;

/** Authorize as the partner (optionally with acr_values), through the interaction, and redeem the code with openid-client. */
async function partnerSignIn(app: TestApp, p: TestPartner, agent: Agent, who: string, extra: Record<string, string> = {}) {
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const url = oidc.buildAuthorizationUrl(p.config, {
    redirect_uri: PARTNER_REDIRECT,
    scope: 'openid email',
    state,
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    ...extra,
  });
  const end = await authorizeThrough(agent, url.href, { email: who, password: PASSWORD });
  const tokens = await oidc.authorizationCodeGrant(p.config, end, { pkceCodeVerifier: verifier, expectedState: state });
  return tokens.claims()!;
}

/** Starts a sign-in and posts the password: the uid and the portal's answer. */
async function password(agent: Agent, who: string): Promise<{ uid: string; body: Record<string, unknown> }> {
  const { url } = await agent.follow('/bff/login', (u) => u.pathname.startsWith('/interaction/'));
  const uid = url.pathname.split('/')[2]!;
  const res = await agent.api('POST', `/bff/interaction/${uid}/login`, { email: who, password: PASSWORD });
  assert.equal(res.status, 200);
  return { uid, body: await res.json() };
}

const secondFactor = (agent: Agent, uid: string, method: string, code: string) => agent.api('POST', `/bff/interaction/${uid}/second-factor`, { method, code });

describe('the independent RFC 6238 implementation', () => {
  it('gives the RFC 6238 appendix B SHA-1 codes (last six digits)', () => {
    const secret = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ';
    assert.deepEqual(
      [59, 1111111109, 1234567890, 2000000000].map((t) => codeForStep(secret, Math.floor(t / 30))),
      ['287082', '081804', '005924', '279037'],
    );
  });
});

for (const db of ['sqlite', 'postgres'] as const) {
  describe(`second factors (${db})`, () => {
    let app: TestApp;
    let partner: TestPartner;
    before(async () => {
      app = await startTestApp({ db });
      partner = await testPartner(app);
    });
    after(() => app.close());

    it('sets up TOTP only after a right code, seals the secret at rest, and shows ten recovery codes once', async () => {
      const who = email('set');
      await createAccount(app.store, { email: who, password: PASSWORD }, Date.now());
      const agent = await signedInAgent(app.url, who, PASSWORD);
      assert.deepEqual(await (await agent.api('GET', '/bff/account/mfa')).json(), {
        totp: { enabled: false, createdAt: null },
        recoveryCodes: { remaining: 0 },
        required: false,
        setupRequired: false,
      });
      assert.equal((await agent.api('POST', '/bff/account/mfa/totp/confirm', { code: '123456' })).status, 400, 'no setup started');
      const setup = await (await agent.api('POST', '/bff/account/mfa/totp/setup', {})).json();
      assert.match(setup.secret, /^[A-Z2-7]{32}$/);
      assert.match(setup.uri, new RegExp(`^otpauth://totp/.*secret=${setup.secret}`));
      assert.match(setup.qrCode, /^data:image\/png;base64,/);
      const wrong = await agent.api('POST', '/bff/account/mfa/totp/confirm', { code: codeForStep(setup.secret, stepAt(Date.now()) + 5) });
      assert.equal(wrong.status, 400);
      assert.equal((await wrong.json()).error, 'mfa_code_invalid');
      const user = (await app.store.users.findByEmail(who))!;
      assert.equal(await app.store.mfa.totp.find(user.id), null, 'nothing saved before a right code');
      const ok = await agent.api('POST', '/bff/account/mfa/totp/confirm', { code: codeForStep(setup.secret, stepAt(Date.now())) });
      assert.equal(ok.status, 200);
      const body = await ok.json();
      assert.equal(body.newRecoveryCodes.length, 10);
      assert.equal(new Set(body.newRecoveryCodes).size, 10);
      assert.equal(body.totp.enabled, true);
      assert.equal(
        body.newRecoveryCodes.every((c: string) => /^[a-z2-9]{5}-[a-z2-9]{5}$/.test(c)),
        true,
      );
      const [row] = await rawSql<{ secret: string }>(app.config.databaseUrl, 'SELECT secret FROM mfa_totp WHERE user_id = $1', [user.id]);
      assert.ok(row && !row.secret.includes(setup.secret), 'the database holds the secret sealed, not in clear');
      const codes = await rawSql<{ code_hash: string }>(app.config.databaseUrl, 'SELECT code_hash FROM mfa_recovery_codes WHERE user_id = $1', [user.id]);
      assert.equal(codes.length, 10);
      assert.equal(
        codes.some((c) => body.newRecoveryCodes.includes(c.code_hash)),
        false,
        'only hashes are stored',
      );
      assert.equal((await app.store.audit.list({ kind: 'mfa_totp_enrolled', subjectId: user.id })).length, 1);
    });

    it('asks for the second factor after the password: wrong and replayed codes are refused, a right one completes; amr and acr reach the partner', async () => {
      const who = email('step');
      await createAccount(app.store, { email: who, password: PASSWORD }, Date.now());
      const f = await enrolTotp(await signedInAgent(app.url, who, PASSWORD), who);
      const agent = new Agent(app.url);
      const { uid, body } = await password(agent, who);
      assert.deepEqual(body, { next: 'second_factor', factors: ['totp', 'recovery_code'] });
      const info = await (await agent.api('GET', `/bff/interaction/${uid}`)).json();
      assert.deepEqual(info.secondFactor, { factors: ['totp', 'recovery_code'] });
      const wrong = await secondFactor(agent, uid, 'totp', codeForStep(f.secret, stepAt(Date.now()) + 7));
      assert.equal(wrong.status, 400);
      assert.equal((await wrong.json()).error, 'mfa_code_invalid');
      // The code that confirmed the setup was used: it never works again.
      const replayed = await secondFactor(agent, uid, 'totp', codeForStep(f.secret, f.lastStep));
      assert.equal(replayed.status, 400);
      assert.equal((await replayed.json()).error, 'mfa_code_replayed');
      const ok = await secondFactor(agent, uid, 'totp', codeForStep(f.secret, f.lastStep + 1));
      assert.equal(ok.status, 200);
      f.lastStep += 1;
      const { url } = await agent.follow((await ok.json()).redirectTo);
      assert.equal(url.pathname, '/account');

      // A partner sign-in through openid-client: the ID token says what happened.
      const claims = await partnerSignIn(app, partner, new Agent(app.url), who);
      assert.deepEqual(claims.amr, ['pwd', 'otp', 'mfa']);
      assert.equal(claims.acr, 'mfa');
      const discovery = await (await fetch(`${app.config.issuer}/.well-known/openid-configuration`)).json();
      assert.deepEqual(discovery.acr_values_supported, ['mfa']);
    });

    it("a passkey answers the second-factor step: only that user's passkeys are offered, and amr says hwk and mfa", async () => {
      const who = email('pk');
      await createAccount(app.store, { email: who, password: PASSWORD }, Date.now());
      const auth = new SoftAuthenticator({ origin: app.url });
      assert.equal((await registerWith(await signedInAgent(app.url, who, PASSWORD), auth)).status, 201);
      const agent = new Agent(app.url);
      const { uid, body } = await password(agent, who);
      assert.deepEqual(body, { next: 'second_factor', factors: ['passkey'] });
      const { options } = await (await agent.api('POST', `/bff/interaction/${uid}/second-factor/passkey/options`, {})).json();
      assert.deepEqual(
        options.allowCredentials.map((c: { id: string }) => c.id),
        auth.held.map((h) => Buffer.from(h.id).toString('base64url')),
      );
      const ok = await agent.api('POST', `/bff/interaction/${uid}/second-factor/passkey`, { response: auth.get(options) });
      assert.equal(ok.status, 200);
      assert.equal((await agent.follow((await ok.json()).redirectTo)).url.pathname, '/account');
      // The provider session remembers how this browser signed in: a partner's ID token says so.
      const claims = await partnerSignIn(app, partner, agent, who);
      assert.deepEqual(claims.amr, ['pwd', 'hwk', 'user', 'mfa']);
      assert.equal(claims.acr, 'mfa');
    });

    it('a recovery code gets the user in once; its use is audited and mailed; new codes replace the old', async () => {
      const who = email('rcv');
      await createAccount(app.store, { email: who, password: PASSWORD }, Date.now());
      const f = await enrolTotp(await signedInAgent(app.url, who, PASSWORD), who);
      const user = (await app.store.users.findByEmail(who))!;
      const code = f.recoveryCodes[0]!;
      const agent = new Agent(app.url);
      const first = await password(agent, who);
      const ok = await secondFactor(agent, first.uid, 'recovery_code', ` ${code.toUpperCase()} `);
      assert.equal(ok.status, 200);
      assert.equal((await agent.follow((await ok.json()).redirectTo)).url.pathname, '/account');
      const used = await app.store.audit.list({ kind: 'mfa_recovery_code_used', subjectId: user.id });
      assert.equal(used.length, 1);
      assert.equal(used[0]!.data.remaining, 9);
      const mailed = await rawSql(app.config.databaseUrl, 'SELECT id FROM mail_outbox WHERE kind = $1 AND to_address = $2', ['recovery_code_used', who]);
      assert.equal(mailed.length, 1);
      const again = new Agent(app.url);
      const second = await password(again, who);
      const reused = await secondFactor(again, second.uid, 'recovery_code', code);
      assert.equal(reused.status, 400);
      assert.equal((await reused.json()).error, 'mfa_code_invalid');

      const fresh = await (await agent.api('POST', '/bff/account/mfa/recovery-codes', {})).json();
      assert.equal(fresh.newRecoveryCodes.length, 10);
      assert.equal(fresh.newRecoveryCodes.includes(f.recoveryCodes[1]), false);
      assert.equal((await secondFactor(again, second.uid, 'recovery_code', f.recoveryCodes[1]!)).status, 400, 'the old codes stopped working');
      assert.equal((await secondFactor(again, second.uid, 'recovery_code', fresh.newRecoveryCodes[0])).status, 200);
    });

    it('throttles wrong codes per account and address: 429 with Retry-After, then even a right code waits', async () => {
      const who = email('thr');
      await createAccount(app.store, { email: who, password: PASSWORD }, Date.now());
      const f = await enrolTotp(await signedInAgent(app.url, who, PASSWORD), who);
      const agent = new Agent(app.url);
      const { uid } = await password(agent, who);
      const limit = app.config.rateLimit.loginPerAccount;
      const answers: number[] = [];
      for (let i = 0; i < limit + 1; i++) answers.push((await secondFactor(agent, uid, 'totp', '000000')).status);
      assert.deepEqual(answers, [...Array(limit).fill(400), 429]);
      const right = await secondFactor(agent, uid, 'totp', codeForStep(f.secret, f.lastStep + 1));
      assert.equal(right.status, 429);
      assert.ok(Number(right.headers.get('retry-after')) > 0);
    });

    it('acr_values=mfa: a session that signed in without a second factor is asked to sign in again', async () => {
      const who = email('acr');
      await createAccount(app.store, { email: who, password: PASSWORD }, Date.now());
      const agent = new Agent(app.url);
      const plain = await partnerSignIn(app, partner, agent, who);
      assert.deepEqual(plain.amr, ['pwd']);
      assert.equal(plain.acr, undefined);
      const ask = async (extra: Record<string, string>) => {
        const url = oidc.buildAuthorizationUrl(partner.config, {
          redirect_uri: PARTNER_REDIRECT,
          scope: 'openid email',
          state: 's',
          code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()),
          code_challenge_method: 'S256',
          ...extra,
        });
        const { url: end } = await agent.follow(url.href, (u) => u.pathname.startsWith('/interaction/'));
        return end.pathname.startsWith('/interaction/')
          ? (await (await agent.api('GET', `/bff/interaction/${end.pathname.split('/')[2]}`)).json()).prompt
          : end.origin;
      };
      assert.equal(await ask({}), new URL(PARTNER_REDIRECT).origin, 'the session is enough without acr_values');
      assert.equal(await ask({ acr_values: 'mfa' }), 'login');
      // Without a second factor there is nothing more to ask: the sign-in completes, and says so.
      const again = await partnerSignIn(app, partner, agent, who, { acr_values: 'mfa' });
      assert.deepEqual(again.amr, ['pwd']);
      assert.equal(again.acr, undefined);
    });

    it('MFA_ADMINS=required: no admin screen before setup; the last factor stays; impersonating needs a code from the last 15 minutes', async () => {
      const adminEmail = email('admin');
      await createAccount(app.store, { email: adminEmail, password: PASSWORD, role: 'admin' }, Date.now());
      const target = await createAccount(app.store, { email: email('target'), password: PASSWORD }, Date.now());
      const agent = new Agent(app.url);
      assert.equal((await authorizeThrough(agent, '/bff/login', { email: adminEmail, password: PASSWORD })).pathname, '/account');
      assert.equal((await (await agent.api('GET', '/bff/session')).json()).secondFactorSetupRequired, true);
      const refused = await agent.api('GET', '/bff/admin/clients');
      assert.equal(refused.status, 403);
      assert.equal((await refused.json()).error, 'mfa_setup_required');
      const start = await agent.api('POST', '/bff/impersonation/start', { userId: target.id, reason: 'Customer asked for help with billing' });
      assert.equal((await start.json()).error, 'mfa_setup_required');
      const f = await enrolTotp(agent, adminEmail);
      assert.equal((await agent.api('GET', '/bff/admin/clients')).status, 200);
      const remove = await agent.api('DELETE', '/bff/account/mfa/totp');
      assert.equal(remove.status, 409);
      assert.equal((await remove.json()).error, 'last_factor');

      // Sixteen minutes on, the setup's code is too old: a new one is asked for (step-up), and the audit names it.
      app.clock.offset = 16 * 60_000;
      try {
        const body = { userId: target.id, reason: 'Customer asked for help with billing' };
        const stale = await agent.api('POST', '/bff/impersonation/start', body);
        assert.equal(stale.status, 403);
        assert.equal((await stale.json()).error, 'mfa_step_up_required');
        const step = await agent.api('POST', '/bff/mfa/step-up', { method: 'totp', code: codeForStep(f.secret, f.lastStep + 1) });
        assert.equal(step.status, 200);
        f.lastStep += 1;
        assert.equal((await agent.api('POST', '/bff/impersonation/start', body)).status, 200);
        const [requested] = await app.store.audit.list({ kind: 'impersonation_requested', actorId: (await app.store.users.findByEmail(adminEmail))!.id });
        assert.equal(requested!.data.secondFactor, 'totp');
      } finally {
        app.clock.offset = 0;
      }
      assert.ok(knownFactor(app.url, adminEmail));
    });

    it('portal user reset-mfa removes the factors, audited; the next sign-in needs only the password', async () => {
      const who = email('reset');
      await createAccount(app.store, { email: who, password: PASSWORD }, Date.now());
      await enrolTotp(await signedInAgent(app.url, who, PASSWORD), who);
      // Not spawnSync: this process serves the portal meanwhile.
      const cli = await promisify(execFile)(process.execPath, ['bff/cli.ts', 'user', 'reset-mfa', '--email', who], {
        env: { ...process.env, ...TEST_SECRETS_ENV, DATABASE_URL: app.config.databaseUrl },
        encoding: 'utf8',
      });
      assert.deepEqual(JSON.parse(cli.stdout).removed, { totp: true, recoveryCodes: 10, passkeys: 0 });
      const user = (await app.store.users.findByEmail(who))!;
      assert.equal((await app.store.audit.list({ kind: 'mfa_reset', subjectId: user.id })).length, 1);
      assert.equal((await password(new Agent(app.url), who)).body.redirectTo !== undefined, true);
    });
  });
}
