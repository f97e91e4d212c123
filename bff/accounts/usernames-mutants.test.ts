/**
 * Usernames (usernames.ts), where mutation testing (docs/mutation.md) asks for the
 * edges: the pattern from both sides (first character, allowed characters, 64
 * characters, no '@'), its exact sentence, a sign-in name looked up as an email
 * only when it has an '@', and setUsername's answers (set lower-cased, removed by
 * null or blank, 400 / 404 / 409 field by field, a store failure passed on as it
 * is). Pure module calls against a real store (a SQLite file and a PostgreSQL
 * schema), no app boot.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { openStore } from '../store/open-store.ts';
import type { Store } from '../store/store.ts';
import { openTempStore as tempStore } from '../testing/temp-store.ts';
import { AppError } from '../http/errors.ts';
import { findBySignInName, normaliseUsername, setUsername, usernameProblem } from './usernames.ts';

const PROBLEM = 'A username has 1 to 64 letters, digits, dots, hyphens or underscores, starts with a letter or digit, and has no @.';
const T0 = 1_800_000_000_000;

/** A migrated store on a temp SQLite file or a temp PostgreSQL schema, and how to drop it. */
/** What a call threw (an AppError's code, status, message, fields), or 'none'. */
async function thrown(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
    return 'none';
  } catch (e) {
    if (!(e instanceof AppError)) return 'not an AppError';
    return { code: e.code, status: e.status, message: e.message, fields: e.fields };
  }
}

describe('the username pattern', () => {
  it('takes 1 to 64 of [a-z0-9._-] starting with a letter or digit, after normalising', () => {
    const ok = ['a', '7', 'ann.ops', 'a-b_c.d', 'z'.repeat(64), '0'.repeat(64), '  Ann.OPS ', 'x.-_'];
    for (const u of ok) assert.equal(usernameProblem(u), null, u);
    const bad = ['', ' ', '.ann', '-ann', '_ann', 'ann@ops', 'z'.repeat(65), 'ann ops', 'ann+ops', 'ann\nops', 'ann/', '@ann', 'ä'];
    for (const u of bad) assert.equal(usernameProblem(u), PROBLEM, JSON.stringify(u));
    assert.equal(normaliseUsername('  Ann.OPS '), 'ann.ops');
  });
});

for (const db of ['sqlite', 'postgres'] as const) {
  describe(`usernames in the store (${db})`, () => {
    let store: Store;
    let url: string;
    let drop: () => Promise<void>;
    before(async () => {
      ({ store, url, drop } = await tempStore(db));
      await store.users.create({ id: 'u-ann', email: 'ann@example.com', name: 'Ann', passwordHash: null, role: 'user' }, T0);
      await store.users.create({ id: 'u-bo', email: 'bo@example.com', name: 'Bo', passwordHash: null, role: 'user' }, T0);
    });
    after(() => drop());

    it('sets one lower-cased, finds the account by it or by email, and removes it with null or a blank', async () => {
      assert.equal((await setUsername(store, 'u-ann', '  Ann.Ops ', T0)).username, 'ann.ops');
      assert.equal((await findBySignInName(store, 'ann.ops'))?.id, 'u-ann');
      assert.equal((await findBySignInName(store, 'ann@example.com'))?.id, 'u-ann');
      assert.equal(await findBySignInName(store, 'ann.ops@example.com'), null, "with an '@' it is an email");
      assert.equal(await findBySignInName(store, 'nobody'), null);
      assert.equal(await findBySignInName(store, '.ann.ops'), null);
      assert.equal((await setUsername(store, 'u-ann', null, T0)).username, null);
      assert.equal(await findBySignInName(store, 'ann.ops'), null);
      assert.equal((await setUsername(store, 'u-ann', 'ann.ops', T0)).username, 'ann.ops');
      assert.equal((await setUsername(store, 'u-ann', '   ', T0)).username, null);
      assert.equal((await store.users.findById('u-ann'))!.username, null);
    });

    it('refuses a malformed one with 400 naming the field, changing nothing', async () => {
      await setUsername(store, 'u-bo', 'bo', T0);
      assert.deepEqual(await thrown(setUsername(store, 'u-bo', 'bo@ops', T0)), {
        code: 'invalid_username',
        status: 400,
        message: PROBLEM,
        fields: { username: PROBLEM },
      });
      assert.equal((await store.users.findById('u-bo'))!.username, 'bo');
    });

    it('a taken one is 409 naming it, whatever its case', async () => {
      await setUsername(store, 'u-bo', 'bo', T0);
      assert.deepEqual(await thrown(setUsername(store, 'u-ann', 'BO', T0)), {
        code: 'username_taken',
        status: 409,
        message: 'The username bo is already taken.',
        fields: { username: 'This username is already taken.' },
      });
    });

    it('an unknown user is 404', async () => {
      assert.deepEqual(await thrown(setUsername(store, 'u-none', 'ghost', T0)), {
        code: 'user_not_found',
        status: 404,
        message: 'No such user.',
        fields: undefined,
      });
    });

    it('a store failure is passed on, not answered as a taken username', async () => {
      const closed = await openStore(url);
      await closed.close();
      const e = await setUsername(closed, 'u-bo', 'bo2', T0).then(
        () => null,
        (err: unknown) => err,
      );
      assert.ok(e instanceof Error, 'it failed');
      assert.ok(!(e instanceof AppError), `not an AppError: ${String(e)}`);
    });
  });
}
