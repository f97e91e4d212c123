/**
 * WorkOS's password, email-verification and TOTP grants (password.ts), where
 * mutation testing (docs/mutation.md) found them unchecked: a client without
 * a secret refused with each grant's sentence, a wrong password's 400 and its
 * audit entry (the partner's `ip_address` and `user_agent`, the email in lower
 * case, the reason, the client), a right one's `sign_in` entry, the token's
 * scopes narrowed to the app's, the email-verification id's shape, a pending
 * token of another app or a code with spaces, and a TOTP sign-in of an account
 * disabled meanwhile. Through the real app and store, on SQLite and PostgreSQL.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { decodeJwt } from 'jose';
import { startTestApp, type TestApp } from '../../testing/test-app.ts';
import { startInbox, type Inbox } from '../../testing/smtp-inbox.ts';
import { codeForStep, stepAt } from '../../testing/totp.ts';
import { createAccount } from '../../accounts/accounts.ts';
import { newTotpSecret, saveTotp } from '../../mfa/totp.ts';
import { mailedCode, partner, PASSWORD, rawAuthenticate, type Partner } from './test-helpers.ts';

const EMAIL_VERIFICATION = 'urn:workos:oauth:grant-type:email-verification:code';
const MFA_TOTP = 'urn:workos:oauth:grant-type:mfa-totp';

for (const db of ['sqlite', 'postgres'] as const) {
  describe(`WorkOS password grant, exactly (${db})`, () => {
    let app: TestApp;
    let inbox: Inbox;
    let full: Partner;
    let narrow: Partner;
    let pub: Partner;
    before(async () => {
      inbox = await startInbox();
      app = await startTestApp({ db, env: { SMTP_URL: inbox.url } });
      full = await partner(app, false);
      narrow = await partner(app, false, ['openid', 'email']);
      pub = await partner(app, true);
    });
    after(async () => {
      await app.close();
      await inbox.close();
    });

    const password = (p: Partner, extra: Record<string, unknown>) =>
      rawAuthenticate(app, { grant_type: 'password', client_id: p.clientId, ...(p.secret ? { client_secret: p.secret } : {}), ...extra });
    const lastOf = async (kind: string) => (await app.store.audit.list({ kind, limit: 1 }))[0]!;
    /** The sign-in methods the provider recorded on the grant, read back from the refresh token the partner got. */
    const amrOf = async (answer: Response | { refresh_token: string }) => {
      const { refresh_token } = answer instanceof Response ? ((await answer.clone().json()) as { refresh_token: string }) : answer;
      return ((await app.provider.RefreshToken.find(refresh_token)) as unknown as { amr?: string[] } | undefined)?.amr;
    };

    it('each grant refuses a client without a secret with its own sentence', async () => {
      const grants: Array<[Record<string, unknown>, string]> = [
        [{ grant_type: 'password', email: 'a@example.com', password: 'x' }, 'The password grant needs the client secret (the API key).'],
        [{ grant_type: EMAIL_VERIFICATION, pending_authentication_token: 'x', code: '123456' }, 'This grant needs the client secret (the API key).'],
        [
          { grant_type: MFA_TOTP, pending_authentication_token: 'x', authentication_challenge_id: 'auth_challenge_x', code: '123456' },
          'This grant needs the client secret (the API key).',
        ],
      ];
      for (const [grant, sentence] of grants) {
        const res = await rawAuthenticate(app, { client_id: pub.clientId, ...grant });
        assert.equal(res.status, 401, String(grant.grant_type));
        assert.deepEqual(
          await res.json(),
          { error: 'invalid_client', error_description: sentence, code: 'invalid_client', message: sentence },
          String(grant.grant_type),
        );
      }
    });

    it("a wrong password: 400 invalid_credentials, audited with the partner's address and agent, the email in lower case", async () => {
      const user = await createAccount(app.store, { email: `wren-${db}@example.com`, password: PASSWORD }, Date.now());
      const res = await password(full, { email: `WREN-${db}@Example.com`, password: 'not it', ip_address: '203.0.113.9', user_agent: 'Partner/1.0' });
      assert.equal(res.status, 400);
      assert.deepEqual(await res.json(), {
        error: 'invalid_grant',
        error_description: 'Email or password is incorrect.',
        code: 'invalid_credentials',
        message: 'Email or password is incorrect.',
      });
      const e = await lastOf('sign_in_failed');
      assert.deepEqual(
        [e.ip, e.userAgent, e.actorId, e.data],
        ['203.0.113.9', 'Partner/1.0', null, { via: 'workos', email: `wren-${db}@example.com`, reason: 'invalid_credentials', clientId: full.clientId }],
      );
      assert.equal((await app.store.users.findById(user.id))!.email, `wren-${db}@example.com`);
      // Without them, the request's own address and agent.
      await password(full, { email: `wren-${db}@example.com`, password: 'not it' });
      const own = await lastOf('sign_in_failed');
      assert.deepEqual([own.ip, own.userAgent], ['127.0.0.1', 'node']);
    });

    it('a right password: the sign_in entry, and a token with only the scopes the app has', async () => {
      const user = await createAccount(app.store, { email: `rue-${db}@example.com`, password: PASSWORD }, Date.now());
      const res = await password(narrow, { email: user.email, password: PASSWORD, ip_address: '198.51.100.7', user_agent: 'Partner/2.0' });
      assert.equal(res.status, 200);
      const body = (await res.json()) as { access_token: string; refresh_token: string; authentication_method: string; user: { id: string } };
      assert.deepEqual([body.user.id, body.authentication_method], [user.id, 'Password']);
      assert.equal(decodeJwt(body.access_token).scope, 'openid email');
      assert.deepEqual(await amrOf(body), ['pwd'], 'the grant records a password sign-in');
      const e = await lastOf('sign_in');
      assert.deepEqual(
        [e.actorId, e.subjectId, e.ip, e.userAgent, e.data],
        [user.id, user.id, '198.51.100.7', 'Partner/2.0', { method: 'password', via: 'workos', clientId: narrow.clientId }],
      );
      const wide = await password(full, { email: user.email, password: PASSWORD });
      assert.equal(decodeJwt(((await wide.json()) as { access_token: string }).access_token).scope, 'openid profile email offline_access');
      const own = await lastOf('sign_in');
      assert.deepEqual([own.ip, own.userAgent], ['127.0.0.1', 'node']);
    });

    it("email verification: the id's shape, another app's pending token refused, a code with spaces accepted", async () => {
      const email = `una-${db}@example.com`;
      await createAccount(app.store, { email, password: PASSWORD, emailVerified: false }, Date.now());
      const res = await password(full, { email, password: PASSWORD, ip_address: '192.0.2.1' });
      assert.equal(res.status, 403);
      const body = (await res.json()) as Record<string, unknown>;
      assert.deepEqual(
        [body.error, body.code, body.message, body.email],
        ['email_verification_required', 'email_verification_required', 'Email ownership must be verified before authentication.', email],
      );
      assert.match(String(body.email_verification_id), /^email_verification_[0-9A-F]{26}$/);
      const token = String(body.pending_authentication_token);
      const code = mailedCode((await inbox.waitForTo(email, 1))[0]!.mail.text ?? '');

      const verify = (p: Partner, c: string) =>
        rawAuthenticate(app, { grant_type: EMAIL_VERIFICATION, client_id: p.clientId, client_secret: p.secret, pending_authentication_token: token, code: c });
      const foreign = await verify(narrow, code);
      assert.equal(foreign.status, 400);
      const f = (await foreign.json()) as Record<string, unknown>;
      assert.deepEqual(
        [f.code, f.message],
        ['invalid_pending_authentication_token', 'The pending authentication token is not valid or has expired. Sign in again.'],
      );
      const done = await rawAuthenticate(app, {
        grant_type: EMAIL_VERIFICATION,
        client_id: full.clientId,
        client_secret: full.secret,
        pending_authentication_token: token,
        code: ` ${code} `,
        ip_address: '192.0.2.44',
        user_agent: 'Partner/3.0',
      });
      assert.equal(done.status, 200, 'the code is trimmed');
      assert.deepEqual(await amrOf(done), ['pwd'], 'the password, kept through the email step');
      const verified = await lastOf('email_verified');
      assert.deepEqual([verified.ip, verified.userAgent], ['192.0.2.44', 'Partner/3.0'], "the partner's address and agent");
      const again = (await (await verify(full, code)).json()) as Record<string, unknown>;
      assert.equal(again.code, 'invalid_pending_authentication_token');
    });

    it("a TOTP sign-in carries the partner's address and agent to its entries", async () => {
      const user = await createAccount(app.store, { email: `tod-${db}@example.com`, password: PASSWORD }, Date.now());
      const secret = newTotpSecret();
      await saveTotp({ store: app.store, config: app.config, now: () => Date.now() }, user.id, secret);
      const b = (await (await password(full, { email: user.email, password: PASSWORD })).json()) as {
        pending_authentication_token: string;
        authentication_factors: Array<{ id: string }>;
      };
      const challenge = await fetch(`${app.url}/auth/factors/${b.authentication_factors[0]!.id}/challenge`, {
        method: 'POST',
        headers: { authorization: `Bearer ${full.secret}`, 'content-type': 'application/json' },
        body: '{}',
      });
      const totp = await rawAuthenticate(app, {
        grant_type: MFA_TOTP,
        client_id: full.clientId,
        client_secret: full.secret,
        pending_authentication_token: b.pending_authentication_token,
        authentication_challenge_id: ((await challenge.json()) as { id: string }).id,
        code: codeForStep(secret, stepAt(Date.now())),
        ip_address: '192.0.2.55',
        user_agent: 'Partner/4.0',
      });
      assert.equal(totp.status, 200, await totp.clone().text());
      assert.deepEqual(await amrOf(totp), ['pwd', 'otp', 'mfa'], 'the password, then the app code as a second factor');
      const verified = await lastOf('mfa_verified');
      assert.deepEqual([verified.subjectId, verified.ip, verified.userAgent], [user.id, '192.0.2.55', 'Partner/4.0']);
      const signedIn = await lastOf('workos_authenticated');
      assert.deepEqual([signedIn.subjectId, signedIn.ip, signedIn.userAgent], [user.id, '192.0.2.55', 'Partner/4.0']);
    });

    it('a TOTP sign-in whose account was disabled meanwhile cannot complete', async () => {
      const user = await createAccount(app.store, { email: `tia-${db}@example.com`, password: PASSWORD }, Date.now());
      const secret = newTotpSecret();
      await saveTotp({ store: app.store, config: app.config, now: () => Date.now() }, user.id, secret);
      const res = await password(full, { email: user.email, password: PASSWORD });
      assert.equal(res.status, 403);
      const b = (await res.json()) as { code: string; pending_authentication_token: string; authentication_factors: Array<{ id: string }> };
      assert.equal(b.code, 'mfa_challenge');
      const challenge = await fetch(`${app.url}/auth/factors/${b.authentication_factors[0]!.id}/challenge`, {
        method: 'POST',
        headers: { authorization: `Bearer ${full.secret}`, 'content-type': 'application/json' },
        body: '{}',
      });
      assert.equal(challenge.status, 201, await challenge.clone().text());
      const challengeId = ((await challenge.json()) as { id: string }).id;
      // The MFA step's pending token, same app, is no email-verification token.
      const wrongKind = await rawAuthenticate(app, {
        grant_type: EMAIL_VERIFICATION,
        client_id: full.clientId,
        client_secret: full.secret,
        pending_authentication_token: b.pending_authentication_token,
        code: '123456',
      });
      assert.equal(wrongKind.status, 400);
      const w = (await wrongKind.json()) as Record<string, unknown>;
      assert.deepEqual(
        [w.code, w.message],
        ['invalid_pending_authentication_token', 'The pending authentication token is not valid or has expired. Sign in again.'],
      );
      await app.store.users.setDisabled(user.id, true, Date.now());
      const totp = await rawAuthenticate(app, {
        grant_type: MFA_TOTP,
        client_id: full.clientId,
        client_secret: full.secret,
        pending_authentication_token: b.pending_authentication_token,
        authentication_challenge_id: challengeId,
        code: codeForStep(secret, stepAt(Date.now())),
      });
      assert.equal(totp.status, 400);
      const t = (await totp.json()) as Record<string, unknown>;
      assert.deepEqual([t.code, t.message], ['invalid_pending_authentication_token', 'This sign-in can no longer complete. Sign in again.']);
    });
  });
}
