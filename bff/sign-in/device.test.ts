/**
 * The device authorization grant (RFC 8628) end to end: openid-client's device
 * functions as the device, the BFF's /device API as the person's browser, the
 * real provider and store; on SQLite and PostgreSQL.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as oidc from 'openid-client';
import { startTestApp, type TestApp } from '../testing/test-app.ts';
import { signedInAgent, type Agent } from '../testing/agent.ts';
import { createAccount } from '../accounts/accounts.ts';
import { registerClient } from '../oauth/clients.ts';
import { DEVICE_CODE_FAILURES, deviceThrottleKeys } from './device-routes.ts';

const PASSWORD = 'correct horse battery staple';

/** One poll as the device makes it, read raw so every error code is seen as sent. */
async function poll(app: TestApp, clientId: string, deviceCode: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${app.config.issuer}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'urn:ietf:params:oauth:grant-type:device_code', device_code: deviceCode, client_id: clientId }),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

for (const db of ['sqlite', 'postgres'] as const) {
  describe(`device authorization grant (${db})`, () => {
    let app: TestApp;
    let tv: oidc.Configuration;
    let person: Agent;
    const start = () => oidc.initiateDeviceAuthorization(tv, { scope: 'openid email' });
    before(async () => {
      app = await startTestApp({ db });
      await createAccount(app.store, { email: 'viv@example.com', password: PASSWORD, name: 'Viv', emailVerified: true }, Date.now());
      const { client } = await registerClient(
        app.store,
        { name: 'Living Room TV', redirectUris: ['https://tv.example/cb'], isPublic: true, scopes: ['openid', 'email'], options: { device: true } },
        Date.now(),
      );
      tv = await oidc.discovery(new URL(app.config.issuer), client.clientId, {}, oidc.None(), { execute: [oidc.allowInsecureRequests] });
      person = await signedInAgent(app.url, 'viv@example.com', PASSWORD);
    });
    after(() => app.close());

    it('the device polls (pending, then slow_down when too fast), the person approves on /device, the device gets tokens', async () => {
      const da = await start();
      assert.match(da.user_code, /^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$/);
      assert.equal(da.verification_uri, `${app.config.issuer}/device`);
      const opened = await fetch(da.verification_uri_complete!, { redirect: 'manual' });
      assert.equal(opened.status, 303);
      assert.equal(opened.headers.get('location'), `${app.config.publicUrl}/device?user_code=${da.user_code}`);

      const clientId = tv.clientMetadata().client_id;
      assert.equal((await poll(app, clientId, da.device_code)).body.error, 'authorization_pending');
      const fast = await poll(app, clientId, da.device_code);
      assert.equal(fast.status, 400);
      assert.equal(fast.body.error, 'slow_down');

      // Typed as people type it: lower case, without the dash.
      const typed = da.user_code.replace('-', '').toLowerCase();
      const lookup = await person.api('POST', '/bff/device/lookup', { userCode: typed });
      assert.equal(lookup.status, 200);
      const shown = (await lookup.json()) as { app: { name: string }; scopes: Array<{ name: string }> };
      assert.equal(shown.app.name, 'Living Room TV');
      assert.deepEqual(
        shown.scopes.map((s) => s.name),
        ['openid', 'email'],
      );
      assert.equal((await person.api('POST', '/bff/device/approve', { userCode: typed })).status, 200);

      // A fresh poll window: openid-client polls at once (interval 0) and gets the tokens.
      const again = await start();
      assert.equal((await person.api('POST', '/bff/device/approve', { userCode: again.user_code })).status, 200);
      const tokens = await oidc.pollDeviceAuthorizationGrant(tv, { ...again, interval: 0 });
      assert.equal(tokens.claims()!.email, 'viv@example.com');
      const info = await oidc.fetchUserInfo(tv, tokens.access_token, tokens.claims()!.sub);
      assert.equal(info.email, 'viv@example.com');
      assert.equal((await person.api('POST', '/bff/device/approve', { userCode: again.user_code })).status, 409, 'a code is used once');
      const account = (await (await person.api('GET', '/bff/account')).json()) as { connectedApps: Array<{ name: string }> };
      assert.deepEqual(
        account.connectedApps.map((a) => a.name),
        ['Living Room TV'],
      );
    });

    it("a GET below /device is a clear JSON answer, never the provider's 500: 405 at the POST-only endpoint, 404 elsewhere", async () => {
      const auth = await fetch(`${app.config.issuer}/device/auth`);
      assert.equal(auth.status, 405);
      assert.equal(auth.headers.get('allow'), 'POST, OPTIONS');
      assert.equal(((await auth.json()) as { error: string }).error, 'invalid_request');
      const resume = await fetch(`${app.config.issuer}/device/some-uid`, { headers: { cookie: 'portal_op.sig=Fe26.2*1*a*b*c*d*e*f' } });
      assert.equal(resume.status, 404);
      assert.match(((await resume.json()) as { error_description: string }).error_description, /\/device\.?$/);
      const head = await fetch(`${app.config.issuer}/device/auth`, { method: 'HEAD' });
      assert.equal(head.status, 405, 'HEAD is a GET without the body, answered the same way');
      assert.equal((await fetch(`${app.config.issuer}/device/some-uid`, { method: 'HEAD' })).status, 404);
    });

    it('a denial reaches the device as access_denied', async () => {
      const da = await start();
      assert.equal((await person.api('POST', '/bff/device/deny', { userCode: da.user_code })).status, 200);
      assert.equal((await poll(app, tv.clientMetadata().client_id, da.device_code)).body.error, 'access_denied');
    });

    it('an expired code: expired_token for the device, a clear answer on /device', async () => {
      const da = await start();
      const row = (await app.store.oidc.find('DeviceCode', da.device_code))!;
      const past = Math.floor(Date.now() / 1000) - 1;
      await app.store.oidc.upsert('DeviceCode', da.device_code, { ...row.payload, exp: past }, Date.now() + 600_000, {
        userCode: String(row.payload.userCode),
      });
      assert.equal((await poll(app, tv.clientMetadata().client_id, da.device_code)).body.error, 'expired_token');
      const res = await person.api('POST', '/bff/device/lookup', { userCode: da.user_code });
      assert.equal(res.status, 410);
      assert.match(((await res.json()) as { message: string }).message, /expired/);
    });

    it('needs a signed-in person', async () => {
      const da = await start();
      const res = await fetch(`${app.url}/bff/device/lookup`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-portal-csrf': '1', origin: app.url, 'sec-fetch-site': 'same-origin' },
        body: JSON.stringify({ userCode: da.user_code }),
      });
      assert.equal(res.status, 401);
    });

    it(`wrong codes are throttled: ${DEVICE_CODE_FAILURES} are answered, then even the right one waits`, async () => {
      const guesser = await signedInAgent(app.url, 'viv@example.com', PASSWORD);
      const viv = (await app.store.users.findByEmail('viv@example.com'))!;
      // The earlier tests' wrong codes (expired, used) counted too: start from zero.
      for (const key of deviceThrottleKeys(viv.id, '127.0.0.1')) await app.store.throttle.reset(key);
      const da = await start();
      const statuses: number[] = [];
      for (let i = 0; i < DEVICE_CODE_FAILURES; i++) statuses.push((await guesser.api('POST', '/bff/device/lookup', { userCode: 'BBBB-BBBB' })).status);
      assert.deepEqual(statuses, Array(DEVICE_CODE_FAILURES).fill(404));
      const blocked = await guesser.api('POST', '/bff/device/lookup', { userCode: da.user_code });
      assert.equal(blocked.status, 429);
      assert.ok(Number(blocked.headers.get('retry-after')) > 0);
    });
  });
}
