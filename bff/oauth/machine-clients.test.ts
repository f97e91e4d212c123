/**
 * Machine clients end to end (issue 15): openid-client's clientCredentialsGrant
 * against the real provider, with a client secret and with private_key_jwt,
 * for registered API resources (RFC 8707), on SQLite and PostgreSQL.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as oidc from 'openid-client';
import { createRemoteJWKSet, exportJWK, generateKeyPair, jwtVerify } from 'jose';
import { startTestApp, type TestApp } from '../testing/test-app.ts';
import { registerClient } from './clients.ts';
import { createResource, registerMachineClient } from './machine.ts';

const ORDERS = 'https://orders.example';
const STOCK = 'https://stock.example/api';
const insecure = { execute: [oidc.allowInsecureRequests] };

async function configFor(app: TestApp, clientId: string, auth: oidc.ClientAuth, metadata: Partial<oidc.ClientMetadata> = {}) {
  return oidc.discovery(new URL(app.config.issuer), clientId, metadata, auth, insecure);
}

/** The error code (and description) openid-client raised for a refused grant. */
async function refusal(p: Promise<unknown>): Promise<string> {
  const e = await p.then(
    () => null,
    (err: unknown) => err,
  );
  // A failed client authentication comes with a WWW-Authenticate challenge (RFC 6749 §5.2).
  if (e instanceof oidc.WWWAuthenticateChallengeError) return String(e.cause[0]?.parameters.error);
  assert.ok(e instanceof oidc.ResponseBodyError, `expected a refusal, got ${String(e)}`);
  return e.error === 'invalid_request' ? `${e.error}: ${e.error_description}` : e.error;
}

for (const db of ['sqlite', 'postgres'] as const) {
  describe(`machine clients (${db})`, () => {
    let app: TestApp;
    let robot: oidc.Configuration;
    before(async () => {
      app = await startTestApp({ db });
      await createResource(app.store, { identifier: ORDERS, name: 'Orders', scopes: ['orders:read', 'orders:write'] }, Date.now());
      await createResource(app.store, { identifier: STOCK, scopes: ['stock:read'] }, Date.now());
      const { client, secret } = await registerMachineClient(app.store, { name: 'Nightly export', scopes: ['orders:read'] }, Date.now());
      robot = await configFor(app, client.clientId, oidc.ClientSecretBasic(secret!));
    });
    after(() => app.close());

    it('gets a JWT access token for the resource it names: its audience, only the scopes it was registered for', async () => {
      const tokens = await oidc.clientCredentialsGrant(robot, { resource: ORDERS, scope: 'orders:read orders:write' });
      assert.equal(tokens.scope, 'orders:read');
      assert.equal(tokens.refresh_token, undefined);
      const jwks = createRemoteJWKSet(new URL(`${app.config.issuer}/jwks`));
      const { payload, protectedHeader } = await jwtVerify(tokens.access_token, jwks, { issuer: app.config.issuer, audience: ORDERS, typ: 'at+jwt' });
      assert.equal(protectedHeader.alg, 'ES256');
      assert.equal(payload.client_id, robot.clientMetadata().client_id);
      assert.equal(payload.scope, 'orders:read');
      assert.deepEqual(payload.aud, ORDERS);
    });

    it('refuses a resource that does not exist, one it has no scope of, and a request naming none', async () => {
      assert.equal(await refusal(oidc.clientCredentialsGrant(robot, { resource: 'https://unknown.example' })), 'invalid_target');
      assert.equal(await refusal(oidc.clientCredentialsGrant(robot, { resource: STOCK, scope: 'stock:read' })), 'invalid_target');
      assert.equal(await refusal(oidc.clientCredentialsGrant(robot, { scope: 'orders:read' })), 'invalid_target');
      assert.equal(await refusal(oidc.clientCredentialsGrant(robot, { resource: 'urn:portal:api', scope: 'openid' })), 'invalid_target');
    });

    it('its token does not open userinfo (it is for the API, and for nobody)', async () => {
      const tokens = await oidc.clientCredentialsGrant(robot, { resource: ORDERS, scope: 'orders:read' });
      const res = await fetch(`${app.config.issuer}/userinfo`, { headers: { authorization: `Bearer ${tokens.access_token}` } });
      assert.equal(res.status, 401);
    });

    it('a partner app registered for people (not as a machine client) is refused client_credentials', async () => {
      const { client, secret } = await registerClient(app.store, { name: 'Web app', redirectUris: ['https://web.example/cb'], isPublic: false }, Date.now());
      const web = await configFor(app, client.clientId, oidc.ClientSecretBasic(secret!));
      // oidc-provider's answer (RFC 6749 would say unauthorized_client).
      assert.equal(
        await refusal(oidc.clientCredentialsGrant(web, { resource: ORDERS, scope: 'orders:read' })),
        'invalid_request: requested grant type is not allowed for this client',
      );
    });

    it('a machine client with a registered JWKS authenticates with private_key_jwt; a wrong key or a secret is refused', async () => {
      const { privateKey, publicKey } = await generateKeyPair('ES256');
      const jwk = { ...(await exportJWK(publicKey)), kid: 'robot-1', alg: 'ES256', use: 'sig' };
      const { client, secret } = await registerMachineClient(
        app.store,
        { name: 'Keyed robot', scopes: ['orders:write', 'stock:read'], jwks: { keys: [jwk] } },
        Date.now(),
      );
      assert.equal(secret, null);
      const keyed = await configFor(app, client.clientId, oidc.PrivateKeyJwt({ key: privateKey, kid: 'robot-1' }));
      const tokens = await oidc.clientCredentialsGrant(keyed, { resource: STOCK, scope: 'stock:read orders:write' });
      assert.equal(tokens.scope, 'stock:read', 'scopes of another resource are not given');
      const stranger = await generateKeyPair('ES256');
      const forged = await configFor(app, client.clientId, oidc.PrivateKeyJwt({ key: stranger.privateKey, kid: 'robot-1' }));
      assert.equal(await refusal(oidc.clientCredentialsGrant(forged, { resource: STOCK })), 'invalid_client');
      const withSecret = await configFor(app, client.clientId, oidc.ClientSecretBasic('guess'));
      assert.equal(await refusal(oidc.clientCredentialsGrant(withSecret, { resource: STOCK })), 'invalid_client');
    });

    it('refuses bad resource and machine-client definitions with a clear message, storing nothing', async () => {
      const before = { clients: (await app.store.clients.list()).length, resources: (await app.store.resources.list()).length };
      const cases: Array<[() => Promise<unknown>, RegExp]> = [
        [() => createResource(app.store, { identifier: 'http://orders.example' }, 0), /must be an https URL/],
        [() => createResource(app.store, { identifier: 'https://x.example#f' }, 0), /must not contain a fragment/],
        [() => createResource(app.store, { identifier: 'urn:portal:api' }, 0), /must be an https URL/],
        [() => createResource(app.store, { identifier: 'https://x.example', scopes: ['openid'] }, 0), /Not usable as a resource scope: openid/],
        [() => createResource(app.store, { identifier: 'https://x.example', scopes: ['a b'] }, 0), /Not usable as a resource scope: a b/],
        [() => createResource(app.store, { identifier: ORDERS }, 0), /already exists/],
        [() => registerMachineClient(app.store, { name: 'R', scopes: [] }, 0), /needs at least one resource scope/],
        [() => registerMachineClient(app.store, { name: 'R', scopes: ['orders:delete'] }, 0), /No resource has the scope orders:delete/],
        [() => registerMachineClient(app.store, { name: '', scopes: ['orders:read'] }, 0), /A name of at most 100 characters/],
        [
          () => registerMachineClient(app.store, { name: 'R', scopes: ['orders:read'], jwks: { keys: [{ kty: 'oct', k: 'c2VjcmV0' }] } }, 0),
          /private or symmetric key/,
        ],
        [() => registerMachineClient(app.store, { name: 'R', scopes: ['orders:read'], jwks: { keys: [] } }, 0), /non-empty "keys"/],
        [
          () => registerMachineClient(app.store, { name: 'R', scopes: ['orders:read'], jwksUri: 'http://keys.example/jwks' }, 0),
          /The JWKS URI must be an https URL/,
        ],
      ];
      for (const [attempt, message] of cases)
        await assert.rejects(attempt(), (e: Error & { status?: number }) => e.status !== undefined && e.status < 500 && message.test(e.message));
      assert.deepEqual({ clients: (await app.store.clients.list()).length, resources: (await app.store.resources.list()).length }, before);
    });

    it('a machine client cannot start a sign-in (no authorization code flow)', async () => {
      const url = oidc.buildAuthorizationUrl(robot, { redirect_uri: 'https://web.example/cb', scope: 'openid' });
      const res = await fetch(url, { redirect: 'manual' });
      assert.equal(res.status, 400);
      assert.match(await res.text(), /redirect_uri/);
    });
  });
}
