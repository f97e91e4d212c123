/**
 * WorkOS's authenticate grants (exchange.ts) at two edges mutation testing
 * (docs/mutation.md) found unchecked:
 * - a sign-in through a social connection at a provider WorkOS has a name for
 *   (Google): the session record keeps `oauth` as its method, which needs the
 *   connection's issuer handed to it;
 * - the portal's own token endpoint out of reach (the loopback request fails:
 *   the instance's address refuses connections): the fetch error goes out
 *   unchanged, an invitation accepted for the redemption is put back, and a
 *   refresh that switched organizations puts the previous one back.
 * Codes are minted by the real provider (`issueCode`, as the password grant
 * does) and redeemed through the real token endpoint, or through an address
 * nothing listens on;
 * - a machine client (client_credentials only) signs nobody in: its API key is
 *   refused by every authenticate grant before any password is checked, so it
 *   is no password oracle and leaves no `sign_in` entry (a defect fixed here).
 * SQLite and PostgreSQL.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { randomUUID } from 'node:crypto';
import { startTestApp, type TestApp } from '../../testing/test-app.ts';
import { createAccount } from '../../accounts/accounts.ts';
import { createInvitation, createOrganization } from '../../orgs/orgs.ts';
import { issueCode } from '../../oauth/core.ts';
import { createResource, registerMachineClient } from '../../oauth/machine.ts';
import type { Deps } from '../../deps.ts';
import type { User } from '../../store/store.ts';
import { authenticateWithCode, authenticateWithRefreshToken, type RequestInfo } from './exchange.ts';
import { authorizationCodeGrant, refreshTokenGrant } from './schema.ts';
import { MODEL } from './session-meta.ts';
import { partner, PASSWORD, rawAuthenticate, REDIRECT, type Partner } from './test-helpers.ts';

const INFO: RequestInfo = { ip: '10.9.8.7', userAgent: 'Partner-Server/2.0', bearer: null };

/** A loopback address that refuses connections: a port taken and given back. */
async function closedOrigin(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}

/** fetch's own refusal, unchanged by the exchange. */
const fetchFailed = (e: unknown) => {
  assert.ok(e instanceof TypeError, String(e));
  assert.equal(e.message, 'fetch failed');
  return true;
};

for (const db of ['sqlite', 'postgres'] as const) {
  describe(`WorkOS authenticate, its edges (${db})`, { timeout: 120000 }, () => {
    let app: TestApp;
    let deps: Deps;
    /** The same deps, but the token endpoint is reached at an address nothing listens on. */
    let unreachable: Deps;
    let conf: Partner;
    let n = 0;
    const account = async (): Promise<User> => createAccount(app.store, { email: `edge${++n}-${db}@example.com`, password: PASSWORD }, Date.now());
    const mint = (user: User, amr: string[], acr?: string) =>
      issueCode(deps, { clientId: conf.clientId, accountId: user.id, scopes: ['openid', 'email', 'offline_access'], redirectUri: REDIRECT, amr, acr });
    const codeGrant = (code: string, extra: Record<string, string> = {}) =>
      authorizationCodeGrant.parse({ grant_type: 'authorization_code', client_id: conf.clientId, client_secret: conf.secret, code, ...extra });
    const refreshGrant = (refresh_token: string, extra: Record<string, string> = {}) =>
      refreshTokenGrant.parse({ grant_type: 'refresh_token', client_id: conf.clientId, client_secret: conf.secret, refresh_token, ...extra });

    before(async () => {
      app = await startTestApp({ db });
      deps = app.deps;
      const origin = await closedOrigin();
      unreachable = { ...app.deps, selfOrigin: () => origin };
      conf = await partner(app, false);
    });
    after(() => app.close());

    it("a social sign-in at Google: the session record's method is oauth, from the connection's issuer", { timeout: 30000 }, async () => {
      const now = Date.now();
      const name = `Google-${db}`;
      await app.store.federation.createConnection({
        id: `conn_${randomUUID()}`,
        name,
        issuer: 'https://accounts.google.com',
        clientId: 'google-client',
        clientSecret: 'never-used',
        scopes: ['openid', 'email'],
        orgId: null,
        domains: [],
        createdAt: now,
        updatedAt: now,
      });
      const user = await account();
      const { code, grantId } = await mint(user, ['fed'], `social:${name}`);
      const body = await authenticateWithCode(deps, {}, codeGrant(code), INFO);
      assert.equal((body.user as { id: string }).id, user.id);
      const row = (await app.store.oidc.find(MODEL, grantId))!;
      assert.deepEqual([row.payload.userId, row.payload.authMethod], [user.id, 'oauth']);
      // An issuer WorkOS has no name for is SSO.
      const other = `Other-${db}`;
      await app.store.federation.createConnection({
        id: `conn_${randomUUID()}`,
        name: other,
        issuer: 'https://id.other.example',
        clientId: 'other-client',
        clientSecret: 'never-used',
        scopes: ['openid'],
        orgId: null,
        domains: [],
        createdAt: now,
        updatedAt: now,
      });
      const second = await mint(user, ['fed'], `social:${other}`);
      await authenticateWithCode(deps, {}, codeGrant(second.code), INFO);
      assert.equal((await app.store.oidc.find(MODEL, second.grantId))!.payload.authMethod, 'sso');
    });

    it('the token endpoint out of reach: the fetch error, and an accepted invitation put back', { timeout: 30000 }, async () => {
      const now = Date.now();
      const user = await account();
      const org = await createOrganization(app.store, `Unreached Org ${db}`, now);
      const { invitation, token } = await createInvitation(app.store, { organizationId: org.id, email: user.email, role: 'admin' }, now);
      const { code, grantId } = await mint(user, ['pwd']);
      await assert.rejects(authenticateWithCode(unreachable, {}, codeGrant(code, { invitation_token: token }), INFO), fetchFailed);
      assert.equal((await app.store.orgs.findInvitation(invitation.id))!.acceptedAt, null, 'the invitation is open again');
      assert.equal(await app.store.orgs.findMembership(user.id, org.id), null, 'no membership left behind');
      assert.equal(await app.store.orgs.findGrantOrganization(grantId), null, 'the grant acts for no organization');
      // Without an invitation there is nothing to put back: the same error.
      const plain = await mint(user, ['pwd']);
      await assert.rejects(authenticateWithCode(unreachable, {}, codeGrant(plain.code), INFO), fetchFailed);
      // Both codes were never redeemed, and the invitation can still be accepted.
      const body = await authenticateWithCode(deps, {}, codeGrant(code, { invitation_token: token }), INFO);
      assert.equal(body.organization_id, org.id);
      assert.equal((await authenticateWithCode(deps, {}, codeGrant(plain.code), INFO)).organization_id, org.id);
    });

    it(
      'a refresh switching organizations with the token endpoint out of reach: the fetch error, the previous organization put back',
      { timeout: 30000 },
      async () => {
        const now = Date.now();
        const user = await account();
        const a = await createOrganization(app.store, `Unreached A ${db}`, now);
        const b = await createOrganization(app.store, `Unreached B ${db}`, now);
        const { code, grantId } = await mint(user, ['pwd']);
        const start = await authenticateWithCode(deps, {}, codeGrant(code), INFO);
        const rt = String(start.refresh_token);
        await app.store.orgs.addMembership({ userId: user.id, organizationId: a.id, role: 'member' }, now);
        await app.store.orgs.addMembership({ userId: user.id, organizationId: b.id, role: 'owner' }, now);
        // No organization before: none after.
        await assert.rejects(authenticateWithRefreshToken(unreachable, {}, refreshGrant(rt, { organization_id: a.id }), INFO), fetchFailed);
        assert.equal(await app.store.orgs.findGrantOrganization(grantId), null);
        // One before: that one after.
        await app.store.orgs.setGrantOrganization(grantId, user.id, a.id, now);
        await assert.rejects(authenticateWithRefreshToken(unreachable, {}, refreshGrant(rt, { organization_id: b.id }), INFO), fetchFailed);
        assert.equal((await app.store.orgs.findGrantOrganization(grantId))!.organizationId, a.id);
        // The refresh token was never spent.
        const toB = await authenticateWithRefreshToken(deps, {}, refreshGrant(rt, { organization_id: b.id }), INFO);
        assert.equal(toB.organization_id, b.id);
      },
    );

    it(
      'a machine client signs nobody in: refused before the password is checked, the same answer for a right and a wrong one',
      { timeout: 30000 },
      async () => {
        const identifier = `https://stock-${db}.example`;
        await createResource(app.store, { identifier, scopes: ['stock:read'] }, Date.now());
        const { client, secret } = await registerMachineClient(app.store, { name: 'Stock sync', scopes: ['stock:read'] }, Date.now());
        const user = await account();
        const sentence = 'A machine client signs nobody in: it gets its tokens with client_credentials at /oauth/token.';
        const signIns = async () => (await app.store.audit.list({ kind: 'sign_in', limit: 1000 })).filter((e) => e.subjectId === user.id).length;
        const failures = async () => (await app.store.audit.list({ kind: 'sign_in_failed', limit: 1000 })).length;
        const failedBefore = await failures();
        for (const password of [PASSWORD, 'not the password']) {
          const res = await rawAuthenticate(app, { grant_type: 'password', client_id: client.clientId, client_secret: secret, email: user.email, password });
          assert.equal(res.status, 401, password);
          assert.deepEqual(await res.json(), { error: 'invalid_client', error_description: sentence, code: 'invalid_client', message: sentence });
        }
        assert.equal(await signIns(), 0, 'no sign_in entry');
        assert.equal(await failures(), failedBefore, 'no password was checked');
        // Its key alone (the SDK's Authorization header) is refused the same way.
        const bearer = await rawAuthenticate(
          app,
          { grant_type: 'password', client_id: client.clientId, email: user.email, password: PASSWORD },
          { authorization: `Bearer ${secret}` },
        );
        assert.equal(bearer.status, 401);
        // A wrong key is still told apart from nothing: the usual sentence.
        const wrong = await rawAuthenticate(app, {
          grant_type: 'password',
          client_id: client.clientId,
          client_secret: 'wrong',
          email: user.email,
          password: PASSWORD,
        });
        assert.equal(((await wrong.json()) as { message: string }).message, 'Client authentication failed.');
      },
    );
  });
}
