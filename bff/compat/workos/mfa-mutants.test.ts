/**
 * WorkOS MFA's pieces (mfa.ts) called directly on the real app's deps, where
 * mutation testing (docs/mutation.md) found them unchecked: the factor id's
 * shape and which ids name nobody (wrong prefix, not canonical base64url,
 * empty), the challenge's exact answer and what it stores, requireSecondFactor's
 * three outcomes (nothing, mfa_challenge with an app or only a passkey,
 * mfa_enrollment) with their exact bodies and pending tokens, and
 * readMfaPending / spendMfaPending refusing every mismatch (kind, client,
 * account, prefix) and spending both once. Real store, SQLite and PostgreSQL.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { openStoreDeps, type StoreDeps } from '../../testing/temp-store.ts';
import { createAccount } from '../../accounts/accounts.ts';
import { newTotpSecret, saveTotp } from '../../mfa/totp.ts';
import type { ClientRecord, User } from '../../store/store.ts';
import { challengeFactor, readMfaPending, requireSecondFactor, spendMfaPending, totpFactorId } from './mfa.ts';
import { putPending, readPending } from './org-selection.ts';
import { WorkOSError, workosUser } from './map.ts';
import { PASSWORD } from './test-helpers.ts';
import { registerClient } from '../../oauth/clients.ts';

const T = { timeout: 20000 };

/** What a WorkOSError carries that the answer is made of. */
const shape = (e: WorkOSError) => ({ status: e.status, error: e.oauthError, code: e.code, message: e.message, extra: e.extra });

async function thrown(p: Promise<unknown>): Promise<ReturnType<typeof shape>> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof WorkOSError, String(e));
    return shape(e);
  }
  return assert.fail('expected a WorkOSError');
}

const NOT_FOUND = {
  status: 404,
  error: 'not_found',
  code: 'authentication_factor_not_found',
  message: 'No authentication factor with this id.',
  extra: undefined,
};
const BAD_PENDING = {
  status: 400,
  error: 'invalid_grant',
  code: 'invalid_pending_authentication_token',
  message: 'The pending authentication token is not valid, was already used or has expired. Sign in again.',
  extra: undefined,
};
const BAD_CHALLENGE = {
  status: 400,
  error: 'invalid_grant',
  code: 'authentication_challenge_not_found',
  message: 'The authentication challenge is not valid, was already used or has expired: create one with challengeFactor for a factor of this user.',
  extra: undefined,
};

for (const db of ['sqlite', 'postgres'] as const) {
  describe(`WorkOS MFA pieces, exactly (${db})`, () => {
    let app: StoreDeps;
    let client: ClientRecord;
    let other: ClientRecord;
    let n = 0;
    before(async () => {
      app = await openStoreDeps(db, { MFA_USERS: 'required', MFA_ADMINS: 'optional' });
      const app_ = (name: string) =>
        registerClient(app.store, { name, redirectUris: ['https://partner.example/callback'], isPublic: false, scopes: ['openid'] }, Date.now());
      client = (await app_('MFA App')).client;
      other = (await app_('Other App')).client;
    });
    after(() => app.drop());

    const account = (role: 'user' | 'admin' = 'user') =>
      createAccount(app.store, { email: `m${++n}-${db}@example.com`, password: PASSWORD, name: 'Ada King', role }, Date.now());
    async function withApp(role: 'user' | 'admin' = 'user'): Promise<User> {
      const user = await account(role);
      await saveTotp({ store: app.store, config: app.config, now: () => Date.now() }, user.id, newTotpSecret());
      return user;
    }

    it('the factor id is auth_factor_ and the user id in base64url; ids that name nobody are 404', T, async () => {
      const user = await withApp();
      assert.equal(totpFactorId(user.id), `auth_factor_${Buffer.from(user.id).toString('base64url')}`);
      assert.equal(totpFactorId('é'), 'auth_factor_w6k');
      const b64 = Buffer.from(user.id).toString('base64url');
      for (const id of [`factor_${b64}`, `xauth_factor_${b64}`, 'auth_factor_', `auth_factor_${b64}=`, `auth_factor_${b64}!`, b64]) {
        assert.deepEqual(await thrown(challengeFactor(app.deps, client, id)), NOT_FOUND, id);
      }
      // A user without an authenticator app has no factor.
      const bare = await account();
      assert.deepEqual(await thrown(challengeFactor(app.deps, client, totpFactorId(bare.id))), NOT_FOUND);
      assert.deepEqual(await thrown(challengeFactor(app.deps, client, totpFactorId('u_nobody'))), NOT_FOUND);
    });

    it('a challenge: its exact answer, and the pending challenge it stores for this client and person', T, async () => {
      const user = await withApp();
      const factorId = totpFactorId(user.id);
      const before = app.deps.now();
      const c = await challengeFactor(app.deps, client, factorId);
      const after = app.deps.now();
      assert.match(c.id, /^auth_challenge_[A-Za-z0-9_-]{43}$/);
      const at = Date.parse(c.created_at);
      assert.ok(at >= before && at <= after, c.created_at);
      assert.deepEqual(c, {
        object: 'authentication_challenge',
        id: c.id,
        created_at: new Date(at).toISOString(),
        updated_at: new Date(at).toISOString(),
        expires_at: null,
        authentication_factor_id: factorId,
      });
      const stored = await readPending<Record<string, unknown>>(app.deps, c.id.slice('auth_challenge_'.length), false);
      assert.deepEqual(stored, { kind: 'mfa_challenge', clientId: client.clientId, accountId: user.id, factorId });
    });

    it('requireSecondFactor: nothing for an admin without factors when only users must have one', T, async () => {
      const admin = await account('admin');
      assert.equal(await requireSecondFactor(app.deps, client.clientId, admin, ['pwd'], undefined), undefined);
    });

    it('requireSecondFactor: mfa_challenge with the app as the factor, and the pending token of this sign-in', T, async () => {
      const user = await withApp();
      const e = await thrown(requireSecondFactor(app.deps, client.clientId, user, ['pwd'], 'inv-token'));
      const token = String(e.extra?.pending_authentication_token);
      assert.deepEqual(e, {
        status: 403,
        error: 'mfa_challenge',
        code: 'mfa_challenge',
        message: 'The user must complete an MFA challenge to finish authenticating.',
        extra: {
          pending_authentication_token: token,
          authentication_factors: [{ id: totpFactorId(user.id), type: 'totp' }],
          user: workosUser(user),
        },
      });
      assert.deepEqual(await readPending(app.deps, token, false), {
        kind: 'mfa',
        clientId: client.clientId,
        accountId: user.id,
        amr: ['pwd'],
        invitationToken: 'inv-token',
      });
      // Without an invitation the pending token holds none (not even an empty member).
      const again = await thrown(requireSecondFactor(app.deps, client.clientId, user, ['email'], undefined));
      const stored = await readPending<Record<string, unknown>>(app.deps, String(again.extra?.pending_authentication_token), false);
      assert.deepEqual(Object.keys(stored!).sort(), ['accountId', 'amr', 'clientId', 'kind']);
      assert.deepEqual(stored!.amr, ['email']);
    });

    it('requireSecondFactor: a passkey alone is mfa_challenge without factors and with the sentence that says why', T, async () => {
      const user = await account();
      await app.store.passkeys.create({
        id: `pk_${user.id}`,
        userId: user.id,
        credentialId: Buffer.from(`cred-${user.id}`).toString('base64url'),
        publicKey: 'AQID',
        signCount: 0,
        transports: [],
        deviceType: 'multiDevice',
        backedUp: true,
        name: 'Key',
        createdAt: Date.now(),
        lastUsedAt: null,
      });
      const e = await thrown(requireSecondFactor(app.deps, client.clientId, user, ['pwd'], undefined));
      assert.deepEqual(
        [e.status, e.error, e.code, e.message, e.extra?.authentication_factors],
        [
          403,
          'mfa_challenge',
          'mfa_challenge',
          'The user must complete an MFA challenge to finish authenticating. Their second factor is a passkey, which only the portal’s sign-in page can ask for: send them through getAuthorizationUrl.',
          [],
        ],
      );
    });

    it('requireSecondFactor: mfa_enrollment for someone policy requires to have a factor', T, async () => {
      const user = await account();
      const e = await thrown(requireSecondFactor(app.deps, client.clientId, user, ['pwd'], undefined));
      const token = String(e.extra?.pending_authentication_token);
      assert.deepEqual(e, {
        status: 403,
        error: 'mfa_enrollment',
        code: 'mfa_enrollment',
        message: 'The user must enroll in MFA to finish authenticating: they set up an authenticator app or a passkey on the portal’s account page.',
        extra: { pending_authentication_token: token, user: workosUser(user) },
      });
      assert.deepEqual(await readPending(app.deps, token, false), { kind: 'mfa', clientId: client.clientId, accountId: user.id, amr: ['pwd'] });
    });

    it('readMfaPending: the pending token and challenge of this client and person, unspent; every mismatch refused', T, async () => {
      const user = await withApp();
      const someone = await withApp();
      const pendingOf = async (u: User, c: ClientRecord) =>
        String((await thrown(requireSecondFactor(app.deps, c.clientId, u, ['pwd'], undefined))).extra?.pending_authentication_token);
      const pending = await pendingOf(user, client);
      const challenge = (await challengeFactor(app.deps, client, totpFactorId(user.id))).id;
      const expected = { kind: 'mfa', clientId: client.clientId, accountId: user.id, amr: ['pwd'] };
      assert.deepEqual(await readMfaPending(app.deps, client.clientId, pending, challenge), expected);
      assert.deepEqual(await readMfaPending(app.deps, client.clientId, pending, challenge), expected, 'reading spends nothing');

      assert.deepEqual(await thrown(readMfaPending(app.deps, other.clientId, pending, challenge)), BAD_PENDING, 'another client');
      assert.deepEqual(await thrown(readMfaPending(app.deps, client.clientId, 'nope', challenge)), BAD_PENDING, 'unknown');
      // An organization selection's pending token (no kind) or a challenge used as the pending token.
      const orgPending = await putPending(app.deps, { refreshToken: 'r', clientId: client.clientId, accountId: user.id, grantId: 'g' });
      assert.deepEqual(await thrown(readMfaPending(app.deps, client.clientId, orgPending, challenge)), BAD_PENDING, 'no kind');
      const challengeToken = challenge.slice('auth_challenge_'.length);
      assert.deepEqual(await thrown(readMfaPending(app.deps, client.clientId, challengeToken, challenge)), BAD_PENDING, 'a challenge');

      const foreign = (await challengeFactor(app.deps, other, totpFactorId(user.id))).id;
      const theirs = (await challengeFactor(app.deps, client, totpFactorId(someone.id))).id;
      const cases: Array<[string, string]> = [
        ['without the prefix', challengeToken],
        ['another prefix', `auth_factor_${challengeToken}`],
        ['unknown', 'auth_challenge_nope'],
        ["another client's", foreign],
        ["another person's", theirs],
        ['a pending token as the challenge', `auth_challenge_${pending}`],
      ];
      for (const [why, id] of cases) assert.deepEqual(await thrown(readMfaPending(app.deps, client.clientId, pending, id)), BAD_CHALLENGE, why);
    });

    it('spendMfaPending spends both once; a spent or unknown one is refused', T, async () => {
      const user = await withApp();
      const pendingOf = async () =>
        String((await thrown(requireSecondFactor(app.deps, client.clientId, user, ['pwd'], undefined))).extra?.pending_authentication_token);
      const pending = await pendingOf();
      const challenge = (await challengeFactor(app.deps, client, totpFactorId(user.id))).id;
      assert.equal(await spendMfaPending(app.deps, pending, challenge), undefined);
      assert.equal(await readPending(app.deps, pending, false), null);
      assert.equal(await readPending(app.deps, challenge.slice('auth_challenge_'.length), false), null);
      assert.deepEqual(await thrown(spendMfaPending(app.deps, pending, challenge)), BAD_PENDING);
      // One of the two already spent: refused, whichever it is.
      const fresh = await pendingOf();
      assert.deepEqual(await thrown(spendMfaPending(app.deps, fresh, challenge)), BAD_PENDING);
      const newChallenge = (await challengeFactor(app.deps, client, totpFactorId(user.id))).id;
      assert.deepEqual(await thrown(spendMfaPending(app.deps, pending, newChallenge)), BAD_PENDING);
    });
  });
}
