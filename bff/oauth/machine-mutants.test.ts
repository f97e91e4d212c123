/**
 * Machine clients and API resources (machine.ts), where mutation testing
 * (docs/mutation.md) found rules no test pinned: each resource and
 * machine-client refusal with its exact sentence and field, the scope-token
 * characters at their edges, names and lifetimes at their bounds, what is
 * stored, and what oidc-provider is told for each client and resource
 * (the portal's own resource for people's clients, a registered one narrowed
 * to the client's scopes for machine clients, invalid_target otherwise).
 * Against the real store and the real provider's clients, on SQLite and
 * PostgreSQL.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { errors } from 'oidc-provider';
import { startTestApp, type TestApp } from '../testing/test-app.ts';
import { SCOPE_NAMES } from './scopes.ts';
import { PORTAL_RESOURCE } from './resource.ts';
import { registerClient } from './clients.ts';
import { createResource, defaultResourceFor, deleteResource, registerMachineClient, resourceServerInfo } from './machine.ts';
import { refusal } from '../testing/app-error.ts';

const NOW = 1_790_000_000_000;
const ORDERS = 'https://orders.example';
const HINT = '(an absolute https URI, like https://orders.example)';
const JWT = { sign: { alg: 'ES256' } };

/** The description of the InvalidTarget oidc-provider is handed. */
async function invalidTarget(run: () => unknown): Promise<string> {
  try {
    await run();
  } catch (err) {
    assert.ok(err instanceof errors.InvalidTarget, String(err));
    return err.error_description!;
  }
  assert.fail('expected invalid_target');
}

for (const db of ['sqlite', 'postgres'] as const) {
  describe(`machine clients and resources, exactly (${db})`, () => {
    let app: TestApp;
    before(async () => {
      app = await startTestApp({ db });
    });
    after(() => app.close());

    it('with no resource defined, a machine client is told none is known', async () => {
      const r = await refusal(registerMachineClient(app.store, { name: 'R', scopes: ['orders:read'] }, NOW));
      assert.deepEqual([r.code, r.status, r.message], ['invalid_client_metadata', 400, 'No resource has the scope orders:read. Known: none.']);
    });

    it('a resource: identifier trimmed, name trimmed or the identifier, scopes without duplicates; stored as given', async () => {
      const r = await createResource(
        app.store,
        { identifier: `  ${ORDERS}  `, name: '  Orders  ', scopes: ['orders:read', 'orders:write', 'orders:read'] },
        NOW,
      );
      assert.deepEqual(r, { identifier: ORDERS, name: 'Orders', scopes: ['orders:read', 'orders:write'], createdAt: NOW });
      assert.deepEqual(await app.store.resources.find(ORDERS), r);
      const plain = await createResource(app.store, { identifier: 'https://stock.example/api', name: '   ' }, NOW);
      assert.deepEqual(plain, { identifier: 'https://stock.example/api', name: 'https://stock.example/api', scopes: [], createdAt: NOW });
      const local = await createResource(
        app.store,
        { identifier: 'http://localhost:4000/api', name: 'n'.repeat(100), scopes: ['!', '~', '#[]', 'x'.repeat(100)] },
        NOW,
      );
      assert.deepEqual(local.scopes, ['!', '~', '#[]', 'x'.repeat(100)]);
      assert.equal(local.name, 'n'.repeat(100));
    });

    it('refuses each bad resource with its sentence, and stores nothing', async () => {
      const before = (await app.store.resources.list()).length;
      const id = (problem: string) => `The resource identifier ${problem} ${HINT}.`;
      for (const [identifier, sentence] of [
        ['', id('is required')],
        ['   ', id('is required')],
        [undefined, id('is required')],
        ['https://x.example/#f', id('must not contain a fragment (#)')],
        ['https://x.example/#', id('must not contain a fragment (#)')],
        ['http://x.example', id('must be an https URL')],
        [PORTAL_RESOURCE, id('must be an https URL')],
        ['x.example', id('is not a valid absolute URL')],
      ] as Array<[string | undefined, string]>) {
        const r = await refusal(createResource(app.store, { identifier: identifier as string }, NOW));
        assert.deepEqual([r.code, r.status, r.message, r.fields], ['invalid_resource', 400, sentence, { identifier: sentence }], String(identifier));
      }
      const scopes = ['ok', 'a b', 'a"b', 'a\\b', '', 'x'.repeat(101), 'openid', 'profile', 'é'];
      const bad = await refusal(createResource(app.store, { identifier: 'https://y.example', scopes }, NOW));
      const sentence = `Not usable as a resource scope: ${scopes.slice(1).join(', ')} (no spaces or quotes, and not one of ${SCOPE_NAMES.join(', ')}).`;
      assert.deepEqual([bad.code, bad.message, bad.fields], ['invalid_resource', sentence, { scopes: sentence }]);
      const long = await refusal(createResource(app.store, { identifier: 'https://y.example', name: ` ${'n'.repeat(101)} ` }, NOW));
      assert.deepEqual([long.message, long.fields], ['The name must be at most 100 characters.', { name: 'The name must be at most 100 characters.' }]);
      const longId = await refusal(createResource(app.store, { identifier: `https://y.example/${'p'.repeat(90)}` }, NOW));
      assert.equal(longId.message, 'The name must be at most 100 characters.', 'the identifier standing in for the name counts too');
      const all = await refusal(createResource(app.store, { identifier: 'http://z.example', scopes: ['openid'], name: 'n'.repeat(101) }, NOW));
      assert.deepEqual(Object.keys(all.fields!), ['identifier', 'scopes', 'name']);
      assert.equal(all.message, id('must be an https URL'));
      assert.equal((await app.store.resources.list()).length, before);

      const dup = await refusal(createResource(app.store, { identifier: ORDERS, scopes: ['other'] }, NOW));
      assert.deepEqual([dup.code, dup.status, dup.message], ['resource_exists', 409, `A resource ${ORDERS} already exists.`]);
    });

    it('a store failure while creating a resource stays that failure, not a 409', async () => {
      const resources = app.store.resources;
      const create = resources.create.bind(resources);
      const failure = new Error('the disk is full');
      resources.create = async () => {
        throw failure;
      };
      try {
        await assert.rejects(createResource(app.store, { identifier: 'https://full.example' }, NOW), (e) => e === failure);
      } finally {
        resources.create = create;
      }
    });

    it('deletes a resource, and answers an unknown one with 404', async () => {
      await createResource(app.store, { identifier: 'https://gone.example' }, NOW);
      await deleteResource(app.store, 'https://gone.example');
      assert.equal(await app.store.resources.find('https://gone.example'), null);
      const r = await refusal(deleteResource(app.store, 'https://gone.example'));
      assert.deepEqual([r.code, r.status, r.message], ['resource_not_found', 404, 'No resource https://gone.example.']);
    });

    it('a machine client: name, scopes and lifetime refused with their sentences', async () => {
      const before = (await app.store.clients.list()).length;
      const nameSentence = 'A name of at most 100 characters is required.';
      for (const name of ['', '   ', undefined, 'n'.repeat(101)]) {
        const r = await refusal(registerMachineClient(app.store, { name: name as string, scopes: ['orders:read'] }, NOW));
        assert.deepEqual([r.code, r.status, r.message, r.fields], ['invalid_client_metadata', 400, nameSentence, { name: nameSentence }], String(name));
      }
      const none = 'A machine client needs at least one resource scope (define them with `portal resource create`).';
      for (const scopes of [[], undefined]) {
        const r = await refusal(registerMachineClient(app.store, { name: 'R', scopes: scopes as unknown as string[] }, NOW));
        assert.deepEqual([r.message, r.fields], [none, { scopes: none }]);
      }
      const known = (await app.store.resources.list()).flatMap((x) => x.scopes);
      const one = await refusal(registerMachineClient(app.store, { name: 'R', scopes: ['orders:read', 'orders:delete'] }, NOW));
      assert.equal(one.message, `No resource has the scope orders:delete. Known: ${[...new Set(known)].join(', ')}.`);
      const two = await refusal(registerMachineClient(app.store, { name: 'R', scopes: ['a:b', 'orders:read', 'c:d'] }, NOW));
      assert.match(two.message, /^No resource has the scopes a:b, c:d\. Known: /);
      const ttlSentence = 'The access-token lifetime must be a whole number of seconds from 60 to 86400.';
      for (const ttl of [59, 86401, 60.5]) {
        const r = await refusal(registerMachineClient(app.store, { name: 'R', scopes: ['orders:read'], accessTokenTtl: ttl }, NOW));
        assert.deepEqual([r.message, r.fields], [ttlSentence, { accessTokenTtl: ttlSentence }], String(ttl));
      }
      const all = await refusal(registerMachineClient(app.store, { name: '', scopes: [], accessTokenTtl: 1 }, NOW));
      assert.deepEqual(Object.keys(all.fields!), ['name', 'scopes', 'accessTokenTtl']);
      assert.equal(all.message, nameSentence);
      assert.equal((await app.store.clients.list()).length, before);
    });

    it('stores a machine client: a secret or keys, no redirect URIs, client_credentials only, its lifetime', async () => {
      const { client, secret } = await registerMachineClient(
        app.store,
        { name: '  Nightly  ', scopes: ['orders:read', 'orders:read', 'orders:write'], accessTokenTtl: 60, requireDpop: true },
        NOW,
      );
      assert.match(secret!, /^[A-Za-z0-9_-]{43}$/);
      assert.match(client.clientId, /^app_[A-Za-z0-9_-]{16}$/);
      const stored = (await app.store.clients.find(client.clientId))!;
      assert.deepEqual(
        {
          name: stored.name,
          redirectUris: stored.redirectUris,
          postLogoutRedirectUris: stored.postLogoutRedirectUris,
          scopes: stored.scopes,
          logoUrl: stored.logoUrl,
          firstParty: stored.firstParty,
          createdAt: stored.createdAt,
          defaultScope: stored.defaultScope ?? null,
          accessTokenTtl: stored.accessTokenTtl,
          legacyRefresh: stored.legacyRefresh ?? false,
          machine: stored.machine,
          requireDpop: stored.requireDpop,
        },
        {
          name: 'Nightly',
          redirectUris: [],
          postLogoutRedirectUris: [],
          scopes: ['orders:read', 'orders:write'],
          logoUrl: null,
          firstParty: false,
          createdAt: NOW,
          defaultScope: null,
          accessTokenTtl: 60,
          legacyRefresh: false,
          machine: true,
          requireDpop: true,
        },
      );
      assert.equal(
        (await registerMachineClient(app.store, { name: 'n'.repeat(100), scopes: ['orders:read'], accessTokenTtl: 86400 }, NOW)).client.accessTokenTtl,
        86400,
      );
      assert.equal((await registerMachineClient(app.store, { name: 'Plain', scopes: ['orders:read'] }, NOW)).client.accessTokenTtl, null);
      const byUri = await registerMachineClient(app.store, { name: 'Keyed', scopes: ['orders:read'], jwksUri: 'https://keys.example/jwks' }, NOW);
      assert.equal(byUri.secret, null);
      assert.equal((await app.store.clients.find(byUri.client.clientId))!.secret, null);
      const jwk = { kty: 'EC', crv: 'P-256', x: 'f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU', y: 'x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0' };
      const byKeys = await registerMachineClient(app.store, { name: 'Keyed', scopes: ['orders:read'], jwks: { keys: [jwk] } }, NOW);
      assert.equal(byKeys.secret, null);
    });

    it("what oidc-provider is told: the portal's resource for people's clients, a narrowed registered one for machine clients", async () => {
      await createResource(app.store, { identifier: 'https://ledger.example', scopes: ['ledger:write', 'ledger:read', 'ledger:audit'] }, NOW);
      const robot = await registerMachineClient(app.store, { name: 'Robot', scopes: ['ledger:read', 'orders:read', 'ledger:write'] }, NOW);
      const machine = (await app.provider.Client.find(robot.client.clientId))!;
      const people = (await app.provider.Client.find(
        (await registerClient(app.store, { name: 'Web', redirectUris: ['https://web.example/cb'], isPublic: false }, NOW)).client.clientId,
      ))!;

      for (const client of [people, undefined]) {
        assert.deepEqual(await resourceServerInfo(app.store, PORTAL_RESOURCE, client, 300), {
          scope: SCOPE_NAMES.join(' '),
          accessTokenFormat: 'jwt',
          accessTokenTTL: 300,
          jwt: JWT,
        });
        assert.equal(await invalidTarget(() => resourceServerInfo(app.store, ORDERS, client, 300)), 'unknown resource');
        assert.equal(defaultResourceFor(client), PORTAL_RESOURCE);
      }

      assert.deepEqual(await resourceServerInfo(app.store, 'https://ledger.example', machine, 120), {
        scope: 'ledger:write ledger:read',
        audience: 'https://ledger.example',
        accessTokenFormat: 'jwt',
        accessTokenTTL: 120,
        jwt: JWT,
      });
      assert.deepEqual((await resourceServerInfo(app.store, ORDERS, machine, 60)).scope, 'orders:read');
      assert.equal(await invalidTarget(() => resourceServerInfo(app.store, PORTAL_RESOURCE, machine, 60)), 'unknown resource');
      assert.equal(await invalidTarget(() => resourceServerInfo(app.store, 'https://nowhere.example', machine, 60)), 'unknown resource');
      assert.equal(await invalidTarget(() => resourceServerInfo(app.store, 'https://stock.example/api', machine, 60)), 'this client may not use this resource');
      assert.equal(await invalidTarget(() => defaultResourceFor(machine)), 'a machine client must name the resource (RFC 8707 `resource` parameter)');
    });
  });
}
