/**
 * `/bff/session` tells the SPA who is signed in and, during an impersonation,
 * what the banner needs: exactly these keys, and no internal id (the admin's
 * own session id, the impersonation's BFF session id, its grant id, the
 * provider session id) nor any token anywhere in the JSON text.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestApp, type TestApp } from '../testing/test-app.ts';
import { signedInAgent } from '../testing/agent.ts';
import { createAccount } from '../accounts/accounts.ts';
import type { User } from '../store/store.ts';
import { impersonate, sessionRow } from '../impersonation/test-helpers.ts';

const PASSWORD = 'correct horse battery staple';
const REASON = 'Customer asked for help with billing settings';

/** Every key path of a JSON value (`a`, `a.b`, …), sorted: the exact shape, not just some keys. */
function keyPaths(value: unknown, prefix = ''): string[] {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return [];
  return Object.entries(value)
    .flatMap(([k, v]) => [prefix + k, ...keyPaths(v, `${prefix}${k}.`)])
    .sort();
}

for (const db of ['sqlite', 'postgres'] as const) {
  describe(`/bff/session body (${db})`, () => {
    let app: TestApp;
    let admin: User;
    let user: User;
    before(async () => {
      app = await startTestApp({ db });
      admin = await createAccount(app.store, { email: 'root@example.com', password: PASSWORD, name: 'Root', role: 'admin' }, Date.now());
      user = await createAccount(app.store, { email: 'uma@example.com', password: PASSWORD, name: 'Uma' }, Date.now());
    });
    after(() => app.close());

    it('during an impersonation: exactly the banner fields, and no internal id or token', async () => {
      const agent = await signedInAgent(app.url, admin.email, PASSWORD);
      const adminSessionId = (await sessionRow(app, agent)).id;
      assert.equal((await impersonate(agent, { userId: user.id, reason: REASON, durationMinutes: 30 })).status, 200);
      const row = await sessionRow(app, agent);
      const impId = (row.data.impersonation as { id: string }).id;
      const imp = (await app.store.impersonations.find(impId))!;
      const tokens = await app.sessions.tokens(row);

      const res = await agent.api('GET', '/bff/session');
      const text = await res.text();
      const body = JSON.parse(text);
      assert.deepEqual(keyPaths(body), [
        'authenticated',
        'expiresAt',
        'impersonation',
        'impersonation.expiresAt',
        'impersonation.id',
        'impersonation.impersonator',
        'impersonation.impersonator.email',
        'impersonation.impersonator.id',
        'impersonation.impersonator.name',
        'impersonation.reason',
        // A flag for the SPA (MFA_ADMINS/MFA_USERS), never an id or a secret.
        'secondFactorSetupRequired',
        'user',
        'user.email',
        'user.id',
        'user.name',
        'user.role',
      ]);
      assert.deepEqual(body.impersonation, {
        id: impId,
        impersonator: { id: admin.id, email: admin.email, name: 'Root' },
        reason: REASON,
        expiresAt: imp.expiresAt,
      });
      assert.deepEqual(body.user, { id: user.id, email: user.email, name: 'Uma', role: 'user' });

      const secrets: Record<string, string | null | undefined> = {
        'admin session id': adminSessionId,
        'impersonation session id': row.id,
        'grant id': imp.grantId,
        'provider session id': tokens.sid,
        'access token': tokens.access_token,
        'refresh token': tokens.refresh_token,
        'id token': tokens.id_token,
      };
      for (const [name, value] of Object.entries(secrets)) {
        assert.ok(value, `${name} is known to the test`);
        assert.ok(!text.includes(value), `${name} must not reach the browser`);
      }
    });

    it('signed in as oneself: the same shape with impersonation null', async () => {
      const agent = await signedInAgent(app.url, user.email, PASSWORD);
      const body = await (await agent.api('GET', '/bff/session')).json();
      assert.deepEqual(keyPaths(body), [
        'authenticated',
        'expiresAt',
        'impersonation',
        'secondFactorSetupRequired',
        'user',
        'user.email',
        'user.id',
        'user.name',
        'user.role',
      ]);
      assert.equal(body.impersonation, null);
    });
  });
}
