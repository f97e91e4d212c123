/**
 * WorkOS email verification and password reset (account-mail.ts) called
 * directly on the real app's deps and mail outbox, where mutation testing
 * (docs/mutation.md) found them unchecked: the API key checked before
 * anything else, the exact refusals (unknown or disabled user, already
 * verified, no code sent for this client), the verification code kept per
 * client and user under its own settings key and read trimmed, the partner's
 * address and agent in the audit entries, the password reset answer exactly
 * (id, normalised email, 30-minute expiry), and resetPassword's refusal when
 * mounted without endBffSessions and its fresh user and sign-out everywhere.
 * Real store and SMTP server, SQLite and PostgreSQL.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { startTestApp, type TestApp } from '../../testing/test-app.ts';
import { startInbox, type Inbox } from '../../testing/smtp-inbox.ts';
import { signedInAgent } from '../../testing/agent.ts';
import { createAccount } from '../../accounts/accounts.ts';
import { createPasswordReset, resetPassword, sendVerificationEmail, verifyEmail } from './account-mail.ts';
import type { RequestInfo, WorkOSHooks } from './exchange.ts';
import { WorkOSError, workosUser } from './map.ts';
import { mailedCode, partner, PASSWORD, type Partner } from './test-helpers.ts';

const T = { timeout: 30000 };
const NEW_PASSWORD = 'a brand new passphrase 42';
const resetTokenIn = (text: string) => /\/reset-password#token=([A-Za-z0-9_-]+)/.exec(text)?.[1] ?? assert.fail(`no link in ${text}`);

async function thrown(p: Promise<unknown>) {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof WorkOSError, String(e));
    return [e.status, e.oauthError, e.code, e.message];
  }
  return assert.fail('expected a WorkOSError');
}

const NO_KEY = [401, 'invalid_client', 'invalid_client', 'Authenticate with the API key (Authorization: Bearer <client secret>).'];
const NO_USER = [404, 'not_found', 'entity_not_found', 'No user with this id.'];

for (const db of ['sqlite', 'postgres'] as const) {
  describe(`WorkOS account mail, exactly (${db})`, () => {
    let app: TestApp;
    let inbox: Inbox;
    let client: Partner;
    let other: Partner;
    let hooks: WorkOSHooks;
    let n = 0;
    before(async () => {
      inbox = await startInbox();
      app = await startTestApp({ db, env: { SMTP_URL: inbox.url } });
      client = await partner(app, false);
      other = await partner(app, false);
      hooks = { mail: app.mail, endBffSessions: app.sessions.revokeAllForUser };
    });
    after(async () => {
      await app.close();
      await inbox.close();
    });

    const info = (c: Partner | null, extra: Partial<RequestInfo> = {}): RequestInfo => ({
      ip: '198.51.100.4',
      userAgent: 'Partner/4',
      bearer: c ? c.secret : null,
      ...extra,
    });
    const unverified = () =>
      createAccount(app.store, { email: `am${++n}-${db}@example.com`, password: PASSWORD, name: 'Mae West', emailVerified: false }, Date.now());
    const lastOf = async (kind: string) => (await app.store.audit.list({ kind, limit: 1 }))[0]!;

    it('the API key first: without it or with a wrong one, 401 whatever else is wrong', T, async () => {
      for (const i of [info(null), info(client, { bearer: 'not-a-key' })]) {
        assert.deepEqual(await thrown(sendVerificationEmail(app.deps, hooks, 'user_unknown', i)), NO_KEY);
        assert.deepEqual(await thrown(verifyEmail(app.deps, hooks, 'user_unknown', '1', i)), NO_KEY);
        assert.deepEqual(await thrown(createPasswordReset(app.deps, hooks, 'x', i)), NO_KEY);
        assert.deepEqual(await thrown(resetPassword(app.deps, {}, 'x', 'y', i)), NO_KEY);
      }
    });

    it('an unknown or disabled user is 404; a verified one is refused by name', T, async () => {
      assert.deepEqual(await thrown(sendVerificationEmail(app.deps, hooks, 'user_unknown', info(client))), NO_USER);
      assert.deepEqual(await thrown(verifyEmail(app.deps, hooks, 'user_unknown', '123456', info(client))), NO_USER);
      const gone = await unverified();
      await app.store.users.setDisabled(gone.id, true, Date.now());
      assert.deepEqual(await thrown(sendVerificationEmail(app.deps, hooks, gone.id, info(client))), NO_USER);
      assert.deepEqual(await thrown(verifyEmail(app.deps, hooks, gone.id, '123456', info(client))), NO_USER);
      const done = await createAccount(app.store, { email: `ok${++n}-${db}@example.com`, password: PASSWORD }, Date.now());
      assert.deepEqual(await thrown(sendVerificationEmail(app.deps, hooks, done.id, info(client))), [
        400,
        'invalid_request',
        'email_already_verified',
        'The email is already verified.',
      ]);
    });

    it('send then confirm: the user exactly, the code kept per client under its key, read trimmed, audited', T, async () => {
      const user = await unverified();
      assert.deepEqual(await thrown(verifyEmail(app.deps, hooks, user.id, '123456', info(client))), [
        400,
        'invalid_grant',
        'code_expired',
        'No verification code was sent to this user for this client, or it has expired. Send a new one.',
      ]);
      assert.deepEqual(await sendVerificationEmail(app.deps, hooks, user.id, info(client)), { user: workosUser(user) });
      const sent = await lastOf('email_verification_sent');
      assert.deepEqual([sent.subjectId, sent.ip, sent.userAgent], [user.id, '198.51.100.4', 'Partner/4']);
      const key = `workos-verify:${createHash('sha256').update(`${client.clientId}\n${user.id}`).digest('base64url')}`;
      assert.match((await app.store.settings.get(key)) ?? '', /^[0-9a-f]{64}$/);
      const code = mailedCode((await inbox.waitForTo(user.email, 1))[0]!.mail.text ?? '');
      // Another client sent nothing to this user.
      assert.equal((await thrown(verifyEmail(app.deps, hooks, user.id, code, info(other))))[2], 'code_expired');
      const done = await verifyEmail(app.deps, hooks, user.id, `  ${code} `, info(client, { ip: '198.51.100.5', userAgent: 'Partner/5' }));
      const fresh = (await app.store.users.findById(user.id))!;
      assert.equal(fresh.emailVerified, true);
      assert.deepEqual([Object.keys(done), done.user.id, done.user.email, done.user.email_verified], [['user'], user.id, user.email, true]);
      const verified = await lastOf('email_verified');
      assert.deepEqual([verified.actorId, verified.ip, verified.userAgent], [user.id, '198.51.100.5', 'Partner/5']);
    });

    it('createPasswordReset: the answer exactly, the email normalised, mailed to the account, audited', T, async () => {
      const user = await createAccount(app.store, { email: `pr${++n}-${db}@example.com`, password: PASSWORD }, Date.now());
      const before = app.deps.now();
      const r = await createPasswordReset(app.deps, hooks, `  ${user.email.toUpperCase()} `, info(client));
      const after = app.deps.now();
      const created = Date.parse(r.created_at);
      assert.ok(created >= before && created <= after, r.created_at);
      assert.match(r.id, /^password_reset_[0-9A-F]{26}$/);
      assert.deepEqual(r, {
        object: 'password_reset',
        id: r.id,
        user_id: null,
        email: user.email,
        expires_at: new Date(created + 30 * 60_000).toISOString(),
        created_at: new Date(created).toISOString(),
      });
      assert.notEqual((await createPasswordReset(app.deps, hooks, user.email, info(client))).id, r.id);
      const requested = await lastOf('password_reset_requested');
      assert.deepEqual([requested.ip, requested.userAgent], ['198.51.100.4', 'Partner/4']);
      assert.equal((await inbox.waitForTo(user.email, 2)).length, 2);
    });

    it('resetPassword: refused when mounted without endBffSessions; else the new password, the fresh user, signed out everywhere', T, async () => {
      const user = await createAccount(app.store, { email: `rp${++n}-${db}@example.com`, password: PASSWORD }, Date.now());
      await createPasswordReset(app.deps, hooks, user.email, info(client));
      const token = resetTokenIn((await inbox.waitForTo(user.email, 1))[0]!.mail.text ?? '');
      await assert.rejects(resetPassword(app.deps, { mail: app.mail }, token, NEW_PASSWORD, info(client)), {
        message: 'the WorkOS adapter was mounted without endBffSessions',
      });
      const browser = await signedInAgent(app.url, user.email, PASSWORD);
      const done = await resetPassword(app.deps, hooks, token, NEW_PASSWORD, info(client));
      const fresh = (await app.store.users.findById(user.id))!;
      assert.deepEqual(done, { user: workosUser(fresh) });
      assert.ok(fresh.updatedAt > user.updatedAt);
      assert.equal(((await (await browser.api('GET', '/bff/session')).json()) as { authenticated: boolean }).authenticated, false);
      const entry = await lastOf('password_reset');
      assert.deepEqual([entry.ip, entry.userAgent, entry.data], ['198.51.100.4', 'Partner/4', { signOutEverywhere: true }]);
    });
  });
}
