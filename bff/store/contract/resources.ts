/** Contract: API resources (RFC 8707) and the machine-client options of a client. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConflictError, type ClientRecord } from '../store.ts';
import { rid, T0, type GetStore } from './util.ts';

export function resourcesContract(get: GetStore): void {
  describe('api resources', () => {
    it('creates once per identifier, finds, lists in creation order and deletes', async () => {
      const a = { identifier: `https://${rid('orders')}.example`, name: 'Orders', scopes: ['orders:read', 'orders:write'], createdAt: T0 };
      const b = { identifier: `https://${rid('stock')}.example/api`, name: 'Stock', scopes: [], createdAt: T0 + 1 };
      await get().resources.create(a);
      await get().resources.create(b);
      await assert.rejects(get().resources.create({ ...a, name: 'Again' }), ConflictError);
      assert.deepEqual(await get().resources.find(a.identifier), a);
      assert.equal(await get().resources.find(`${a.identifier}/`), null);
      const listed = (await get().resources.list()).filter((r) => r.identifier === a.identifier || r.identifier === b.identifier);
      assert.deepEqual(listed, [a, b]);
      assert.equal(await get().resources.delete(a.identifier), true);
      assert.equal(await get().resources.delete(a.identifier), false);
      assert.equal(await get().resources.find(a.identifier), null);
    });
  });

  describe('client options', () => {
    it('round-trips machine, JWKS, DPoP and PAR options through create and upsert', async () => {
      const c: ClientRecord = {
        clientId: rid('m'),
        name: 'Robot',
        secret: null,
        redirectUris: [],
        postLogoutRedirectUris: [],
        scopes: ['orders:read'],
        logoUrl: null,
        firstParty: false,
        createdAt: T0,
        defaultScope: null,
        accessTokenTtl: null,
        legacyRefresh: false,
        machine: true,
        jwks: { keys: [{ kty: 'EC', crv: 'P-256', x: 'x', y: 'y' }] },
        jwksUri: null,
        requireDpop: true,
      };
      await get().clients.create(c);
      assert.deepEqual(await get().clients.find(c.clientId), c);
      const replaced = { ...c, jwks: null, jwksUri: 'https://robot.example/jwks', requireDpop: false, requirePar: true };
      await get().clients.upsert(replaced);
      assert.deepEqual(await get().clients.find(c.clientId), replaced);
    });
  });
}
