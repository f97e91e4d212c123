/** Contract: the gateway's remote API routes. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConflictError, type ApiRoute } from '../store.ts';
import { rid, T0, type GetStore } from './util.ts';

export function apiRoutesContract(get: GetStore): void {
  describe('api routes', () => {
    it('creates once per path, lists by path with every field intact, and deletes once', async () => {
      const a: ApiRoute = {
        path: `/api/${rid('orders')}`,
        upstream: 'https://orders.internal/v1',
        resource: 'https://orders.example',
        scopes: ['orders:read', 'orders:write'],
        requireRole: 'admin',
        anonymous: false,
        allowRedirects: true,
        maxBodyBytes: 50 * 1024 * 1024 * 1024,
        timeoutMs: 30_000,
        createdAt: T0,
      };
      const b: ApiRoute = {
        ...a,
        path: `${a.path}-public`,
        resource: null,
        scopes: [],
        requireRole: null,
        anonymous: true,
        allowRedirects: false,
        maxBodyBytes: 1024,
        timeoutMs: 500,
        createdAt: T0 + 1,
      };
      await get().apiRoutes.create(b);
      await get().apiRoutes.create(a);
      await assert.rejects(get().apiRoutes.create({ ...a, upstream: 'https://other.internal' }), ConflictError);
      const listed = (await get().apiRoutes.list()).filter((r) => r.path === a.path || r.path === b.path);
      assert.deepEqual(listed, [a, b]);
      assert.equal(await get().apiRoutes.delete(a.path), true);
      assert.equal(await get().apiRoutes.delete(a.path), false);
      assert.deepEqual(
        (await get().apiRoutes.list()).filter((r) => r.path === a.path),
        [],
      );
      assert.equal(await get().apiRoutes.delete(b.path), true);
    });
  });
}
