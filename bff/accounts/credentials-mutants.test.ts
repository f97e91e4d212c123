/**
 * The sign-in throttle (checkCredentials, accounts.ts) at its exact limits,
 * where mutation testing (docs/mutation.md) asks for them: the per-account-
 * and-address limit, the per-address limit (five times it), the under-attack
 * share (a third, at least one) once an account has ten times the limit of
 * failures, Retry-After rounded up and never 0, the window's end, who is
 * counted without an address, and what success resets (the pair, not the
 * account) or, with recordSuccess false, does not. Called with the real store
 * and an explicit clock, on SQLite and PostgreSQL; the HTTP side is
 * sign-in.test.ts's.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestApp, type TestApp } from '../testing/test-app.ts';
import { checkCredentials, createAccount, type CredentialCheck } from './accounts.ts';

const PASSWORD = 'correct horse battery staple';
const PAIR = 'Too many failed sign-in attempts for this account. Try again later.';
const NETWORK = 'Too many failed sign-in attempts from your network. Try again later.';
const T0 = 1_900_000_000_000;
const WINDOW = 60_000;

for (const db of ['sqlite', 'postgres'] as const) {
  describe(`sign-in throttle limits (${db})`, () => {
    let app: TestApp;
    before(async () => {
      app = await startTestApp({ db });
    });
    after(() => app.close());

    const check = (email: string, password: string, now: number, ip: string | null, more: Partial<CredentialCheck> = {}) =>
      checkCredentials(email, password, { store: app.store, now, maxFailures: 3, windowMs: WINDOW, ip, ...more });
    /** The answer as [status, code, message, retryAfter], or 'ok' with the account's email. */
    const outcome = async (p: Promise<{ email: string }>) => {
      try {
        return (await p).email;
      } catch (e) {
        const err = e as { status: number; code: string; message: string; retryAfter?: number };
        return [err.status, err.code, err.message, err.retryAfter ?? null];
      }
    };
    // The sentence itself, not the constant: a changed constant must fail here.
    const wrong = [401, 'invalid_credentials', 'Email or password is incorrect.', null];

    it('slows an address after exactly maxFailures for one account, until the window ends, Retry-After rounded up', async () => {
      await createAccount(app.store, { email: 'pair@example.com', password: PASSWORD }, T0);
      for (let i = 0; i < 3; i++) assert.deepEqual(await outcome(check('pair@example.com', 'wrong', T0, '198.51.100.1')), wrong, `failure ${i + 1}`);
      assert.deepEqual(
        await outcome(check('pair@example.com', PASSWORD, T0 + 1, '198.51.100.1')),
        [429, 'too_many_attempts', PAIR, 60],
        'even the right password',
      );
      assert.deepEqual(
        await outcome(check('PAIR@example.com ', PASSWORD, T0 + 58_001, '198.51.100.1')),
        [429, 'too_many_attempts', PAIR, 2],
        'the same account, however spelled',
      );
      assert.deepEqual(await outcome(check('pair@example.com', PASSWORD, T0 + 59_999, '198.51.100.1')), [429, 'too_many_attempts', PAIR, 1], 'never 0');
      assert.deepEqual(await outcome(check('pair@example.com', PASSWORD, T0 + 1, '198.51.100.2')), 'pair@example.com', 'the owner elsewhere gets in');
      assert.deepEqual(await outcome(check('pair@example.com', PASSWORD, T0 + WINDOW, '198.51.100.1')), 'pair@example.com', 'the window is over');
    });

    it('success clears the address for that account, but keeps the account count; recordSuccess false clears nothing', async () => {
      await createAccount(app.store, { email: 'reset@example.com', password: PASSWORD }, T0);
      for (let i = 0; i < 2; i++) await outcome(check('reset@example.com', 'wrong', T0, '198.51.100.3'));
      assert.equal(await outcome(check('reset@example.com', PASSWORD, T0, '198.51.100.3', { recordSuccess: false })), 'reset@example.com');
      assert.equal((await app.store.users.findByEmail('reset@example.com'))!.lastSignInAt, null, 'no sign-in recorded');
      await outcome(check('reset@example.com', 'wrong', T0, '198.51.100.3'));
      assert.deepEqual(
        await outcome(check('reset@example.com', PASSWORD, T0, '198.51.100.3')),
        [429, 'too_many_attempts', PAIR, 60],
        'the third failure counted on top of the first two',
      );

      await createAccount(app.store, { email: 'reset2@example.com', password: PASSWORD }, T0);
      for (let i = 0; i < 2; i++) await outcome(check('reset2@example.com', 'wrong', T0, '198.51.100.4'));
      assert.equal(await outcome(check('reset2@example.com', PASSWORD, T0 + 5, '198.51.100.4')), 'reset2@example.com');
      assert.equal((await app.store.users.findByEmail('reset2@example.com'))!.lastSignInAt, T0 + 5);
      for (let i = 0; i < 2; i++) assert.deepEqual(await outcome(check('reset2@example.com', 'wrong', T0, '198.51.100.4')), wrong, 'the count started again');
      assert.deepEqual((await app.store.throttle.peek('login-account:reset2@example.com', T0))?.count, 4, 'the account keeps every failure');
    });

    it('slows an address after five times maxFailures across accounts, and only that address', async () => {
      for (let i = 0; i < 15; i++) assert.deepEqual(await outcome(check(`nobody${i}@example.com`, 'wrong', T0, '198.51.100.5')), wrong, `failure ${i + 1}`);
      await createAccount(app.store, { email: 'fresh@example.com', password: PASSWORD }, T0);
      assert.deepEqual(await outcome(check('fresh@example.com', PASSWORD, T0 + 30_000, '198.51.100.5')), [429, 'too_many_attempts', NETWORK, 30]);
      assert.equal(await outcome(check('fresh@example.com', PASSWORD, T0, '198.51.100.6')), 'fresh@example.com');
    });

    it('under attack (ten times maxFailures on one account) allows each failing address one failure; a new address still gets in', async () => {
      await createAccount(app.store, { email: 'target@example.com', password: PASSWORD }, T0);
      for (let i = 0; i < 29; i++) await outcome(check('target@example.com', 'wrong', T0, `203.0.113.${i}`));
      assert.deepEqual(
        await outcome(check('target@example.com', 'wrong', T0, '203.0.113.0')),
        wrong,
        '29 failures: not yet under attack, a second failure is allowed',
      );
      // 30 failures now: each address that failed once is refused.
      assert.deepEqual(await outcome(check('target@example.com', PASSWORD, T0, '203.0.113.1')), [429, 'too_many_attempts', PAIR, 60]);
      assert.equal(await outcome(check('target@example.com', PASSWORD, T0, '203.0.113.200')), 'target@example.com');
    });

    it('under attack, the share is a third of a larger limit, rounded up (6 → 2 failures per address)', async () => {
      await createAccount(app.store, { email: 'big@example.com', password: PASSWORD }, T0);
      const six = { maxFailures: 6 };
      for (let i = 0; i < 60; i++) await outcome(check('big@example.com', 'wrong', T0, `203.0.114.${i}`, six));
      assert.deepEqual(await outcome(check('big@example.com', 'wrong', T0, '203.0.114.0', six)), wrong, 'a second failure is still allowed');
      assert.deepEqual(await outcome(check('big@example.com', PASSWORD, T0, '203.0.114.0', six)), [429, 'too_many_attempts', PAIR, 60], 'not a third');
    });

    it('counts attempts without an address under the account only, and refuses disabled, passwordless and malformed ones the same way', async () => {
      await createAccount(app.store, { email: 'noip@example.com', password: PASSWORD }, T0);
      for (let i = 0; i < 3; i++) await outcome(check('noip@example.com', 'wrong', T0, null));
      assert.deepEqual((await app.store.throttle.peek('login:noip@example.com|-', T0))?.count, 3);
      assert.equal(await app.store.throttle.peek('login-ip:null', T0), null);
      assert.deepEqual(await outcome(check('noip@example.com', PASSWORD, T0, null)), [429, 'too_many_attempts', PAIR, 60]);

      const off = await createAccount(app.store, { email: 'off@example.com', password: PASSWORD }, T0);
      await app.store.users.setDisabled(off.id, true, T0);
      await createAccount(app.store, { email: 'nopass@example.com', password: null }, T0);
      for (const [email, password] of [
        ['off@example.com', PASSWORD],
        ['nopass@example.com', ''],
        ['', PASSWORD],
        [42, PASSWORD],
        ['noone@example.com', 42],
      ] as const) {
        assert.deepEqual(await outcome(check(email as string, password as string, T0, '198.51.100.9')), wrong, `${email}`);
      }
      assert.equal((await app.store.throttle.peek('login:off@example.com|198.51.100.9', T0))?.count, 1, 'a disabled account counts as a failure');
    });

    it('the dummy hash’s own password opens no account: not one without a password, not an unknown one', async () => {
      // Unknown and passwordless accounts are checked against the dummy hash (no timing oracle):
      // its password must still fail there, the same way as any other.
      await createAccount(app.store, { email: 'nopass2@example.com', password: null }, T0);
      for (const email of ['nopass2@example.com', 'nobody-at-all@example.com']) {
        assert.deepEqual(await outcome(check(email, 'portal-dummy-password-for-timing', T0, '198.51.100.10')), wrong, email);
        assert.equal((await app.store.throttle.peek(`login:${email}|198.51.100.10`, T0))?.count, 1, email);
      }
    });
  });
}
