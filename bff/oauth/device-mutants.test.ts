/**
 * The device authorization grant's own parts (device.ts), pinned where
 * mutation testing (docs/mutation.md) needs it: user codes normalized and
 * recognized exactly (eight of the twenty consonants), oidc-provider's
 * deviceFlow feature as configured, the verification URI's redirect to the
 * SPA and the 404/405 below /device (deviceEntry on a real Koa app, the
 * provider's framework), and `slow_down` for a second poll within the
 * interval, counted in the real store (SQLite and PostgreSQL).
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { createHash } from 'node:crypto';
import Koa from 'koa';
import { errors } from 'oidc-provider';
import type { Store } from '../store/store.ts';
import { openTempStore } from '../testing/temp-store.ts';
import { DEVICE_GRANT, POLL_INTERVAL_SECONDS, deviceEntry, deviceFlowFeature, looksLikeUserCode, normalizeUserCode, refuseFastPolling } from './device.ts';

describe('device: user codes', () => {
  it('the grant type and the default interval', () => {
    assert.equal(DEVICE_GRANT, 'urn:ietf:params:oauth:grant-type:device_code');
    assert.equal(POLL_INTERVAL_SECONDS, 5);
  });
  it('normalizes to upper case letters only (dashes, spaces, digits dropped)', () => {
    assert.equal(normalizeUserCode(' bcdf-ghjk '), 'BCDFGHJK');
    assert.equal(normalizeUserCode('b1c2-d3f4_g h\tj.k'), 'BCDFGHJK');
    assert.equal(normalizeUserCode('ÄBC'), 'BC');
  });
  it('recognizes exactly eight letters of the consonant charset', () => {
    assert.equal(looksLikeUserCode('BCDFGHJK'), true);
    assert.equal(looksLikeUserCode('LMNPQRST'), true);
    assert.equal(looksLikeUserCode('VWXZBCDF'), true);
    assert.equal(looksLikeUserCode('BCDFGHJ'), false);
    assert.equal(looksLikeUserCode('BCDFGHJKL'), false);
    assert.equal(looksLikeUserCode(''), false);
    for (const vowelOrY of 'AEIOUY') assert.equal(looksLikeUserCode(`BCDFGHJ${vowelOrY}`), false, vowelOrY);
    assert.equal(looksLikeUserCode('bcdfghjk'), false);
  });
  it("oidc-provider's feature: enabled, base-20 codes shown as XXXX-XXXX", () => {
    const f = deviceFlowFeature('https://p.example')!;
    assert.deepEqual(Object.keys(f).sort(), ['charset', 'enabled', 'mask', 'successSource', 'userCodeConfirmSource', 'userCodeInputSource']);
    assert.equal(f.enabled, true);
    assert.equal(f.charset, 'base-20');
    assert.equal(f.mask, '****-****');
  });
});

describe('device: the verification URI (deviceEntry)', () => {
  let server: Server;
  let url: string;
  before(async () => {
    const app = new Koa();
    app.use(deviceEntry('https://p.example') as unknown as Koa.Middleware);
    // oidc-provider's own device pages, as the feature configures them (a Koa context each).
    const f = deviceFlowFeature('https://p.example')!;
    const sources: Record<string, unknown> = { '/input': f.userCodeInputSource, '/confirm': f.userCodeConfirmSource, '/success': f.successSource };
    app.use(async (ctx, next) => {
      const source = sources[ctx.path] as ((ctx: Koa.Context) => Promise<void>) | undefined;
      if (source) return source(ctx);
      return next();
    });
    app.use((ctx) => {
      ctx.status = 200;
      ctx.body = `next ${ctx.method} ${ctx.path}`;
    });
    server = createServer(app.callback());
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  after(() => new Promise<void>((r) => server.close(() => r())));

  const req = (path: string, method = 'GET') => fetch(`${url}${path}`, { method, redirect: 'manual' });

  it('GET /device redirects (303) to the SPA, with a well-formed code as XXXX-XXXX', { timeout: 20000 }, async () => {
    const cases: Array<[string, string]> = [
      ['/device', 'https://p.example/device'],
      ['/device?user_code=bcdf-ghjk', 'https://p.example/device?user_code=BCDF-GHJK'],
      ['/device?user_code=BCDFGHJK', 'https://p.example/device?user_code=BCDF-GHJK'],
      ['/device?user_code=BCDF-GHJA', 'https://p.example/device'],
      ['/device?user_code=BCD', 'https://p.example/device'],
      ['/device?user_code=a&user_code=b', 'https://p.example/device'],
    ];
    for (const [path, location] of cases) {
      const res = await req(path);
      assert.equal(res.status, 303, path);
      assert.equal(res.headers.get('location'), location, path);
      await res.body?.cancel();
    }
    const head = await req('/device?user_code=BCDFGHJK', 'HEAD');
    assert.equal(head.status, 303);
    assert.equal(head.headers.get('location'), 'https://p.example/device?user_code=BCDF-GHJK');
  });
  it('GET below /device: 404 naming the SPA screen, no-store; /device/auth: 405 with Allow', { timeout: 20000 }, async () => {
    const missing = await req('/device/some-uid');
    assert.equal(missing.status, 404);
    assert.equal(missing.headers.get('cache-control'), 'no-store');
    assert.equal(missing.headers.get('allow'), null);
    assert.deepEqual(await missing.json(), {
      error: 'invalid_request',
      error_description: "Nothing here: people confirm a device's code at https://p.example/device.",
    });
    const auth = await req('/device/auth');
    assert.equal(auth.status, 405);
    assert.equal(auth.headers.get('allow'), 'POST, OPTIONS');
    assert.equal(auth.headers.get('cache-control'), 'no-store');
    assert.deepEqual(await auth.json(), { error: 'invalid_request', error_description: 'The device authorization endpoint takes POST.' });
    const head = await req('/device/auth', 'HEAD');
    assert.equal(head.status, 405);
  });
  it("oidc-provider's own device pages are never shown: each redirects to the SPA's /device", { timeout: 20000 }, async () => {
    for (const path of ['/input', '/confirm', '/success']) {
      const res = await req(path);
      assert.equal(res.status, 302, path);
      assert.equal(res.headers.get('location'), 'https://p.example/device', path);
      await res.body?.cancel();
    }
  });
  it('everything else goes on to the provider', { timeout: 20000 }, async () => {
    for (const [path, method] of [
      ['/device', 'POST'],
      ['/device/auth', 'POST'],
      ['/device/x', 'POST'],
      ['/devices', 'GET'],
      ['/token', 'GET'],
      ['/other/device/x', 'GET'],
    ] as const) {
      const res = await req(path, method);
      assert.equal(res.status, 200, `${method} ${path}`);
      assert.equal(await res.text(), `next ${method} ${path}`);
    }
  });
});

for (const db of ['sqlite', 'postgres'] as const) {
  describe(`device: polling too fast (${db})`, () => {
    let store: Store;
    const cleanups: Array<() => unknown> = [];
    before(async () => {
      const temp = await openTempStore(db);
      cleanups.push(() => temp.drop());
      store = temp.store;
    });
    after(async () => {
      for (const c of cleanups) await c();
    });

    it('a second poll within five seconds is slow_down; the count is kept under the hashed code', async () => {
      const t = 1_800_000_000_000;
      await refuseFastPolling(store, 'device-code-1', t);
      const key = `device-poll:${createHash('sha256').update('device-code-1').digest('base64url')}`;
      assert.deepEqual(await store.throttle.peek(key, t), { count: 1, resetAt: t + 5000 });
      await assert.rejects(refuseFastPolling(store, 'device-code-1', t + 4999), (e: unknown) => {
        assert.ok(e instanceof errors.SlowDown);
        return true;
      });
      // Another device's code is counted apart.
      await refuseFastPolling(store, 'device-code-2', t + 1000);
      // After the interval the device may poll again.
      await refuseFastPolling(store, 'device-code-1', t + 5000);
      await assert.rejects(refuseFastPolling(store, 'device-code-1', t + 5001), errors.SlowDown);
    });
  });
}
