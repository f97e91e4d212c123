/**
 * The first-run setup link (setup.ts) at its expiry, to the millisecond, which the app's
 * moving clock cannot pin (routes-mutants.test.ts covers the rest of the routes): the
 * routes on a bare Express app with a fixed clock, over a real store (a SQLite file and
 * a PostgreSQL schema) without an administrator, through real HTTP.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import express from 'express';
import type { Store } from '../store/store.ts';
import type { Deps } from '../deps.ts';
import { openTempStore as tempStore } from '../testing/temp-store.ts';
import { errorHandler } from '../http/error-handler.ts';
import { createLogger } from '../http/logger.ts';
import { createSetupLink, setupRoutes } from './setup.ts';

const NOW = 1_800_000_000_000;
const TTL_MS = 24 * 3600 * 1000;

for (const db of ['sqlite', 'postgres'] as const) {
  describe(`the setup link's expiry (${db})`, () => {
    let store: Store;
    let drop: () => Promise<void>;
    let server: ReturnType<ReturnType<typeof express>['listen']>;
    let url: string;
    before(async () => {
      ({ store, drop } = await tempStore(db));
      const app = express();
      // GET /setup reads only the store and the clock.
      app.use(setupRoutes({ store, now: () => NOW } as unknown as Deps));
      app.use(errorHandler(createLogger('silent')));
      await new Promise<void>((r) => (server = app.listen(0, '127.0.0.1', () => r())));
      url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    after(async () => {
      await new Promise((r) => server.close(r));
      await drop();
    });

    const check = async (issuedAt: number) => {
      const link = (await createSetupLink(store, 'https://portal.example.test', issuedAt))!;
      const token = /#token=([A-Za-z0-9_-]+)$/.exec(link)![1]!;
      return (await fetch(`${url}/setup?token=${token}`)).status;
    };

    it('works until its last millisecond, not at it', async () => {
      assert.equal(await check(NOW - TTL_MS + 1), 200, 'expires a millisecond from now');
      assert.equal(await check(NOW - TTL_MS), 410, 'expires now');
    });
  });
}
