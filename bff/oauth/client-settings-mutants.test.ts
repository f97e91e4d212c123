/**
 * Per-client settings (client-settings.ts), pinned where mutation testing
 * (docs/mutation.md) needs it: where an interaction is shown (the SPA's
 * screen, or straight to the named identity provider with the login hint);
 * the portal's own client metadata properties reaching oidc-provider's
 * Client (default scope, lifetime, first party, a machine client's resource
 * scopes), kept once per Client and frozen; the lifetime or the fallback; and
 * the default scope given to a GET authorization request that names none,
 * never to one that names a scope or for an unknown client.
 * Real app, real provider; SQLite and PostgreSQL. Which tokens end with the
 * browser session (`expiresWithSession`) is partner-signout.test.ts's.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestApp, type TestApp } from '../testing/test-app.ts';
import { Agent } from '../testing/agent.ts';
import { registerClient } from './clients.ts';
import { BFF_CLIENT_ID } from '../session/oidc-client.ts';
import { createResource, registerMachineClient } from './machine.ts';
import { accessTokenTtlFor, clientMetadataOf, interactionUrl } from './client-settings.ts';

const REDIRECT = 'https://partner.example/cb';
const CHALLENGE = 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM';

describe('interactionUrl', () => {
  const at = (name: string, params: Record<string, unknown>) => interactionUrl({ uid: 'u1', prompt: { name }, params });
  it('shows the SPA screen unless a sign-in names its identity provider', () => {
    assert.equal(at('login', {}), '/interaction/u1');
    assert.equal(at('login', { portal_connection: '' }), '/interaction/u1');
    assert.equal(at('login', { portal_connection: 7 }), '/interaction/u1');
    assert.equal(at('login', { connection: 'conn_1' }), '/interaction/u1');
    assert.equal(at('consent', { portal_connection: 'conn_1' }), '/interaction/u1');
  });
  it('sends a sign-in that names its identity provider straight there, with the login hint', () => {
    assert.equal(at('login', { portal_connection: 'conn_1' }), '/bff/federation/conn_1/start?uid=u1');
    assert.equal(
      at('login', { portal_connection: 'a/b c', login_hint: 'kim@example.com' }),
      '/bff/federation/a%2Fb%20c/start?uid=u1&login_hint=kim%40example.com',
    );
    assert.equal(at('login', { portal_connection: 'conn_1', login_hint: 5 }), '/bff/federation/conn_1/start?uid=u1');
  });
});

for (const db of ['sqlite', 'postgres'] as const) {
  describe(`per-client settings through the provider (${db})`, () => {
    let app: TestApp;
    let withDefault: string;
    let plain: string;
    let machine: string;
    before(async () => {
      app = await startTestApp({ db, env: { SIGNUP: 'open' } });
      const now = Date.now();
      withDefault = (
        await registerClient(
          app.store,
          {
            name: 'Parrot',
            redirectUris: [REDIRECT],
            isPublic: true,
            scopes: ['openid', 'email', 'profile'],
            defaultScope: 'openid email',
            accessTokenTtl: 600,
          },
          now,
        )
      ).client.clientId;
      plain = (await registerClient(app.store, { name: 'Plain', redirectUris: [REDIRECT], isPublic: true, scopes: ['openid', 'email'] }, now)).client.clientId;
      await createResource(app.store, { identifier: 'https://orders.example', scopes: ['orders:read', 'orders:write'] }, now);
      machine = (await registerMachineClient(app.store, { name: 'Robot', scopes: ['orders:read', 'orders:write'] }, now)).client.clientId;
    });
    after(() => app.close());

    it("gives oidc-provider's Client the portal's properties, kept once per Client and frozen", async () => {
      const c = (await app.provider.Client.find(withDefault))!;
      const m = clientMetadataOf(c);
      assert.equal(clientMetadataOf(c), m, 'built once');
      assert.ok(Object.isFrozen(m));
      assert.deepEqual(
        [m.portal_default_scope, m.portal_access_token_ttl, m.portal_first_party, m.portal_resource_scopes, m.client_id],
        ['openid email', 600, false, undefined, withDefault],
      );
      const p = clientMetadataOf((await app.provider.Client.find(plain))!);
      assert.notEqual(p, m);
      assert.deepEqual([p.portal_default_scope, p.portal_access_token_ttl, p.client_id], [undefined, undefined, plain]);
      const r = clientMetadataOf((await app.provider.Client.find(machine))!);
      assert.deepEqual([r.portal_resource_scopes, r.grant_types], ['orders:read orders:write', ['client_credentials']]);
      const own = clientMetadataOf((await app.provider.Client.find(BFF_CLIENT_ID))!);
      assert.equal(own.portal_first_party, true);
    });

    it("answers the client's own access-token lifetime, else the fallback", async () => {
      assert.equal(accessTokenTtlFor((await app.provider.Client.find(withDefault))!, 3600), 600);
      assert.equal(accessTokenTtlFor((await app.provider.Client.find(plain))!, 3600), 3600);
      assert.equal(accessTokenTtlFor(undefined, 1234), 1234);
      // A row no registration would write (a negative lifetime): the fallback, not the row's.
      const neg = (await app.store.clients.find(plain))!;
      await app.store.clients.upsert({ ...neg, clientId: 'app_negative_ttl', accessTokenTtl: -5 });
      const negative = (await app.provider.Client.find('app_negative_ttl'))!;
      assert.equal(clientMetadataOf(negative).portal_access_token_ttl, -5);
      assert.equal(accessTokenTtlFor(negative, 3600), 3600);
    });

    /** GET /oauth/authorize with these parameters: where it goes, and the scopes the interaction shows. */
    async function authorize(params: Record<string, string>) {
      const q = new URLSearchParams({
        redirect_uri: REDIRECT,
        response_type: 'code',
        code_challenge: CHALLENGE,
        code_challenge_method: 'S256',
        state: 's1',
        ...params,
      });
      const agent = new Agent(app.url);
      const res = await agent.get(`/oauth/authorize?${q}`);
      const location = res.headers.get('location');
      if (!location) return { status: res.status, location, scopes: null, body: await res.text() };
      await res.body?.cancel();
      const url = new URL(location, app.url);
      if (url.origin !== app.url) return { status: res.status, location, scopes: null };
      const { url: end } = await agent.follow(url.href, (u) => u.pathname.startsWith('/interaction/') || u.pathname.startsWith('/bff/federation/'));
      if (!end.pathname.startsWith('/interaction/')) return { status: res.status, location: end.pathname + end.search, scopes: null };
      const info = (await (await agent.api('GET', `/bff/interaction/${end.pathname.split('/')[2]}`)).json()) as {
        scopes: Array<{ name: string }>;
        screen: string;
      };
      return { status: res.status, location: '/interaction/', scopes: info.scopes.map((s) => s.name), screen: info.screen };
    }

    it('gives a GET authorization request without a scope the default scope, and leaves a named one alone', { timeout: 20000 }, async () => {
      assert.deepEqual(await authorize({ client_id: withDefault }), { status: 303, location: '/interaction/', scopes: ['openid', 'email'], screen: 'sign-in' });
      assert.deepEqual(await authorize({ client_id: withDefault, scope: 'openid profile' }), {
        status: 303,
        location: '/interaction/',
        scopes: ['openid', 'profile'],
        screen: 'sign-in',
      });
      assert.deepEqual(await authorize({ client_id: withDefault, portal_screen: 'sign-up' }), {
        status: 303,
        location: '/interaction/',
        scopes: ['openid', 'email'],
        screen: 'sign-up',
      });
    });

    it('no default scope for a client without one, or an unknown client', { timeout: 20000 }, async () => {
      // oidc-provider takes a request without a scope; the interaction then shows none.
      const none = { status: 303, location: '/interaction/', scopes: [], screen: 'sign-in' };
      assert.deepEqual(await authorize({ client_id: plain }), none);
      const unknown = await authorize({ client_id: 'app_unknown' });
      assert.equal(unknown.status, 400);
      assert.match(unknown.body!, /invalid_client/);
    });

    it('sends a sign-in that names its identity provider there, with the login hint', { timeout: 20000 }, async () => {
      const got = await authorize({ client_id: withDefault, portal_connection: 'conn_x', login_hint: 'kim@example.com' });
      assert.equal(got.status, 303);
      assert.match(got.location!, /^\/bff\/federation\/conn_x\/start\?uid=[\w-]+&login_hint=kim%40example\.com$/);
    });
  });
}
