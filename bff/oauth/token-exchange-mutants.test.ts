/**
 * The token exchange grant (oauth/token-exchange.ts) at the token endpoint,
 * where mutation testing (docs/mutation.md) asks for each refusal exactly
 * (error and description) and for the answer's shape: the BFF trades its
 * session's access token for one restricted to a registered API resource, with
 * the scopes asked for (all of the resource's by default) and nothing else.
 * Through the real app, provider and database, on SQLite and PostgreSQL.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { decodeJwt } from 'jose';
import { startTestApp, type TestApp } from '../testing/test-app.ts';
import { signedInAgent } from '../testing/agent.ts';
import { tokenEndpoint } from '../testing/partner.ts';
import { createAccount } from '../accounts/accounts.ts';
import { sessionRow } from '../impersonation/test-helpers.ts';
import { BFF_CLIENT_ID, bffClientSecret } from '../session/oidc-client.ts';
import { createResource } from './machine.ts';
import { registerClient } from './clients.ts';
import { ACCESS_TOKEN_TYPE, TOKEN_EXCHANGE_GRANT } from './token-exchange.ts';
import type { User } from '../store/store.ts';

const PASSWORD = 'correct horse battery staple';
const ORDERS = 'https://orders.example/api';

for (const db of ['sqlite', 'postgres'] as const) {
  describe(`token exchange (${db})`, () => {
    let app: TestApp;
    let user: User;
    let subject: string;
    before(async () => {
      app = await startTestApp({ db });
      user = await createAccount(app.store, { email: 'uma@example.com', password: PASSWORD }, Date.now());
      await createResource(app.store, { identifier: ORDERS, name: 'Orders', scopes: ['orders:read', 'orders:write'] }, Date.now());
      const agent = await signedInAgent(app.url, user.email, PASSWORD);
      subject = (await app.sessions.tokens(await sessionRow(app, agent))).access_token;
    });
    after(() => app.close());

    const exchange = async (params: Record<string, string | undefined>) => {
      const body = Object.fromEntries(
        Object.entries({ grant_type: TOKEN_EXCHANGE_GRANT, subject_token_type: ACCESS_TOKEN_TYPE, subject_token: subject, resource: ORDERS, ...params }).filter(
          (e): e is [string, string] => e[1] !== undefined,
        ),
      );
      const res = await tokenEndpoint(app, { clientId: BFF_CLIENT_ID, secret: bffClientSecret(app.config) }, body);
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    };

    it('answers with an access token for the resource, with all its scopes by default or those asked for', async () => {
      const all = await exchange({});
      assert.equal(all.status, 200, JSON.stringify(all.body));
      assert.deepEqual(Object.keys(all.body).sort(), ['access_token', 'expires_in', 'issued_token_type', 'scope', 'token_type']);
      assert.deepEqual(
        [all.body.issued_token_type, all.body.token_type, all.body.scope, typeof all.body.expires_in],
        [ACCESS_TOKEN_TYPE, 'Bearer', 'orders:read orders:write', 'number'],
      );
      const claims = decodeJwt(all.body.access_token as string);
      assert.deepEqual([claims.aud, claims.sub, claims.scope], [ORDERS, user.id, 'orders:read orders:write']);
      const some = await exchange({ scope: 'orders:read' });
      assert.deepEqual([some.status, some.body.scope, decodeJwt(some.body.access_token as string).scope], [200, 'orders:read', 'orders:read']);
    });

    it('refuses each bad request with its error and description', async () => {
      const cases: Array<[Record<string, string | undefined>, string, string]> = [
        [{ subject_token_type: 'urn:ietf:params:oauth:token-type:id_token' }, 'invalid_request', `subject_token_type must be ${ACCESS_TOKEN_TYPE}`],
        [{ subject_token: undefined }, 'invalid_request', 'subject_token is required'],
        [{ resource: undefined }, 'invalid_target', 'resource is required'],
        [{ subject_token: 'not-a-token' }, 'invalid_grant', 'grant request is invalid'],
        [{ resource: 'https://nothing.example/api' }, 'invalid_target', 'unknown resource'],
        [{ scope: 'orders:read orders:delete' }, 'invalid_scope', 'the resource has no such scope'],
      ];
      for (const [params, error, description] of cases) {
        const r = await exchange(params);
        assert.deepEqual([r.status, r.body.error, r.body.error_description], [400, error, description], JSON.stringify(params));
      }
    });

    /**
     * Rewrites a stored row (the subject token is stored under its jti, its grant under the grant id) as
     * the adapter would write it; returns how to put the original back.
     */
    const rewrite = async (model: string, id: string, change: Record<string, unknown> | null) => {
      const row = (await app.store.oidc.find(model, id))!;
      assert.ok(row, `${model} ${id} is stored`);
      const refs = (p: Record<string, unknown>) => ({
        grantId: p.grantId as string | undefined,
        userCode: p.userCode as string | undefined,
        uid: p.uid as string | undefined,
      });
      if (change) await app.store.oidc.upsert(model, id, { ...row.payload, ...change }, row.expiresAt, refs(row.payload));
      else await app.store.oidc.destroy(model, id);
      return () => app.store.oidc.upsert(model, id, row.payload, row.expiresAt, refs(row.payload));
    };

    it('refuses a subject token whose grant is gone, or whose token or grant names another client or account', async () => {
      const jti = decodeJwt(subject).jti!;
      const grantId = (await app.store.oidc.find('AccessToken', jti))!.payload.grantId as string;
      assert.equal(typeof grantId, 'string');
      const { client: partner } = await registerClient(
        app.store,
        { name: 'Other', redirectUris: ['https://other.example/cb'], isPublic: false, scopes: ['openid'] },
        Date.now(),
      );
      const other = await createAccount(app.store, { email: 'other@example.com', password: PASSWORD }, Date.now());
      const cases: Array<[string, string, string, Record<string, unknown> | null]> = [
        ['the grant deleted', 'Grant', grantId, null],
        ["the grant another client's", 'Grant', grantId, { clientId: partner.clientId }],
        ["the grant another account's", 'Grant', grantId, { accountId: other.id }],
        ["the token another client's (its grant still the BFF's)", 'AccessToken', jti, { clientId: partner.clientId }],
      ];
      for (const [what, model, id, change] of cases) {
        const restore = await rewrite(model, id, change);
        const r = await exchange({});
        assert.deepEqual([r.status, r.body.error, r.body.error_description], [400, 'invalid_grant', 'grant request is invalid'], what);
        await restore();
        assert.equal((await exchange({})).status, 200, `${what}: restored`);
      }
    });

    it('names every scope the resource does not have in the refusal, space-separated', async () => {
      const r = await exchange({ scope: 'orders:delete orders:read orders:admin' });
      assert.deepEqual(
        [r.status, r.body],
        [400, { error: 'invalid_scope', error_description: 'the resource has no such scope', scope: 'orders:delete orders:admin' }],
      );
    });

    it('refuses the token of a disabled account', async () => {
      const off = await createAccount(app.store, { email: 'off@example.com', password: PASSWORD }, Date.now());
      const agent = await signedInAgent(app.url, off.email, PASSWORD);
      const token = (await app.sessions.tokens(await sessionRow(app, agent))).access_token;
      await app.store.users.setDisabled(off.id, true, Date.now());
      const r = await exchange({ subject_token: token });
      assert.deepEqual([r.status, r.body.error, r.body.error_description], [400, 'invalid_grant', 'grant request is invalid']);
    });
  });
}
