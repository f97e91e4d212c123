/**
 * WorkOS MFA with the official SDK: a password or magic-auth sign-in by someone
 * with an authenticator app stops with `mfa_challenge` (pending token, factor,
 * user); `mfa.challengeFactor` then `authenticateWithTotp` completes it once
 * (codes from the independent RFC 6238 helper); a used code, a wrong one, a
 * foreign challenge or pending token are refused, wrong codes are throttled; an
 * admin without a factor (MFA_ADMINS=required) gets `mfa_enrollment`; lapsed
 * pending tokens are swept from the store. SQLite and PostgreSQL.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { decodeJwt } from 'jose';
import { startTestApp, type TestApp } from '../../testing/test-app.ts';
import { startInbox, type Inbox } from '../../testing/smtp-inbox.ts';
import { codeForStep, stepAt } from '../../testing/totp.ts';
import { createAccount } from '../../accounts/accounts.ts';
import { newTotpSecret, saveTotp } from '../../mfa/totp.ts';
import type { User } from '../../store/store.ts';
import { mailedCode, partner, PASSWORD, rawAuthenticate, sdk, type Partner, type Refusal } from './test-helpers.ts';

const LIMIT = 3;

/** The refusal a call ends with (it must be one). */
async function refusal(p: Promise<unknown>): Promise<Refusal> {
  try {
    await p;
  } catch (e) {
    return e as Refusal;
  }
  return assert.fail('expected a refusal');
}

for (const db of ['sqlite', 'postgres'] as const) {
  describe(`WorkOS MFA: mfa_challenge, mfa_enrollment, authenticateWithTotp (${db})`, () => {
    let app: TestApp;
    let inbox: Inbox;
    let conf: Partner;
    let other: Partner;
    const secrets = new Map<string, string>();

    async function withApp(email: string, role: 'user' | 'admin' = 'user'): Promise<User> {
      const user = await createAccount(app.store, { email, password: PASSWORD, name: 'Ada Lovelace', role }, Date.now());
      const secret = newTotpSecret();
      await saveTotp({ store: app.store, config: app.config, now: () => Date.now() }, user.id, secret);
      secrets.set(user.id, secret);
      return user;
    }

    /** authenticateWithPassword's mfa_challenge, checked, with its pending token and factor id. */
    async function challenged(p: Partner, email: string): Promise<{ token: string; factorId: string; raw: Record<string, unknown> }> {
      const e = await refusal(sdk(app, p).userManagement.authenticateWithPassword({ clientId: p.clientId, email, password: PASSWORD }));
      assert.equal(e.status, 403);
      assert.equal(e.code, 'mfa_challenge', JSON.stringify(e.rawData));
      const factors = e.rawData.authentication_factors as Array<{ id: string; type: string }>;
      assert.equal(factors.length, 1);
      assert.equal(factors[0]!.type, 'totp');
      assert.ok(e.pendingAuthenticationToken);
      return { token: e.pendingAuthenticationToken, factorId: factors[0]!.id, raw: e.rawData };
    }

    before(async () => {
      inbox = await startInbox();
      app = await startTestApp({ db, env: { SMTP_URL: inbox.url, RATE_LIMIT_LOGIN_PER_ACCOUNT: String(LIMIT) } });
      conf = await partner(app, false);
      other = await partner(app, false);
    });
    after(async () => {
      await app.close();
      await inbox.close();
    });

    it('a password sign-in stops with mfa_challenge; challengeFactor + authenticateWithTotp completes it once', async () => {
      const user = await withApp(`ada-${db}@example.com`);
      const { token, factorId, raw } = await challenged(conf, user.email);
      assert.equal((raw.user as { id: string; email: string }).email, user.email);
      assert.equal((raw.user as { id: string }).id, user.id);
      assert.equal(raw.access_token, undefined, 'no token before the second factor');

      const workos = sdk(app, conf);
      const challenge = await workos.multiFactorAuth.challengeFactor({ authenticationFactorId: factorId });
      assert.equal(challenge.object, 'authentication_challenge');
      assert.equal(challenge.authenticationFactorId, factorId);

      const code = codeForStep(secrets.get(user.id)!, stepAt(Date.now()));
      const auth = await workos.userManagement.authenticateWithTotp({
        clientId: conf.clientId,
        code,
        pendingAuthenticationToken: token,
        authenticationChallengeId: challenge.id,
      });
      assert.equal(auth.user.id, user.id);
      assert.equal(auth.authenticationMethod, 'Password');
      assert.equal(decodeJwt(auth.accessToken).sub, user.id);
      assert.equal(typeof auth.refreshToken, 'string');

      // The pending token and the challenge are spent: the same answer again gets nothing.
      const again = await refusal(
        workos.userManagement.authenticateWithTotp({
          clientId: conf.clientId,
          code,
          pendingAuthenticationToken: token,
          authenticationChallengeId: challenge.id,
        }),
      );
      assert.equal(again.status, 400);
      assert.equal(again.rawData.code, 'invalid_pending_authentication_token');
    });

    it('a used code is refused on a new sign-in; the next step’s code works; wrong codes are throttled', async () => {
      const user = await withApp(`bea-${db}@example.com`);
      const workos = sdk(app, conf);
      const step = stepAt(Date.now());
      const first = await challenged(conf, user.email);
      const c1 = await workos.multiFactorAuth.challengeFactor({ authenticationFactorId: first.factorId });
      await workos.userManagement.authenticateWithTotp({
        clientId: conf.clientId,
        code: codeForStep(secrets.get(user.id)!, step),
        pendingAuthenticationToken: first.token,
        authenticationChallengeId: c1.id,
      });

      const second = await challenged(conf, user.email);
      const c2 = await workos.multiFactorAuth.challengeFactor({ authenticationFactorId: second.factorId });
      const answer = (code: string) =>
        workos.userManagement.authenticateWithTotp({
          clientId: conf.clientId,
          code,
          pendingAuthenticationToken: second.token,
          authenticationChallengeId: c2.id,
        });
      const replay = await refusal(answer(codeForStep(secrets.get(user.id)!, step)));
      assert.equal(replay.status, 400);
      assert.equal(replay.rawData.code, 'mfa_code_replayed');
      // A refused answer spends nothing: the right next code still completes the same sign-in.
      const auth = await answer(codeForStep(secrets.get(user.id)!, step + 1));
      assert.equal(auth.user.id, user.id);

      const third = await challenged(conf, user.email);
      const c3 = await workos.multiFactorAuth.challengeFactor({ authenticationFactorId: third.factorId });
      const wrong = (codeForStep(secrets.get(user.id)!, step + 5) + '').replace(/^./, (d) => String((Number(d) + 1) % 10));
      for (let i = 0; i < LIMIT; i++) {
        const e = await refusal(
          workos.userManagement.authenticateWithTotp({
            clientId: conf.clientId,
            code: wrong,
            pendingAuthenticationToken: third.token,
            authenticationChallengeId: c3.id,
          }),
        );
        assert.equal(e.status, 400);
        assert.equal(e.rawData.code, 'mfa_code_invalid');
      }
      const limited = await refusal(
        workos.userManagement.authenticateWithTotp({
          clientId: conf.clientId,
          code: wrong,
          pendingAuthenticationToken: third.token,
          authenticationChallengeId: c3.id,
        }),
      );
      assert.equal(limited.status, 429);
    });

    it('a challenge or pending token of another client or person is refused; an unknown factor is not found', async () => {
      const cy = await withApp(`cy-${db}@example.com`);
      const dee = await withApp(`dee-${db}@example.com`);
      const workos = sdk(app, conf);
      const cyPending = await challenged(conf, cy.email);
      const deePending = await challenged(conf, dee.email);
      const deeChallenge = await workos.multiFactorAuth.challengeFactor({ authenticationFactorId: deePending.factorId });
      const code = codeForStep(secrets.get(cy.id)!, stepAt(Date.now()));
      const crossed = await refusal(
        workos.userManagement.authenticateWithTotp({
          clientId: conf.clientId,
          code,
          pendingAuthenticationToken: cyPending.token,
          authenticationChallengeId: deeChallenge.id,
        }),
      );
      assert.equal(crossed.status, 400);
      assert.equal(crossed.rawData.code, 'authentication_challenge_not_found');

      // Another partner's API key holds neither this pending token nor this challenge.
      const otherChallenge = await sdk(app, other).multiFactorAuth.challengeFactor({ authenticationFactorId: cyPending.factorId });
      const foreign = await refusal(
        sdk(app, other).userManagement.authenticateWithTotp({
          clientId: other.clientId,
          code,
          pendingAuthenticationToken: cyPending.token,
          authenticationChallengeId: otherChallenge.id,
        }),
      );
      assert.equal(foreign.rawData.code, 'invalid_pending_authentication_token');

      const unknown = await refusal(workos.multiFactorAuth.challengeFactor({ authenticationFactorId: 'auth_factor_01NOTAFACTOR' }));
      assert.equal(unknown.status, 404);
      const noKey = await fetch(`${app.url}/auth/factors/${encodeURIComponent(cyPending.factorId)}/challenge`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{}',
      });
      assert.equal(noKey.status, 401);
      const bad = await rawAuthenticate(app, {
        grant_type: 'urn:workos:oauth:grant-type:mfa-totp',
        client_id: conf.clientId,
        client_secret: conf.secret,
        code: '123456',
      });
      assert.equal(bad.status, 422);
    });

    it('a magic-auth code sign-in stops with mfa_challenge too', async () => {
      const user = await withApp(`eve-${db}@example.com`);
      const um = sdk(app, conf).userManagement;
      await um.createMagicAuth({ email: user.email });
      const code = mailedCode((await inbox.waitForTo(user.email, 1))[0]!.mail.text ?? '');
      const e = await refusal(um.authenticateWithMagicAuth({ clientId: conf.clientId, email: user.email, code }));
      assert.equal(e.status, 403);
      assert.equal(e.code, 'mfa_challenge');
      const factors = e.rawData.authentication_factors as Array<{ id: string }>;
      const challenge = await sdk(app, conf).multiFactorAuth.challengeFactor({ authenticationFactorId: factors[0]!.id });
      const auth = await um.authenticateWithTotp({
        clientId: conf.clientId,
        code: codeForStep(secrets.get(user.id)!, stepAt(Date.now())),
        pendingAuthenticationToken: e.pendingAuthenticationToken!,
        authenticationChallengeId: challenge.id,
      });
      assert.equal(auth.authenticationMethod, 'MagicAuth');
    });

    it('an admin without a second factor gets mfa_enrollment (MFA_ADMINS=required); a user without one signs in', async () => {
      const admin = await createAccount(app.store, { email: `root-${db}@example.com`, password: PASSWORD, name: 'Root', role: 'admin' }, Date.now());
      const e = await refusal(sdk(app, conf).userManagement.authenticateWithPassword({ clientId: conf.clientId, email: admin.email, password: PASSWORD }));
      assert.equal(e.status, 403);
      assert.equal(e.code, 'mfa_enrollment');
      assert.ok(e.pendingAuthenticationToken);
      assert.equal((e.rawData.user as { id: string }).id, admin.id);
      assert.equal(e.rawData.authentication_factors, undefined);

      const plain = await createAccount(app.store, { email: `pat-${db}@example.com`, password: PASSWORD, name: 'Pat' }, Date.now());
      const auth = await sdk(app, conf).userManagement.authenticateWithPassword({ clientId: conf.clientId, email: plain.email, password: PASSWORD });
      assert.equal(auth.user.id, plain.id);
    });

    it('lapsed pending tokens are swept from the store and no longer answer', async () => {
      const user = await withApp(`fay-${db}@example.com`);
      const { token, factorId } = await challenged(conf, user.email);
      const challenge = await sdk(app, conf).multiFactorAuth.challengeFactor({ authenticationFactorId: factorId });
      const later = Date.now() + 11 * 60_000;
      assert.ok((await app.store.settings.sweep(later)) >= 2, 'the pending token and the challenge were swept');
      app.clock.offset += 11 * 60_000;
      try {
        const e = await refusal(
          sdk(app, conf).userManagement.authenticateWithTotp({
            clientId: conf.clientId,
            code: codeForStep(secrets.get(user.id)!, stepAt(Date.now())),
            pendingAuthenticationToken: token,
            authenticationChallengeId: challenge.id,
          }),
        );
        assert.equal(e.rawData.code, 'invalid_pending_authentication_token');
      } finally {
        app.clock.offset -= 11 * 60_000;
      }
    });
  });
}
