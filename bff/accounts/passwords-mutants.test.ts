/**
 * The password rules and hashing, where mutation testing (docs/mutation.md) asks
 * for the boundaries: each rule's limit from both sides, its exact sentence,
 * the argon2id parameters a stored hash records, and the dummy hash that
 * unknown accounts verify against being made once (made per attempt, an
 * unknown account would cost an extra hash: a timing oracle). The rules are
 * then checked where a person meets them, changing a password through the
 * real app, on SQLite and PostgreSQL.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { dummyHash, hashPassword, hashWork, passwordProblem, PASSWORD_MAX, PASSWORD_MIN, verifyPassword } from './passwords.ts';
import { startTestApp, type TestApp } from '../testing/test-app.ts';
import { passwordHashing } from './hash-gate.ts';
import { signedInAgent, type Agent } from '../testing/agent.ts';
import { createAccount } from './accounts.ts';

const TOO_SHORT = 'The password must be at least 12 characters long.';
const TOO_LONG = 'The password must be at most 1024 characters long.';
const TOO_FEW = 'The password repeats too few different characters.';
const COMMON = 'That password is too common.';
const HAS_EMAIL = 'The password must not contain your email address.';

/** [password, email, the problem or null] */
const CASES: Array<[string, string | undefined, string | null]> = [
  ['', undefined, TOO_SHORT],
  ['abcdefghijk', undefined, TOO_SHORT],
  ['abcdefghijkl', undefined, null],
  ['abcd'.repeat(256), undefined, null],
  [`${'abcd'.repeat(256)}e`, undefined, TOO_LONG],
  ['aaaabbbbcccc', undefined, TOO_FEW],
  ['aaaabbbbcccd', undefined, null],
  ['password1234', undefined, COMMON],
  ['PassWord1234', undefined, COMMON],
  ['password12345x', undefined, null],
  ['my-alice-secret-9', 'alice@example.com', HAS_EMAIL],
  ['my-ALICE-secret-9', 'alice@example.com', HAS_EMAIL],
  ['my-alice-secret-9', 'Alice@Example.com', HAS_EMAIL],
  ['my-alice-secret-9', 'bob@example.com', null],
  ['my-anna-secret-99', 'anna@example.com', HAS_EMAIL],
  // A local part under four characters is too common a string to forbid.
  ['my-bob-secret-999', 'bob@example.com', null],
  ['example.com-secret', 'alice@example.com', null],
  ['my-alice-secret-9', undefined, null],
  ['my-alice-secret-9', '', null],
];

// First in this file: the dummy hash must not have been made yet in this process.
describe('the dummy hash and a full hashing queue', () => {
  it('is not remembered as refused: made once the queue has room again', async () => {
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const fill = Array.from({ length: passwordHashing.concurrency + passwordHashing.maxQueued }, () => passwordHashing.run(() => held));
    const refused = await dummyHash().then(
      () => 'made',
      (e: { code?: string }) => e.code,
    );
    release();
    await Promise.all(fill);
    assert.equal(refused, 'busy');
    const made = dummyHash();
    assert.match(await made, /^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    assert.equal(dummyHash(), made, 'and kept from then on');
  });
});

/** Every password on the list, in any case. */
const COMMON_LIST = [
  'password1234',
  'password12345',
  '123456789012',
  'qwertyuiopas',
  '111111111111',
  'passwordpassword',
  'iloveyou1234',
  'letmein12345',
  'administrator',
  'welcome12345',
  'changeme1234',
  'qwerty123456',
];

describe('password policy', () => {
  it('states the limits the SPA shows', () => {
    assert.deepEqual([PASSWORD_MIN, PASSWORD_MAX], [12, 1024]);
  });

  for (const [password, email, problem] of CASES) {
    it(`${JSON.stringify(password.length > 40 ? `${password.length} characters` : password)} for ${email ?? 'no email'}: ${problem ?? 'accepted'}`, () => {
      assert.equal(passwordProblem(password, email), problem);
    });
  }

  it('refuses every password on the common list, in any case', () => {
    for (const p of COMMON_LIST) {
      // '111111111111' repeats too few characters before it is looked up.
      const expected = p === '111111111111' ? TOO_FEW : COMMON;
      assert.equal(passwordProblem(p), expected, p);
      assert.equal(passwordProblem(p.toUpperCase()), expected, p.toUpperCase());
    }
  });

  it('refuses a password that is not a string', () => {
    assert.equal(passwordProblem(undefined as unknown as string), TOO_SHORT);
    assert.equal(passwordProblem(['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l'] as unknown as string), TOO_SHORT);
  });
});

describe('password hashing', () => {
  it('stores argon2id with m=19 MiB, t=2, p=1 and a 32-byte hash, and verifies only the same password', async () => {
    const stored = await hashPassword('correct horse battery staple');
    assert.match(stored, /^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/);
    const before = hashWork.verifications;
    assert.equal(await verifyPassword(stored, 'correct horse battery staple'), true);
    assert.equal(await verifyPassword(stored, 'correct horse battery stapl'), false);
    assert.equal(await verifyPassword('not a hash', 'correct horse battery staple'), false, 'a damaged hash is a wrong password, not a crash');
    // hashWork counts the argon2 work that ran (a stored value that does not decode costs none).
    assert.equal(hashWork.verifications - before, 2, 'both real verifications are counted, the failing one too; the damaged hash is not work');
  });

  it('makes the dummy hash once, and it is a real argon2id hash', async () => {
    const first = dummyHash();
    assert.equal(dummyHash(), first);
    assert.match(await first, /^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
  });
});

for (const db of ['sqlite', 'postgres'] as const) {
  describe(`changing a password keeps to the rules (${db})`, () => {
    let app: TestApp;
    let agent: Agent;
    const PASSWORD = 'correct horse battery staple';
    before(async () => {
      app = await startTestApp({ db });
      await createAccount(app.store, { email: 'carol@example.com', password: PASSWORD }, Date.now());
      agent = await signedInAgent(app.url, 'carol@example.com', PASSWORD);
    });
    after(() => app.close());

    it('answers each weak new password with its reason, and keeps the old one', async () => {
      const weak: Array<[string, string]> = [
        ['short', TOO_SHORT],
        ['x'.repeat(1025), TOO_LONG],
        ['abababababab', TOO_FEW],
        ['Welcome12345', COMMON],
        ['hello-carol-2026', HAS_EMAIL],
      ];
      for (const [newPassword, reason] of weak) {
        const res = await agent.api('POST', '/bff/account/password', { currentPassword: PASSWORD, newPassword });
        assert.equal(res.status, 400, reason);
        assert.deepEqual(await res.json(), { error: 'weak_password', message: reason, fields: { newPassword: reason } });
      }
      const user = await app.store.users.findByEmail('carol@example.com');
      assert.equal(await verifyPassword(user!.passwordHash!, PASSWORD), true);
    });

    it('answers a wrong current password on its field, and accepts a good new one', async () => {
      const wrong = await agent.api('POST', '/bff/account/password', { currentPassword: 'not the password', newPassword: 'a much better passphrase' });
      assert.deepEqual(
        [wrong.status, await wrong.json()],
        [
          400,
          { error: 'invalid_credentials', message: 'The current password is incorrect.', fields: { currentPassword: 'The current password is incorrect.' } },
        ],
      );
      const ok = await agent.api('POST', '/bff/account/password', { currentPassword: PASSWORD, newPassword: 'a much better passphrase' });
      assert.equal(ok.status, 200);
      const user = await app.store.users.findByEmail('carol@example.com');
      assert.equal(await verifyPassword(user!.passwordHash!, 'a much better passphrase'), true);
    });
  });
}
