/**
 * The step-up before impersonating, answered with a passkey: the assertion
 * must verify its user (UV), its challenge is bound to this BFF session and
 * single use, and the audit of the impersonation names `passkey`. Real app,
 * provider and database; the authenticator is the software one the passkey
 * tests use. SQLite and PostgreSQL.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestApp, type TestApp } from '../testing/test-app.ts';
import { signedInAgent, type Agent } from '../testing/agent.ts';
import { SoftAuthenticator } from '../testing/soft-authenticator.ts';
import { createAccount } from '../accounts/accounts.ts';
import { registerWith } from './passkey-test-helpers.ts';

const PASSWORD = 'correct horse battery staple';
const REASON = 'Customer asked for help with billing';
let n = 0;
const email = (p: string) => `${p}-${++n}-${Date.now()}@example.com`;

type Options = Parameters<SoftAuthenticator['get']>[0];

async function stepUpOptions(agent: Agent): Promise<Options> {
  const res = await agent.api('POST', '/bff/mfa/step-up/passkey/options', {});
  assert.equal(res.status, 200, await res.clone().text());
  return ((await res.json()) as { options: Options }).options;
}

for (const db of ['sqlite', 'postgres'] as const) {
  describe(`step-up with a passkey (${db})`, () => {
    let app: TestApp;
    before(async () => {
      app = await startTestApp({ db });
    });
    after(() => app.close());

    it('a passkey that verifies its user steps up; the impersonation audit names it; its challenge is this session’s, once', async () => {
      const adminEmail = email('admin');
      const admin = await createAccount(app.store, { email: adminEmail, password: PASSWORD, role: 'admin' }, Date.now());
      const target = await createAccount(app.store, { email: email('target'), password: PASSWORD }, Date.now());
      const agent = await signedInAgent(app.url, adminEmail, PASSWORD);
      const other = await signedInAgent(app.url, adminEmail, PASSWORD);
      const auth = new SoftAuthenticator({ origin: app.url });
      assert.equal((await registerWith(agent, auth)).status, 201);

      app.clock.offset = 16 * 60_000;
      try {
        const body = { userId: target.id, reason: REASON };
        const stale = await agent.api('POST', '/bff/impersonation/start', body);
        assert.equal(stale.status, 403);
        assert.equal(((await stale.json()) as { error: string }).error, 'mfa_step_up_required');

        // Another session's challenge is no good here.
        const foreign = await agent.api('POST', '/bff/mfa/step-up/passkey', { response: auth.get(await stepUpOptions(other)) });
        assert.equal(foreign.status, 400);

        const options = await stepUpOptions(agent);
        assert.equal((options as { userVerification?: string }).userVerification, 'required');
        const response = auth.get(options);
        const ok = await agent.api('POST', '/bff/mfa/step-up/passkey', { response });
        assert.equal(ok.status, 200, await ok.clone().text());
        assert.equal((await agent.api('POST', '/bff/mfa/step-up/passkey', { response })).status, 400, 'the challenge is spent');

        assert.equal((await agent.api('POST', '/bff/impersonation/start', body)).status, 200);
        const [requested] = await app.store.audit.list({ kind: 'impersonation_requested', actorId: admin.id });
        assert.equal(requested!.data.secondFactor, 'passkey');
        const [verified] = await app.store.audit.list({ kind: 'mfa_verified', actorId: admin.id });
        assert.deepEqual([verified!.data.method, verified!.data.purpose], ['passkey', 'step_up']);
      } finally {
        app.clock.offset = 0;
      }
    });

    it('a passkey that did not verify its user is refused, and steps nothing up; no passkey, no options', async () => {
      const adminEmail = email('admin');
      const admin = await createAccount(app.store, { email: adminEmail, password: PASSWORD, role: 'admin' }, Date.now());
      const target = await createAccount(app.store, { email: email('target'), password: PASSWORD }, Date.now());
      const agent = await signedInAgent(app.url, adminEmail, PASSWORD);
      const noPasskey = await agent.api('POST', '/bff/mfa/step-up/passkey/options', {});
      assert.equal(noPasskey.status, 400);
      assert.equal(((await noPasskey.json()) as { error: string }).error, 'no_passkey');
      const presenceOnly = new SoftAuthenticator({ origin: app.url, userVerified: false });
      assert.equal((await registerWith(agent, presenceOnly)).status, 201);

      app.clock.offset = 16 * 60_000;
      try {
        const res = await agent.api('POST', '/bff/mfa/step-up/passkey', { response: presenceOnly.get(await stepUpOptions(agent)) });
        assert.equal(res.status, 400);
        assert.equal(((await res.json()) as { error: string }).error, 'passkey_user_not_verified');
        const start = await agent.api('POST', '/bff/impersonation/start', { userId: target.id, reason: REASON });
        assert.equal(((await start.json()) as { error: string }).error, 'mfa_step_up_required');
        const [failed] = await app.store.audit.list({ kind: 'mfa_failed', actorId: admin.id });
        assert.equal(failed!.data.reason, 'user_not_verified');
      } finally {
        app.clock.offset = 0;
      }
    });
  });
}
