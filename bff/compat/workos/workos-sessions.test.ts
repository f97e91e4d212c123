/**
 * WorkOS sessions through the official SDK: `listSessions` shows what the
 * partner's server reported of the person (`ipAddress`, `userAgent` given to
 * authenticate) — not the partner server's own address — with the way they
 * signed in; `revokeSession` ends one so its refresh token dies, and a client
 * never sees or ends another client's sessions. SQLite and PostgreSQL.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { decodeJwt } from 'jose';
import { startTestApp, type TestApp } from '../../testing/test-app.ts';
import { createAccount } from '../../accounts/accounts.ts';
import { partner, PASSWORD, sdk, signIn, type Partner } from './test-helpers.ts';

interface Refusal {
  status: number;
}

for (const db of ['sqlite', 'postgres'] as const) {
  describe(`WorkOS listSessions and revokeSession (${db})`, () => {
    let app: TestApp;
    let mine: Partner;
    let other: Partner;
    let userId: string;
    const email = `sam-${db}@example.com`;
    before(async () => {
      app = await startTestApp({ db });
      mine = await partner(app, false);
      other = await partner(app, false);
      userId = (await createAccount(app.store, { email, password: PASSWORD, name: 'Sam' }, Date.now())).id;
    });
    after(() => app.close());

    it('records the reported address and browser on the session, and revokes it', async () => {
      const um = sdk(app, mine).userManagement;
      const pwd = await um.authenticateWithPassword({
        clientId: mine.clientId,
        email,
        password: PASSWORD,
        ipAddress: '203.0.113.7',
        userAgent: 'Firefox on a phone',
      });
      const { code } = await signIn(app, mine, email);
      const viaCode = await um.authenticateWithCode({ clientId: mine.clientId, code, ipAddress: '198.51.100.9', userAgent: 'Safari on a Mac' });
      // Another client's session of the same person stays out of this client's list.
      await sdk(app, other).userManagement.authenticateWithPassword({ clientId: other.clientId, email, password: PASSWORD, ipAddress: '192.0.2.1' });

      const list = await um.listSessions(userId);
      const sessions = list.data;
      assert.equal(sessions.length, 2);
      const byId = new Map(sessions.map((s) => [s.id, s]));
      const first = byId.get(String(decodeJwt(pwd.accessToken).sid));
      const second = byId.get(String(decodeJwt(viaCode.accessToken).sid));
      assert.ok(first && second, 'each session id is the access token sid');
      assert.deepEqual(
        [first.ipAddress, first.userAgent, first.authMethod, first.status, first.userId],
        ['203.0.113.7', 'Firefox on a phone', 'password', 'active', userId],
      );
      assert.deepEqual([second.ipAddress, second.userAgent, second.authMethod], ['198.51.100.9', 'Safari on a Mac', 'password']);
      assert.equal(first.endedAt, null);
      assert.ok(Date.parse(first.expiresAt) > Date.parse(first.createdAt));

      // Paging: one at a time, newest first, following list_metadata.after.
      const page1 = await fetch(`${app.url}/user_management/users/${userId}/sessions?limit=1`, { headers: { authorization: `Bearer ${mine.secret}` } });
      const body1 = (await page1.json()) as { data: { id: string }[]; list_metadata: { after: string | null } };
      assert.equal(body1.data.length, 1);
      assert.equal(body1.data[0]!.id, second.id, 'newest first');
      const page2 = await fetch(`${app.url}/user_management/users/${userId}/sessions?limit=1&after=${body1.list_metadata.after}`, {
        headers: { authorization: `Bearer ${mine.secret}` },
      });
      const body2 = (await page2.json()) as { data: { id: string }[]; list_metadata: { after: string | null } };
      assert.deepEqual(
        body2.data.map((s) => s.id),
        [first.id],
      );
      assert.equal(body2.list_metadata.after, null);

      // The other client can neither end this client's session nor see it.
      await assert.rejects(sdk(app, other).userManagement.revokeSession({ sessionId: first.id }), (e: Refusal) => e.status === 404);
      await um.revokeSession({ sessionId: first.id });
      await assert.rejects(um.authenticateWithRefreshToken({ clientId: mine.clientId, refreshToken: pwd.refreshToken }), (e: Refusal) => e.status === 400);
      const after = await um.listSessions(userId);
      assert.deepEqual(
        after.data.map((s) => s.id),
        [second.id],
      );
      // The untouched session still refreshes.
      const refreshed = await um.authenticateWithRefreshToken({ clientId: mine.clientId, refreshToken: viaCode.refreshToken });
      assert.equal(typeof refreshed.accessToken, 'string');
      await assert.rejects(um.revokeSession({ sessionId: first.id }), (e: Refusal) => e.status === 404, 'ending it twice: unknown');
    });

    it('needs the API key, names an existing user, and refuses a bad limit in WorkOS form', async () => {
      const anonymous = await fetch(`${app.url}/user_management/users/${userId}/sessions`);
      assert.equal(anonymous.status, 401);
      await assert.rejects(sdk(app, mine).userManagement.listSessions('user_nobody'), (e: Refusal) => e.status === 404);
      const bad = await fetch(`${app.url}/user_management/users/${userId}/sessions?limit=0`, { headers: { authorization: `Bearer ${mine.secret}` } });
      assert.equal(bad.status, 422);
      assert.equal(((await bad.json()) as { code: string }).code, 'invalid_request_parameters');
      const noBody = await fetch(`${app.url}/user_management/sessions/revoke`, {
        method: 'POST',
        headers: { authorization: `Bearer ${mine.secret}`, 'content-type': 'application/json' },
        body: '{}',
      });
      assert.equal(noBody.status, 422);
    });
  });
}
