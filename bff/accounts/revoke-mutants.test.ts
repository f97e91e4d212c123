/**
 * revokeOtherAccess (revoke.ts) where mutation testing (docs/mutation.md) found it unchecked:
 * the session that made the change keeps its partners (no back-channel logout is queued for
 * it, nor for the grant it keeps), while every other session's partners are told and every
 * other grant row is deleted with its tokens. Module calls against a real store (a SQLite
 * file and a PostgreSQL schema) holding provider rows as oidc-provider writes them; no app.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Store } from '../store/store.ts';
import { openTempStore as tempStore } from '../testing/temp-store.ts';
import { registerClient } from '../oauth/clients.ts';
import { revokeOtherAccess } from './revoke.ts';

const HOUR = 3600_000;

for (const db of ['sqlite', 'postgres'] as const) {
  describe(`revokeOtherAccess (${db})`, () => {
    let store: Store;
    let drop: () => Promise<void>;
    before(async () => ({ store, drop } = await tempStore(db)));
    after(() => drop());

    it("keeps the asking session's partners and grant; tells the other session's partners and deletes the other grants", async () => {
      const now = Date.now();
      const userId = `u-revoke-${db}`;
      const partner = async (name: string) =>
        (
          await registerClient(
            store,
            { name, redirectUris: ['https://rp.example/cb'], isPublic: false, scopes: ['openid'], options: { backchannelLogoutUri: 'https://rp.example/bcl' } },
            now,
          )
        ).client.clientId;
      const here = await partner('Here');
      const there = await partner('There');
      // As the adapter (oauth/adapter.ts) writes them: a grant row has no grant reference of its own
      // (its payload has no grantId), its tokens do.
      const grant = async (id: string, clientId: string) => {
        await store.oidc.upsert('Grant', id, { jti: id, kind: 'Grant', accountId: userId, clientId }, now + HOUR, {});
        await store.oidc.upsert('AccessToken', `at-${id}`, { jti: `at-${id}`, kind: 'AccessToken', accountId: userId, clientId, grantId: id }, now + HOUR, {
          grantId: id,
        });
      };
      await grant('g-here', here);
      await grant('g-there', there);
      const session = (id: string, uid: string, clientId: string, grantId: string) =>
        store.oidc.upsert(
          'Session',
          id,
          { jti: id, uid, kind: 'Session', accountId: userId, authorizations: { [clientId]: { sid: `sid-${uid}`, grantId } } },
          now + HOUR,
          { uid },
        );
      await session('s-here', 'uid-here', here, 'g-here');
      await session('s-there', 'uid-there', there, 'g-there');

      const ended: Array<[string, string | undefined]> = [];
      const revoked = await revokeOtherAccess(
        store,
        userId,
        { bffSessionId: 'bff-here', grantId: 'g-here', providerSessionUid: 'uid-here' },
        async (u, except) => {
          ended.push([u, except]);
          return 1;
        },
      );
      assert.deepEqual(revoked, { bffSessions: 1, grants: 1, providerSessions: 1 });
      assert.deepEqual(ended, [[userId, 'bff-here']]);

      // Only the other session's partner is told (once, naming its session).
      const queued = await store.logoutOutbox.claim('revoke-test', Date.now(), 60_000, 10);
      assert.deepEqual(
        queued.map((l) => [l.clientId, l.sub, l.sid]),
        [[there, userId, 'sid-uid-there']],
      );
      // The other grant's row is gone with its tokens; the kept one and its session stay.
      assert.equal(await store.oidc.find('Grant', 'g-there'), null);
      assert.equal(await store.oidc.find('AccessToken', 'at-g-there'), null);
      assert.equal((await store.oidc.find('Grant', 'g-here'))?.payload.clientId, here);
      assert.equal((await store.oidc.find('AccessToken', 'at-g-here'))?.payload.grantId, 'g-here');
      assert.equal(await store.oidc.find('Session', 's-there'), null);
      assert.equal((await store.oidc.find('Session', 's-here'))?.payload.uid, 'uid-here');
    });
  });
}
