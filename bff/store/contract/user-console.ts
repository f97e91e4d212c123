/** Contract: the admin console's user pages, version-checked changes, deletion, and a user's live sessions. */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import type { NewUser, User, UserPageQuery } from '../store.ts';
import { type GetStore, rid, T0 } from './util.ts';

/** A tag shared by one test's users, so a search finds only them in a shared database. */
const tag = () => `t${randomUUID().slice(0, 8)}`;

function newUser(t: string, over: Partial<NewUser> = {}): NewUser {
  const id = rid('u');
  return { id, email: `${id}@example.test`, name: `Person ${t}`, passwordHash: 'h', role: 'user', ...over };
}

/** Every page of the query, following `next`. */
async function allPages(get: GetStore, q: UserPageQuery): Promise<User[][]> {
  const pages: User[][] = [];
  let after = null;
  do {
    const page = await get().users.page({ ...q, after });
    pages.push(page.users);
    after = page.next;
  } while (after);
  return pages;
}

export function userConsoleContract(get: GetStore): void {
  describe('users: console pages', () => {
    it('pages newest first by created, then id, without repeats or gaps', async () => {
      const t = tag();
      const made: User[] = [];
      // Three share one millisecond: the id breaks the tie.
      for (const at of [T0 + 1, T0 + 2, T0 + 2, T0 + 2, T0 + 3]) made.push(await get().users.create(newUser(t), at));
      const pages = await allPages(get, { query: t.toUpperCase(), limit: 2 });
      assert.deepEqual(
        pages.map((p) => p.length),
        [2, 2, 1],
      );
      const want = [...made].sort((a, b) => b.createdAt - a.createdAt || (a.id < b.id ? 1 : -1)).map((u) => u.id);
      assert.deepEqual(
        pages.flat().map((u) => u.id),
        want,
      );
    });

    it('sorts by last sign-in with never-signed-in people last', async () => {
      const t = tag();
      const [a, b, never] = [await get().users.create(newUser(t), T0), await get().users.create(newUser(t), T0), await get().users.create(newUser(t), T0)];
      await get().users.touchSignIn(a.id, T0 + 10);
      await get().users.touchSignIn(b.id, T0 + 20);
      const pages = await allPages(get, { query: t, sort: 'lastSignIn', limit: 1 });
      assert.deepEqual(
        pages.flat().map((u) => u.id),
        [b.id, a.id, never.id],
      );
    });

    it('filters admins, disabled and unverified people, and searches names and emails literally', async () => {
      const t = tag();
      const admin = await get().users.create(newUser(t, { role: 'admin', emailVerified: true }), T0);
      const off = await get().users.create(newUser(t, { emailVerified: true }), T0);
      await get().users.setDisabled(off.id, true, T0);
      const unverified = await get().users.create(newUser(t), T0);
      const ids = async (q: UserPageQuery) => (await get().users.page({ query: t, ...q })).users.map((u) => u.id).sort();
      assert.deepEqual(await ids({ admin: true }), [admin.id]);
      assert.deepEqual(await ids({ disabled: true }), [off.id]);
      assert.deepEqual(await ids({ unverified: true }), [unverified.id]);
      assert.deepEqual(await ids({}), [admin.id, off.id, unverified.id].sort());
      assert.deepEqual(
        (await get().users.page({ query: admin.email.slice(0, 20) })).users.map((u) => u.id),
        [admin.id],
      );
      assert.deepEqual((await get().users.page({ query: `${t}%` })).users, [], 'a % is a character, not a wildcard');
    });
    it('filters people with a second factor (an authenticator app or a passkey), pages without repeats or gaps', async () => {
      const t = tag();
      const made: User[] = [];
      for (const at of [T0 + 1, T0 + 2, T0 + 2, T0 + 2, T0 + 3, T0 + 4]) made.push(await get().users.create(newUser(t), at));
      const [app, key, both, none, , twoKeys] = made;
      await get().mfa.totp.save(app!.id, 'sealed', T0);
      await get().mfa.totp.save(both!.id, 'sealed', T0);
      const passkey = (userId: string) => {
        const id = rid('pk');
        return get().passkeys.create({
          id,
          userId,
          credentialId: id,
          publicKey: 'k',
          signCount: 0,
          transports: [],
          deviceType: 'multiDevice',
          backedUp: true,
          name: 'Key',
          createdAt: T0,
          lastUsedAt: null,
        });
      };
      await passkey(key!.id);
      await passkey(both!.id);
      // Two passkeys still make one row: the filter probes for existence, it does not join.
      await passkey(twoKeys!.id);
      await passkey(twoKeys!.id);
      // Recovery codes alone are not a second factor (they back one up).
      await get().mfa.recoveryCodes.replace(none!.id, ['h1'], T0);
      const pages = await allPages(get, { query: t, secondFactor: true, limit: 1 });
      assert.deepEqual(
        pages.map((p) => p.length),
        [1, 1, 1, 1],
      );
      const want = [twoKeys!, both!, key!, app!].sort((a, b) => b.createdAt - a.createdAt || (a.id < b.id ? 1 : -1)).map((u) => u.id);
      assert.deepEqual(
        pages.flat().map((u) => u.id),
        want,
      );
      await get().passkeys.removeAllForUser(key!.id);
      await get().mfa.totp.remove(app!.id);
      assert.deepEqual(
        (await get().users.page({ query: t, secondFactor: true, sort: 'lastSignIn' })).users.map((u) => u.id).sort(),
        [both!.id, twoKeys!.id].sort(),
      );
    });
  });

  describe('users: an initial password that must be changed', () => {
    it('keeps the flag from creation until any new password is set; never without a password', async () => {
      const u = await get().users.create(newUser(tag(), { mustChangePassword: true }), T0);
      assert.equal(u.mustChangePassword, true);
      assert.equal((await get().users.findByEmail(u.email))?.mustChangePassword, true);
      assert.equal(await get().users.setPasswordHash(u.id, 'h2', T0 + 1), true);
      const after = await get().users.findById(u.id);
      assert.equal(after?.mustChangePassword, undefined);
      assert.equal(after?.passwordHash, 'h2');
      const invited = await get().users.create(newUser(tag(), { passwordHash: null, mustChangePassword: true }), T0);
      assert.equal(invited.mustChangePassword, undefined, 'no password, nothing to change');
      assert.equal((await get().users.create(newUser(tag()), T0)).mustChangePassword, undefined);
    });
  });

  describe('users: version-checked changes', () => {
    it('applies a change made on the current version, and refuses a stale one', async () => {
      const u = await get().users.create(newUser(tag()), T0);
      const first = await get().users.updateChecked(u.id, u.updatedAt, { role: 'admin' }, T0);
      assert.equal(first.ok, true);
      assert.ok(first.ok && first.user.role === 'admin' && first.user.updatedAt === T0 + 1, 'moves forward within one millisecond');
      const stale = await get().users.updateChecked(u.id, u.updatedAt, { disabled: true }, T0 + 5);
      assert.deepEqual(stale, { ok: false, reason: 'stale', user: { ...u, role: 'admin', updatedAt: T0 + 1 } });
      const second = await get().users.updateChecked(u.id, T0 + 1, { disabled: true }, T0 + 5);
      assert.ok(second.ok && second.user.disabled && second.user.updatedAt === T0 + 5);
      assert.deepEqual(await get().users.updateChecked(rid('missing'), T0, { disabled: true }, T0), { ok: false, reason: 'missing', user: null });
    });

    it('never leaves zero enabled admins, by demotion, disabling or deletion', async () => {
      // This database holds other tests' admins: make them all users first, then restore them.
      const others: User[] = [];
      for (let page = await get().users.page({ admin: true, limit: 200 }); ;) {
        others.push(...page.users.filter((u) => !u.disabled));
        if (!page.next) break;
        page = await get().users.page({ admin: true, limit: 200, after: page.next });
      }
      for (const o of others) await get().users.update(o.id, { role: 'user' }, o.updatedAt);
      try {
        const a = await get().users.create(newUser(tag(), { role: 'admin' }), T0);
        assert.deepEqual(await get().users.updateChecked(a.id, a.updatedAt, { role: 'user' }, T0 + 1), { ok: false, reason: 'last_admin', user: a });
        assert.deepEqual(await get().users.updateChecked(a.id, a.updatedAt, { disabled: true }, T0 + 1), { ok: false, reason: 'last_admin', user: a });
        assert.deepEqual(await get().users.delete(a.id), { ok: false, reason: 'last_admin' });
        const b = await get().users.create(newUser(tag(), { role: 'admin' }), T0);
        const demoted = await get().users.updateChecked(a.id, a.updatedAt, { role: 'user' }, T0 + 1);
        assert.equal(demoted.ok, true, 'another admin remains');
        assert.deepEqual(await get().users.updateChecked(b.id, b.updatedAt, { disabled: true }, T0 + 1), { ok: false, reason: 'last_admin', user: b });
      } finally {
        for (const o of others) await get().users.update(o.id, { role: 'admin' }, o.updatedAt);
      }
    });
  });

  describe('users: deletion', () => {
    it('deletes the account and what only it used; a second delete finds nothing', async () => {
      const u = await get().users.create(newUser(tag()), T0);
      await get().consents.upsert({ userId: u.id, clientId: rid('c'), scopes: ['openid'], grantId: null, grantedAt: T0, updatedAt: T0 });
      await get().bffSessions.create({
        id: rid('bs'),
        userId: u.id,
        tokens: 's',
        accessExpiresAt: T0,
        version: 1,
        createdAt: T0,
        lastSeenAt: T0,
        expiresAt: T0 + 1000,
        revokedAt: null,
        refreshLockUntil: null,
        refreshAttempt: null,
        data: {},
      });
      assert.deepEqual(await get().users.delete(u.id), { ok: true });
      assert.equal(await get().users.findById(u.id), null);
      assert.deepEqual(await get().consents.listForUser(u.id), []);
      assert.deepEqual(await get().bffSessions.listForUser(u.id, T0), []);
      assert.deepEqual(await get().users.delete(u.id), { ok: false, reason: 'missing' });
    });
  });

  describe("bff sessions: a user's live sessions", () => {
    it('lists the sessions neither revoked nor expired, newest first', async () => {
      const userId = rid('u');
      const base = {
        userId,
        tokens: 's',
        accessExpiresAt: T0,
        version: 1,
        lastSeenAt: T0,
        revokedAt: null,
        refreshLockUntil: null,
        refreshAttempt: null,
        data: { userAgent: 'UA' },
      };
      const older = { ...base, id: rid('bs'), createdAt: T0, expiresAt: T0 + 1000 };
      const newer = { ...base, id: rid('bs'), createdAt: T0 + 5, expiresAt: T0 + 1000 };
      const revoked = { ...base, id: rid('bs'), createdAt: T0, expiresAt: T0 + 1000, revokedAt: T0 + 1 };
      const expired = { ...base, id: rid('bs'), createdAt: T0, expiresAt: T0 + 10 };
      const someoneElse = { ...base, userId: rid('u'), id: rid('bs'), createdAt: T0, expiresAt: T0 + 1000 };
      for (const s of [older, newer, revoked, expired, someoneElse]) await get().bffSessions.create(s);
      assert.deepEqual(await get().bffSessions.listForUser(userId, T0 + 10), [newer, older]);
    });
  });
}
