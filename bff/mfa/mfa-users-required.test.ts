/**
 * MFA_USERS=required through the real app, provider and database: a user
 * without a second factor who signs in to the portal finds the account screen's
 * API closed (mfa_setup_required) except the setup itself until they set one
 * up; a partner app's sign-in is held at a setup step (an authenticator app,
 * confirmed by a code, or a new passkey) and completes with amr `mfa` for the
 * partner (openid-client). With MFA_USERS=optional nothing is held.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as oidc from 'openid-client';
import { startTestApp, type TestApp } from '../testing/test-app.ts';
import { Agent, authorizeThrough, signedInAgent } from '../testing/agent.ts';
import { PARTNER_REDIRECT, testPartner, type TestPartner } from '../testing/partner.ts';
import { codeForStep, stepAt } from '../testing/totp.ts';
import { enrolTotp } from '../testing/second-factor.ts';
import { SoftAuthenticator } from '../testing/soft-authenticator.ts';
import { createAccount } from '../accounts/accounts.ts';
import { registerWith } from './passkey-test-helpers.ts';

const PASSWORD = 'correct horse battery staple';
let n = 0;
const email = (p: string) => `${p}-${++n}-${Date.now()}@example.com`;

/** A partner's authorize request taken to its sign-in interaction, the password posted: the uid, the answer and how to redeem. */
async function partnerPassword(app: TestApp, p: TestPartner, who: string) {
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const url = oidc.buildAuthorizationUrl(p.config, {
    redirect_uri: PARTNER_REDIRECT,
    scope: 'openid email',
    state,
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
  });
  const agent = new Agent(app.url);
  const { url: at } = await agent.follow(url.href, (u) => u.pathname.startsWith('/interaction/'));
  const uid = at.pathname.split('/')[2]!;
  const res = await agent.api('POST', `/bff/interaction/${uid}/login`, { email: who, password: PASSWORD });
  assert.equal(res.status, 200);
  /** Follows redirectTo through consent to the partner, and redeems the code there. */
  const redeem = async (redirectTo: string) => {
    let { url: next } = await agent.follow(redirectTo, (u) => u.pathname.startsWith('/interaction/'));
    if (next.pathname.startsWith('/interaction/')) {
      const consentUid = next.pathname.split('/')[2]!;
      const consent = await agent.api('POST', `/bff/interaction/${consentUid}/consent`, { scopes: ['openid', 'email'] });
      assert.equal(consent.status, 200);
      ({ url: next } = await agent.follow(((await consent.json()) as { redirectTo: string }).redirectTo, (u) => u.pathname.startsWith('/interaction/')));
    }
    return (await oidc.authorizationCodeGrant(p.config, next, { pkceCodeVerifier: verifier, expectedState: state })).claims()!;
  };
  return { agent, uid, answer: (await res.json()) as Record<string, unknown>, redeem };
}

for (const db of ['sqlite', 'postgres'] as const) {
  describe(`MFA_USERS=required (${db})`, () => {
    let app: TestApp;
    let partner: TestPartner;
    before(async () => {
      app = await startTestApp({ db, env: { MFA_USERS: 'required' } });
      partner = await testPartner(app);
    });
    after(() => app.close());

    it('the account screen stays closed until a second factor is set up; the setup, the session and sign-out stay open', async () => {
      const who = email('acct');
      await createAccount(app.store, { email: who, password: PASSWORD }, Date.now());
      const agent = new Agent(app.url);
      const end = await authorizeThrough(agent, '/bff/login?returnTo=/account', { email: who, password: PASSWORD });
      assert.equal(end.pathname, '/account', 'the portal’s own sign-in completes; the account screen asks for the setup');
      const session = (await (await agent.api('GET', '/bff/session')).json()) as { secondFactorSetupRequired: boolean };
      assert.equal(session.secondFactorSetupRequired, true);
      for (const [method, path, body] of [
        ['GET', '/bff/account'],
        ['POST', '/bff/account/password', { currentPassword: PASSWORD, newPassword: 'another long passphrase here' }],
        ['DELETE', '/bff/account/apps/nope'],
      ] as const) {
        const res = await agent.api(method, path, body);
        assert.equal(res.status, 403, `${method} ${path}`);
        assert.equal(((await res.json()) as { error: string }).error, 'mfa_setup_required');
      }
      const status = (await (await agent.api('GET', '/bff/account/mfa')).json()) as { required: boolean; setupRequired: boolean };
      assert.deepEqual([status.required, status.setupRequired], [true, true]);
      assert.equal((await agent.api('GET', '/bff/account/passkeys')).status, 200);
      assert.equal((await agent.api('GET', '/bff/account/sessions')).status, 200);

      await enrolTotp(agent, who);
      assert.equal((await agent.api('GET', '/bff/account')).status, 200);
      assert.equal(((await (await agent.api('GET', '/bff/session')).json()) as { secondFactorSetupRequired: boolean }).secondFactorSetupRequired, false);
    });

    it('a passkey is enough to open the account screen', async () => {
      const who = email('pk');
      await createAccount(app.store, { email: who, password: PASSWORD }, Date.now());
      const agent = new Agent(app.url);
      await authorizeThrough(agent, '/bff/login?returnTo=/account', { email: who, password: PASSWORD });
      assert.equal((await agent.api('GET', '/bff/account')).status, 403);
      const added = await registerWith(agent, new SoftAuthenticator({ origin: app.url }));
      assert.equal(added.status, 201);
      assert.equal((await agent.api('GET', '/bff/account')).status, 200);
    });

    it('a partner’s sign-in is held until an authenticator app is set up in it; a wrong code saves nothing; then amr says mfa', async () => {
      const who = email('app');
      const user = await createAccount(app.store, { email: who, password: PASSWORD }, Date.now());
      const { agent, uid, answer, redeem } = await partnerPassword(app, partner, who);
      assert.deepEqual(answer, { next: 'second_factor_setup' });
      const info = (await (await agent.api('GET', `/bff/interaction/${uid}`)).json()) as { secondFactorSetup?: boolean };
      assert.equal(info.secondFactorSetup, true, 'a reloaded screen shows the setup again');
      assert.equal((await agent.api('POST', `/bff/interaction/${uid}/second-factor/setup/totp/confirm`, { code: '123456' })).status, 400, 'no setup started');

      const setup = (await (await agent.api('POST', `/bff/interaction/${uid}/second-factor/setup/totp`, {})).json()) as { secret: string; qrCode: string };
      assert.match(setup.qrCode, /^data:image\/png;base64,/);
      const wrong = await agent.api('POST', `/bff/interaction/${uid}/second-factor/setup/totp/confirm`, {
        code: codeForStep(setup.secret, stepAt(Date.now()) + 5),
      });
      assert.equal(wrong.status, 400);
      assert.equal(await app.store.mfa.totp.find(user.id), null, 'nothing saved before a right code');

      const ok = await agent.api('POST', `/bff/interaction/${uid}/second-factor/setup/totp/confirm`, { code: codeForStep(setup.secret, stepAt(Date.now())) });
      assert.equal(ok.status, 200);
      const done = (await ok.json()) as { redirectTo: string; newRecoveryCodes: string[] };
      assert.equal(done.newRecoveryCodes.length, 10);
      assert.ok(await app.store.mfa.totp.find(user.id));
      const claims = await redeem(done.redirectTo);
      assert.ok((claims.amr as string[]).includes('mfa'), JSON.stringify(claims.amr));
      assert.equal(claims.acr, 'mfa');
      // The setup is spent: the interaction no longer waits for it.
      assert.notEqual((await agent.api('POST', `/bff/interaction/${uid}/second-factor/setup/totp`, {})).status, 200);
    });

    it('a partner’s held sign-in completes with a new passkey', async () => {
      const who = email('pkp');
      const user = await createAccount(app.store, { email: who, password: PASSWORD }, Date.now());
      const { agent, uid, answer, redeem } = await partnerPassword(app, partner, who);
      assert.deepEqual(answer, { next: 'second_factor_setup' });
      // The ordinary second-factor answer is no way around the setup.
      assert.equal((await agent.api('POST', `/bff/interaction/${uid}/second-factor`, { method: 'totp', code: '123456' })).status, 400);
      const options = (await (await agent.api('POST', `/bff/interaction/${uid}/second-factor/setup/passkey/options`, {})).json()) as {
        options: Parameters<SoftAuthenticator['create']>[0];
      };
      const auth = new SoftAuthenticator({ origin: app.url });
      const bad = await agent.api('POST', `/bff/interaction/${uid}/second-factor/setup/passkey`, { name: ' ', response: auth.create(options.options) });
      assert.equal(bad.status, 400);
      const fresh = (await (await agent.api('POST', `/bff/interaction/${uid}/second-factor/setup/passkey/options`, {})).json()) as {
        options: Parameters<SoftAuthenticator['create']>[0];
      };
      const res = await agent.api('POST', `/bff/interaction/${uid}/second-factor/setup/passkey`, { name: 'Laptop', response: auth.create(fresh.options) });
      assert.equal(res.status, 200, await res.clone().text());
      assert.equal((await app.store.passkeys.listForUser(user.id)).length, 1);
      const claims = await redeem(((await res.json()) as { redirectTo: string }).redirectTo);
      assert.ok((claims.amr as string[]).includes('mfa'));
    });
  });

  describe(`MFA_USERS=optional holds nobody (${db})`, () => {
    let app: TestApp;
    let partner: TestPartner;
    before(async () => {
      app = await startTestApp({ db, env: { MFA_USERS: 'optional' } });
      partner = await testPartner(app);
    });
    after(() => app.close());

    it('a user without a factor signs in to a partner and uses the account screen', async () => {
      const who = email('opt');
      await createAccount(app.store, { email: who, password: PASSWORD }, Date.now());
      const { answer } = await partnerPassword(app, partner, who);
      assert.equal(typeof answer.redirectTo, 'string');
      const agent = await signedInAgent(app.url, who, PASSWORD);
      assert.equal((await agent.api('GET', '/bff/account')).status, 200);
    });
  });
}
