/** Contract: second factors. A TOTP step and a recovery code are each accepted once, even under a race. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { rid, T0, type GetStore } from './util.ts';

export function mfaContract(get: GetStore): void {
  describe('mfa', () => {
    it('saves, finds, replaces and removes a TOTP authenticator', async () => {
      const u = rid('user');
      assert.equal(await get().mfa.totp.find(u), null);
      await get().mfa.totp.save(u, 'sealed-1', T0);
      assert.deepEqual(await get().mfa.totp.find(u), { userId: u, secret: 'sealed-1', createdAt: T0, lastStep: 0, lastUsedAt: null });
      assert.equal(await get().mfa.totp.useStep(u, 100, T0 + 1), true);
      await get().mfa.totp.save(u, 'sealed-2', T0 + 2);
      // A new authenticator starts its step counter over.
      assert.deepEqual(await get().mfa.totp.find(u), { userId: u, secret: 'sealed-2', createdAt: T0 + 2, lastStep: 0, lastUsedAt: null });
      assert.equal(await get().mfa.totp.remove(u), true);
      assert.equal(await get().mfa.totp.remove(u), false);
      assert.equal(await get().mfa.totp.find(u), null);
    });

    it('accepts each time step once and never an older one', async () => {
      const u = rid('user');
      await get().mfa.totp.save(u, 's', T0);
      assert.equal(await get().mfa.totp.useStep(u, 10, T0), true);
      assert.equal(await get().mfa.totp.useStep(u, 10, T0), false);
      assert.equal(await get().mfa.totp.useStep(u, 9, T0), false);
      assert.equal(await get().mfa.totp.useStep(u, 11, T0 + 5), true);
      assert.equal((await get().mfa.totp.find(u))?.lastStep, 11);
      assert.equal((await get().mfa.totp.find(u))?.lastUsedAt, T0 + 5);
      assert.equal(await get().mfa.totp.useStep(rid('nobody'), 12, T0), false);
      const race = await Promise.all(Array.from({ length: 8 }, () => get().mfa.totp.useStep(u, 12, T0)));
      assert.equal(race.filter(Boolean).length, 1);
    });

    it('uses each recovery code once, replaces them all, and counts what is left', async () => {
      const u = rid('user');
      const other = rid('user');
      await get().mfa.recoveryCodes.replace(u, ['h1', 'h2', 'h3'], T0);
      await get().mfa.recoveryCodes.replace(other, ['h1'], T0);
      assert.equal(await get().mfa.recoveryCodes.remaining(u), 3);
      const race = await Promise.all(Array.from({ length: 6 }, () => get().mfa.recoveryCodes.use(u, 'h2', T0 + 1)));
      assert.equal(race.filter(Boolean).length, 1);
      assert.equal(await get().mfa.recoveryCodes.use(u, 'nope', T0), false);
      assert.equal(await get().mfa.recoveryCodes.remaining(u), 2);
      // Another user's code of the same hash is theirs alone.
      assert.equal(await get().mfa.recoveryCodes.remaining(other), 1);
      await get().mfa.recoveryCodes.replace(u, ['h4', 'h5'], T0 + 2);
      assert.equal(await get().mfa.recoveryCodes.use(u, 'h1', T0 + 3), false);
      assert.equal(await get().mfa.recoveryCodes.remaining(u), 2);
      assert.equal(await get().mfa.recoveryCodes.removeAll(u), 2);
      assert.equal(await get().mfa.recoveryCodes.remaining(u), 0);
    });
  });
}
