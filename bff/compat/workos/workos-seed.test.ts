/**
 * Seed 003 (WorkOS authenticate) details, with the official SDK: the
 * `ipAddress` and `userAgent` a partner's server passes are the ones the audit
 * log records for the sign-in (the calling server's address is kept beside
 * them), and a form-encoded body works like the SDK's JSON.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestApp, type TestApp } from '../../testing/test-app.ts';
import { createAccount } from '../../accounts/accounts.ts';
import { partner, PASSWORD, sdk, signIn, USER_FIELDS, type Partner } from './test-helpers.ts';

const PERSON_IP = '198.51.100.7';
const PERSON_UA = 'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) Seed/003';

async function authentications(app: TestApp) {
  return (await app.store.audit.iterate(1, 10_000)).filter((e) => e.kind === 'workos_authenticated');
}

for (const db of ['sqlite', 'postgres'] as const) {
  describe(`WorkOS authenticate as documented (${db})`, () => {
    let app: TestApp;
    let conf: Partner;
    before(async () => {
      app = await startTestApp({ db });
      await createAccount(app.store, { email: 'ann@example.com', password: PASSWORD, name: 'Ann' }, Date.now());
      conf = await partner(app, false);
    });
    after(() => app.close());

    it('ipAddress and userAgent from the body are what the audit log records, for the code and the refresh', async () => {
      const { code } = await signIn(app, conf, 'ann@example.com');
      const um = sdk(app, conf).userManagement;
      const before = (await authentications(app)).length;
      const auth = await um.authenticateWithCode({ code, clientId: conf.clientId, ipAddress: PERSON_IP, userAgent: PERSON_UA });
      await um.authenticateWithRefreshToken({ refreshToken: auth.refreshToken, clientId: conf.clientId, ipAddress: '203.0.113.9', userAgent: 'Other/1.0' });
      const entries = (await authentications(app)).slice(before);
      assert.equal(entries.length, 2);
      assert.deepEqual(
        entries.map((e) => [e.ip, e.userAgent, e.data.grantType, e.subjectId]),
        [
          [PERSON_IP, PERSON_UA, 'authorization_code', auth.user.id],
          ['203.0.113.9', 'Other/1.0', 'refresh_token', auth.user.id],
        ],
      );
      assert.match(String(entries[0]!.data.requestIp), /127\.0\.0\.1/, 'the partner server that called is kept too');
      assert.equal(entries[0]!.data.clientId, conf.clientId);
    });

    it("without them, the caller's own address and agent are recorded", async () => {
      const { code } = await signIn(app, conf, 'ann@example.com');
      await sdk(app, conf).userManagement.authenticateWithCode({ code, clientId: conf.clientId });
      const last = (await authentications(app)).at(-1)!;
      assert.match(String(last.ip), /127\.0\.0\.1/);
      assert.equal(last.ip, last.data.requestIp);
    });

    it('a form-encoded body is accepted like JSON', async () => {
      const { code } = await signIn(app, conf, 'ann@example.com');
      const body = new URLSearchParams({
        grant_type: 'authorization_code',
        client_id: conf.clientId,
        client_secret: conf.secret!,
        code,
        ip_address: PERSON_IP,
        user_agent: PERSON_UA,
      });
      const res = await fetch(`${app.url}/user_management/authenticate`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body,
      });
      assert.equal(res.status, 200);
      const out = (await res.json()) as Record<string, Record<string, unknown>>;
      assert.deepEqual(Object.keys(out).sort(), ['access_token', 'authentication_method', 'refresh_token', 'user']);
      assert.deepEqual(Object.keys(out.user!).sort(), USER_FIELDS);
      assert.equal((await authentications(app)).at(-1)!.ip, PERSON_IP);
    });
  });
}
