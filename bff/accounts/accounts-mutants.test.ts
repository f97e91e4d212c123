/**
 * Creating accounts and changing passwords (accounts.ts), where mutation
 * testing (docs/mutation.md) asks for it: every field a new account is stored
 * with and its default (name from the email, role, verified, the initial-
 * password flag only for `true`), each refusal's code, sentence and fields
 * (which field leads when several are wrong), the name's 200-character limit
 * from both sides, a duplicate email's 409, a password change's refusals and
 * what it stores, and `publicUser` field by field. With the real store, on
 * SQLite and PostgreSQL; the sign-in throttle is credentials-mutants.test.ts's.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestApp, type TestApp } from '../testing/test-app.ts';
import { changePassword, createAccount, publicUser, type NewAccount } from './accounts.ts';
import { hashWork, verifyPassword } from './passwords.ts';

const PASSWORD = 'correct horse battery staple';
const T0 = 1_900_000_000_000;
const BAD_EMAIL = 'That is not a valid email address.';
const TOO_SHORT = 'The password must be at least 12 characters long.';
const HAS_EMAIL = 'The password must not contain your email address.';
const LONG_NAME = 'The name must be at most 200 characters.';
const WRONG_CURRENT = 'The current password is incorrect.';

/** The refusal as [status, code, message, fields], or 'ok'. */
async function outcome(p: Promise<unknown>) {
  try {
    await p;
    return 'ok';
  } catch (e) {
    const err = e as { status: number; code: string; message: string; fields?: Record<string, string> };
    return [err.status, err.code, err.message, err.fields ?? null];
  }
}

for (const db of ['sqlite', 'postgres'] as const) {
  describe(`creating accounts (${db})`, () => {
    let app: TestApp;
    before(async () => {
      app = await startTestApp({ db });
    });
    after(() => app.close());
    const create = (input: Partial<NewAccount>, now = T0) => createAccount(app.store, input as NewAccount, now);

    it('stores the normalised email, the local part as the name, a user role, verified, and an argon2id hash of the password', async () => {
      const user = await create({ email: '  Alice.Smith@Example.COM ', password: PASSWORD });
      assert.match(user.id, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      const stored = (await app.store.users.findById(user.id))!;
      assert.deepEqual(
        { ...stored, passwordHash: null },
        {
          id: user.id,
          email: 'alice.smith@example.com',
          name: 'alice.smith',
          passwordHash: null,
          role: 'user',
          disabled: false,
          emailVerified: true,
          createdAt: T0,
          updatedAt: T0,
          lastSignInAt: null,
          username: null,
        },
      );
      assert.match(stored.passwordHash!, /^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
      assert.equal(await verifyPassword(stored.passwordHash!, PASSWORD), true);
      assert.deepEqual(user, stored, 'the account returned is the one stored');
    });

    it('keeps what it is given: a trimmed name, the role, unverified, the initial-password flag only for true', async () => {
      const admin = await create({
        email: 'bob@example.com',
        password: PASSWORD,
        name: '  Bob Builder  ',
        role: 'admin',
        emailVerified: false,
        mustChangePassword: true,
      });
      const stored = (await app.store.users.findById(admin.id))!;
      assert.deepEqual([stored.name, stored.role, stored.emailVerified, stored.mustChangePassword], ['Bob Builder', 'admin', false, true]);
      const loose = await create({ email: 'carl@example.com', password: PASSWORD, name: '   ', mustChangePassword: 'yes' as unknown as boolean });
      const looseStored = (await app.store.users.findById(loose.id))!;
      assert.equal(looseStored.name, 'carl', 'a blank name is the local part');
      assert.equal(looseStored.mustChangePassword, undefined, 'only true asks for a new password');
    });

    it('stores no hash and checks no rule for an account without a password', async () => {
      const before = hashWork.verifications;
      const user = await create({ email: 'nopass@example.com', password: null });
      assert.equal((await app.store.users.findById(user.id))!.passwordHash, null);
      assert.equal(hashWork.verifications, before);
    });

    it('takes a name of 200 characters and refuses 201', async () => {
      const ok = await create({ email: 'long@example.com', password: PASSWORD, name: 'n'.repeat(200) });
      assert.equal(ok.name.length, 200);
      assert.deepEqual(await outcome(create({ email: 'longer@example.com', password: PASSWORD, name: 'n'.repeat(201) })), [
        400,
        'invalid_request',
        LONG_NAME,
        { name: LONG_NAME },
      ]);
      assert.equal(await app.store.users.findByEmail('longer@example.com'), null);
    });

    it('names every wrong field, the email first, then the password, then the name', async () => {
      const cases: Array<[Partial<NewAccount>, unknown[]]> = [
        [{ email: 'not an email', password: PASSWORD }, [400, 'invalid_email', BAD_EMAIL, { email: BAD_EMAIL }]],
        [{ password: PASSWORD }, [400, 'invalid_email', BAD_EMAIL, { email: BAD_EMAIL }]],
        [
          { email: 'not an email', password: 'short', name: 'n'.repeat(201) },
          [400, 'invalid_email', BAD_EMAIL, { email: BAD_EMAIL, password: TOO_SHORT, name: LONG_NAME }],
        ],
        [{ email: 'dave@example.com', password: 'short', name: 'n'.repeat(201) }, [400, 'weak_password', TOO_SHORT, { password: TOO_SHORT, name: LONG_NAME }]],
        [{ email: 'dave@example.com' }, [400, 'weak_password', TOO_SHORT, { password: TOO_SHORT }]],
        [{ email: ' DAVID@Example.com', password: 'my-david-secret-1' }, [400, 'weak_password', HAS_EMAIL, { password: HAS_EMAIL }]],
      ];
      for (const [input, expected] of cases) assert.deepEqual(await outcome(create(input)), expected, JSON.stringify(input));
      assert.equal(await app.store.users.findByEmail('dave@example.com'), null);
    });

    it('refuses an email already registered, however spelled, with 409 email_taken', async () => {
      await create({ email: 'erin@example.com', password: PASSWORD });
      assert.deepEqual(await outcome(create({ email: 'Erin@Example.com', password: 'another long passphrase' })), [
        409,
        'email_taken',
        'An account with the email erin@example.com already exists.',
        { email: 'This email is already registered.' },
      ]);
    });

    it('passes on a store failure that is not a duplicate', async () => {
      // A closed store fails with its own error: not a ConflictError, so not an email_taken.
      const closed = await startTestApp({ db });
      await closed.close();
      const r = await outcome(createAccount(closed.store, { email: 'fay@example.com', password: null }, T0));
      assert.notEqual(r, 'ok');
      assert.notEqual((r as unknown[])[1], 'email_taken');
      assert.notEqual((r as unknown[])[0], 409);
    });

    it('shows a user to the SPA with exactly these fields', async () => {
      const user = await create({ email: 'gus@example.com', password: null, name: 'Gus' }, T0 + 7);
      assert.deepEqual(publicUser(user), {
        id: user.id,
        email: 'gus@example.com',
        name: 'Gus',
        role: 'user',
        disabled: false,
        createdAt: T0 + 7,
        username: null,
      });
      await app.store.users.update(user.id, { username: 'gus' }, T0 + 8);
      await app.store.users.setDisabled(user.id, true, T0 + 9);
      const later = (await app.store.users.findById(user.id))!;
      assert.deepEqual(publicUser(later), {
        id: user.id,
        email: 'gus@example.com',
        name: 'Gus',
        role: 'user',
        disabled: true,
        createdAt: T0 + 7,
        username: 'gus',
      });
      assert.deepEqual(publicUser({ ...later, username: undefined }).username, null);
    });
  });

  describe(`changing a password (${db})`, () => {
    let app: TestApp;
    before(async () => {
      app = await startTestApp({ db });
    });
    after(() => app.close());
    const wrongCurrent = [400, 'invalid_credentials', WRONG_CURRENT, { currentPassword: WRONG_CURRENT }];

    it('refuses a wrong current password, and an account without one, on the current password’s field', async () => {
      const user = await createAccount(app.store, { email: 'hal@example.com', password: PASSWORD }, T0);
      assert.deepEqual(await outcome(changePassword(app.store, user, 'not the password', 'a much better passphrase', T0 + 1)), wrongCurrent);
      const none = await createAccount(app.store, { email: 'ida@example.com', password: null }, T0);
      assert.deepEqual(await outcome(changePassword(app.store, none, '', 'a much better passphrase', T0 + 1)), wrongCurrent);
      assert.equal((await app.store.users.findById(none.id))!.passwordHash, null);
      assert.equal(await verifyPassword((await app.store.users.findById(user.id))!.passwordHash!, PASSWORD), true, 'unchanged');
    });

    it('refuses a weak new password with its reason on the new password’s field, checked against the account’s email', async () => {
      const user = await createAccount(app.store, { email: 'jane@example.com', password: PASSWORD }, T0);
      for (const [next, reason] of [
        ['short', TOO_SHORT],
        ['my-jane-secret-12', HAS_EMAIL],
      ]) {
        assert.deepEqual(await outcome(changePassword(app.store, user, PASSWORD, next!, T0 + 1)), [400, 'weak_password', reason, { newPassword: reason }]);
      }
      assert.equal(await verifyPassword((await app.store.users.findById(user.id))!.passwordHash!, PASSWORD), true, 'unchanged');
    });

    it('stores an argon2id hash of the new password at the given time', async () => {
      const user = await createAccount(app.store, { email: 'kim@example.com', password: PASSWORD }, T0);
      assert.equal(await outcome(changePassword(app.store, user, PASSWORD, 'a much better passphrase', T0 + 5)), 'ok');
      const stored = (await app.store.users.findById(user.id))!;
      assert.match(stored.passwordHash!, /^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
      assert.equal(await verifyPassword(stored.passwordHash!, 'a much better passphrase'), true);
      assert.equal(await verifyPassword(stored.passwordHash!, PASSWORD), false);
      assert.equal(stored.updatedAt, T0 + 5);
    });
  });
}
