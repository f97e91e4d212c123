/** Contract: passkeys and their single-use, short-lived WebAuthn challenges. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConflictError } from '../store.ts';
import type { Passkey } from '../passkeys.ts';
import { type GetStore, rid, T0 } from './util.ts';

async function passkey(get: GetStore, over: Partial<Passkey> = {}): Promise<Passkey> {
  const userId =
    over.userId ??
    (await get().users.create({ id: rid('u'), email: `${rid('pk')}@example.test`, name: 'Key Holder', passwordHash: null, role: 'user' }, T0)).id;
  const p: Passkey = {
    id: rid('pk'),
    userId,
    credentialId: rid('cred'),
    publicKey: 'pQECAyYgASFYIA',
    signCount: 5,
    transports: ['internal', 'hybrid'],
    deviceType: 'singleDevice',
    backedUp: false,
    name: 'Laptop',
    createdAt: T0,
    lastUsedAt: null,
    ...over,
  };
  await get().passkeys.create(p);
  return p;
}

export function passkeysContract(get: GetStore): void {
  describe('passkeys', () => {
    it('stores a passkey, finds it by credential id, lists a user’s in creation order, refuses a credential twice', async () => {
      const a = await passkey(get, { deviceType: 'multiDevice', backedUp: true });
      const b = await passkey(get, { userId: a.userId, createdAt: T0 + 1, name: 'Phone' });
      assert.deepEqual(await get().passkeys.findByCredentialId(a.credentialId), a);
      assert.equal(await get().passkeys.findByCredentialId(rid('cred')), null);
      assert.deepEqual(await get().passkeys.listForUser(a.userId), [a, b]);
      await assert.rejects(passkey(get, { credentialId: a.credentialId }), ConflictError);
    });

    it('renames and removes only the owner’s passkey', async () => {
      const a = await passkey(get);
      const other = await passkey(get);
      assert.equal(await get().passkeys.rename(other.userId, a.id, 'Stolen'), false);
      assert.equal(await get().passkeys.rename(a.userId, a.id, 'Work laptop'), true);
      assert.equal((await get().passkeys.findByCredentialId(a.credentialId))?.name, 'Work laptop');
      assert.equal(await get().passkeys.remove(other.userId, a.id), null);
      assert.deepEqual(await get().passkeys.remove(a.userId, a.id), { ...a, name: 'Work laptop' });
      assert.equal(await get().passkeys.remove(a.userId, a.id), null);
      assert.equal(await get().passkeys.findByCredentialId(a.credentialId), null);
      assert.equal(await get().passkeys.removeAllForUser(other.userId), 1);
      assert.deepEqual(await get().passkeys.listForUser(other.userId), []);
    });

    it('records a use only while the signature counter grows (or stays 0 for counterless authenticators)', async () => {
      const a = await passkey(get, { signCount: 5 });
      assert.equal(await get().passkeys.recordUse(a.id, 5, T0 + 1), false, 'a counter standing still is refused');
      assert.equal(await get().passkeys.recordUse(a.id, 4, T0 + 1), false, 'a counter going backwards is refused');
      assert.equal((await get().passkeys.findByCredentialId(a.credentialId))?.lastUsedAt, null);
      assert.equal(await get().passkeys.recordUse(a.id, 9, T0 + 2), true);
      const used = await get().passkeys.findByCredentialId(a.credentialId);
      assert.equal(used?.signCount, 9);
      assert.equal(used?.lastUsedAt, T0 + 2);
      const zero = await passkey(get, { signCount: 0 });
      assert.equal(await get().passkeys.recordUse(zero.id, 0, T0 + 3), true);
      assert.equal(await get().passkeys.recordUse(zero.id, 0, T0 + 4), true);
      assert.equal(await get().passkeys.recordUse(rid('pk'), 10, T0), false, 'an unknown passkey');
      const results = await Promise.all([10, 10, 10, 10].map((n) => get().passkeys.recordUse(a.id, n, T0 + 5)));
      assert.equal(results.filter(Boolean).length, 1, 'one counter value is accepted once');
    });

    it('consumes a challenge once, for its purpose, before it expires', async () => {
      const c = { challenge: rid('ch'), purpose: 'passkey_sign_in' as const, userId: null, interactionUid: rid('uid'), createdAt: T0, expiresAt: T0 + 300_000 };
      await get().passkeys.createChallenge(c);
      assert.equal(await get().passkeys.consumeChallenge(c.challenge, 'passkey_register', T0 + 1), null, 'another purpose');
      const results = await Promise.all(Array.from({ length: 5 }, () => get().passkeys.consumeChallenge(c.challenge, 'passkey_sign_in', T0 + 1)));
      const winners = results.filter((r) => r !== null);
      assert.equal(winners.length, 1, 'exactly one consumption wins');
      assert.deepEqual(winners[0], { ...c, consumedAt: T0 + 1 });
      assert.equal(await get().passkeys.consumeChallenge(c.challenge, 'passkey_sign_in', T0 + 2), null, 'replayed');

      const late = { ...c, challenge: rid('ch'), purpose: 'passkey_register' as const, userId: rid('u'), interactionUid: null };
      await get().passkeys.createChallenge(late);
      assert.equal(await get().passkeys.consumeChallenge(late.challenge, 'passkey_register', T0 + 300_000), null, 'expired');
      assert.equal(await get().passkeys.consumeChallenge(rid('ch'), 'passkey_register', T0), null, 'unknown');
    });
  });
}
