/**
 * Partner-app registration (clients.ts), where mutation testing
 * (docs/mutation.md) found rules no test pinned: each redirect URI rule with
 * its exact sentence (spaces, length at 2,000, scheme, http only on loopback,
 * a fragment even when empty, user name or password), the first bad URI named,
 * duplicates dropped, post-logout URIs given or derived from the redirect
 * URIs' origins, scopes, the logo URL, the default scope, the access-token
 * lifetime at both bounds, the name at 100 characters, and which field's
 * sentence leads. Then what is stored (secret or none, the client id, the
 * options), secret rotation's refusals, and what the admin screen and
 * oidc-provider are given for a stored client. Against the real store, on
 * SQLite and PostgreSQL.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestApp, type TestApp } from '../testing/test-app.ts';
import { SCOPE_NAMES } from './scopes.ts';
import { clientMetadata, publicClient, registerClient, rotateClientSecret, type NewClientInput } from './clients.ts';
import { secretMatches } from './client-auth.ts';
import { refusal } from '../testing/app-error.ts';

const REDIRECT = 'https://partner.example/cb';
const NOW = 1_790_000_000_000;

for (const db of ['sqlite', 'postgres'] as const) {
  describe(`partner-app registration rules (${db})`, () => {
    let app: TestApp;
    before(async () => {
      app = await startTestApp({ db });
    });
    after(() => app.close());

    const register = (over: Partial<NewClientInput> = {}) =>
      registerClient(app.store, { name: 'Partner', redirectUris: [REDIRECT], isPublic: false, ...over }, NOW);
    const partnerCount = async () => (await app.store.clients.list()).filter((c) => !c.firstParty).length;

    /** The refusal of one bad redirect URI: its field and its sentence. */
    async function redirectRefusal(uri: string) {
      const r = await refusal(register({ redirectUris: [uri] }));
      assert.deepEqual([r.code, r.status], ['invalid_redirect_uri', 400], uri);
      assert.equal(r.message, r.fields?.redirectUris, uri);
      return r.message;
    }

    it('refuses each bad redirect URI with its own sentence, and stores nothing', async () => {
      const before = await partnerCount();
      const cases: Array<[string, string]> = [
        ['', 'must be a URL without surrounding spaces'],
        [' https://partner.example/cb', 'must be a URL without surrounding spaces'],
        ['https://partner.example/cb ', 'must be a URL without surrounding spaces'],
        ['partner.example/cb', 'is not a valid absolute URL'],
        ['javascript:alert(1)', 'must use https (javascript:, data: and other schemes are refused)'],
        ['data:text/html,hi', 'must use https (javascript:, data: and other schemes are refused)'],
        ['ftp://partner.example/cb', 'must use https (javascript:, data: and other schemes are refused)'],
        ['http://partner.example/cb', 'must use https (http is allowed only on localhost, 127.0.0.1 or [::1])'],
        ['https://partner.example/cb#frag', 'must not contain a fragment (#)'],
        ['https://partner.example/cb#', 'must not contain a fragment (#)'],
        ['http://localhost:3000/cb#x', 'must not contain a fragment (#)'],
        ['https://user@partner.example/cb', 'must not contain a user name or password'],
        ['https://:pw@partner.example/cb', 'must not contain a user name or password'],
        ['http://user:pw@localhost/cb', 'must not contain a user name or password'],
        // As JSON could carry it to a caller that skipped the route's schema: a 400, not a TypeError.
        [42 as unknown as string, 'must be a URL without surrounding spaces'],
      ];
      for (const [uri, problem] of cases) {
        assert.equal(await redirectRefusal(uri), `The redirect URI ${JSON.stringify(uri)} ${problem}.`, uri);
      }
      assert.equal(await partnerCount(), before);
    });

    it('accepts a redirect URI of 2,000 characters and refuses one of 2,001', async () => {
      const base = 'https://partner.example/';
      const long = base + 'a'.repeat(2000 - base.length);
      assert.equal(long.length, 2000);
      const { client } = await register({ redirectUris: [long] });
      assert.deepEqual(client.redirectUris, [long]);
      const tooLong = long + 'a';
      assert.equal(await redirectRefusal(tooLong), `The redirect URI ${JSON.stringify(tooLong)} is too long.`);
    });

    it('accepts http only on the three loopback names, and https anywhere', async () => {
      const ok = ['http://localhost/cb', 'http://127.0.0.1:8080/cb', 'http://[::1]:5000/cb', 'https://partner.example/cb?x=1'];
      const { client } = await register({ redirectUris: ok });
      assert.deepEqual((await app.store.clients.find(client.clientId))!.redirectUris, ok);
    });

    it('names the first bad redirect URI, needs at least one, and drops duplicates', async () => {
      const r = await refusal(register({ redirectUris: [REDIRECT, 'http://first.example/cb', 'ftp://second.example/cb'] }));
      assert.equal(r.message, 'The redirect URI "http://first.example/cb" must use https (http is allowed only on localhost, 127.0.0.1 or [::1]).');
      const none = await refusal(register({ redirectUris: [] }));
      assert.deepEqual(
        [none.code, none.message, none.fields],
        ['invalid_redirect_uri', 'At least one redirect URI is required.', { redirectUris: 'At least one redirect URI is required.' }],
      );
      const missing = await refusal(register({ redirectUris: undefined as unknown as string[] }));
      assert.equal(missing.message, 'At least one redirect URI is required.');
      const { client } = await register({ redirectUris: [REDIRECT, 'https://partner.example/two', REDIRECT] });
      assert.deepEqual((await app.store.clients.find(client.clientId))!.redirectUris, [REDIRECT, 'https://partner.example/two']);
    });

    it('post-logout URIs: given ones are checked and kept without duplicates; absent, each redirect origin with `/`', async () => {
      const given = await register({ postLogoutRedirectUris: ['https://partner.example/bye', 'https://partner.example/bye', 'http://localhost:3000/'] });
      assert.deepEqual((await app.store.clients.find(given.client.clientId))!.postLogoutRedirectUris, [
        'https://partner.example/bye',
        'http://localhost:3000/',
      ]);
      const derived = await register({
        redirectUris: ['https://partner.example/cb', 'https://partner.example/other?x=1', 'http://localhost:3000/cb', 'https://b.example:8443/x'],
      });
      assert.deepEqual((await app.store.clients.find(derived.client.clientId))!.postLogoutRedirectUris, [
        'https://partner.example/',
        'http://localhost:3000/',
        'https://b.example:8443/',
      ]);
      const empty = await register({ postLogoutRedirectUris: [] });
      assert.deepEqual((await app.store.clients.find(empty.client.clientId))!.postLogoutRedirectUris, [], 'an empty list given is kept empty');

      const bad = await refusal(register({ postLogoutRedirectUris: ['https://partner.example/', 'http://first.example/', 'https://x.example/#y'] }));
      assert.equal(bad.code, 'invalid_client_metadata');
      const sentence = 'The post-logout redirect URI "http://first.example/" must use https (http is allowed only on localhost, 127.0.0.1 or [::1]).';
      assert.deepEqual([bad.message, bad.fields], [sentence, { postLogoutRedirectUris: sentence }]);
      const frag = await refusal(register({ postLogoutRedirectUris: ['https://x.example/#y'] }));
      assert.equal(frag.message, 'The post-logout redirect URI "https://x.example/#y" must not contain a fragment (#).');
    });

    it('scopes: openid always first, duplicates dropped, unknown ones named (one or several)', async () => {
      const { client } = await register({ scopes: ['email', 'openid', 'email', 'profile'] });
      assert.deepEqual((await app.store.clients.find(client.clientId))!.scopes, ['openid', 'email', 'profile']);
      const plain = await register({ scopes: undefined });
      assert.deepEqual(plain.client.scopes, ['openid']);
      const one = await refusal(register({ scopes: ['email', 'admin'] }));
      assert.deepEqual([one.code, one.message], ['invalid_client_metadata', `Unknown scope: admin. Known: ${SCOPE_NAMES.join(', ')}.`]);
      assert.deepEqual(one.fields, { scopes: one.message });
      const two = await refusal(register({ scopes: ['admin', 'root'] }));
      assert.equal(two.message, `Unknown scopes: admin, root. Known: ${SCOPE_NAMES.join(', ')}.`);
    });

    it('the logo URL: trimmed, blank is none, https or loopback http only', async () => {
      const trimmed = await register({ logoUrl: '  https://cdn.example/logo.png  ' });
      assert.equal((await app.store.clients.find(trimmed.client.clientId))!.logoUrl, 'https://cdn.example/logo.png');
      assert.equal((await register({ logoUrl: '   ' })).client.logoUrl, null);
      assert.equal((await register({ logoUrl: null })).client.logoUrl, null);
      assert.equal((await register({ logoUrl: 'http://localhost:5173/logo.png' })).client.logoUrl, 'http://localhost:5173/logo.png');
      for (const [url, problem] of [
        ['http://cdn.example/logo.png', 'must be an https URL'],
        ['ftp://cdn.example/logo.png', 'must be an https URL'],
        ['ftp://localhost/logo.png', 'must be an https URL'],
        ['ws://127.0.0.1/logo.png', 'must be an https URL'],
        ['javascript:alert(1)', 'must be an https URL'],
        ['logo.png', 'is not a valid absolute URL'],
      ]) {
        const r = await refusal(register({ logoUrl: url }));
        assert.deepEqual([r.code, r.message, r.fields], ['invalid_client_metadata', `The logo URL ${problem}.`, { logoUrl: `The logo URL ${problem}.` }], url);
      }
    });

    it('the default scope: a list or a spaced string, without duplicates, among the app scopes', async () => {
      const listed = await register({ scopes: ['email', 'profile'], defaultScope: ['openid', 'email', 'openid'] });
      assert.equal((await app.store.clients.find(listed.client.clientId))!.defaultScope, 'openid email');
      const spaced = await register({ scopes: ['email'], defaultScope: '  openid \t email  ' });
      assert.equal(spaced.client.defaultScope, 'openid email');
      assert.equal((await register({ defaultScope: '   ' })).client.defaultScope, null);
      assert.equal((await register({ defaultScope: [] })).client.defaultScope, null);
      assert.equal((await register({ defaultScope: null })).client.defaultScope, null);
      const r = await refusal(register({ scopes: ['email'], defaultScope: 'openid profile phone' }));
      const sentence = "The default scope must be among the app's scopes (openid, email); not: profile, phone.";
      assert.deepEqual([r.code, r.message, r.fields], ['invalid_client_metadata', sentence, { defaultScope: sentence }]);
    });

    it('the access-token lifetime: whole seconds from 60 to 86400, or none', async () => {
      assert.equal((await register({ accessTokenTtl: 60 })).client.accessTokenTtl, 60);
      const day = await register({ accessTokenTtl: 86400 });
      assert.equal((await app.store.clients.find(day.client.clientId))!.accessTokenTtl, 86400);
      assert.equal((await register({ accessTokenTtl: null })).client.accessTokenTtl, null);
      assert.equal((await register({})).client.accessTokenTtl, null);
      const sentence = 'The access-token lifetime must be a whole number of seconds from 60 to 86400.';
      for (const ttl of [59, 86401, 600.5, 0, -60]) {
        const r = await refusal(register({ accessTokenTtl: ttl }));
        assert.deepEqual([r.code, r.message, r.fields], ['invalid_client_metadata', sentence, { accessTokenTtl: sentence }], String(ttl));
      }
    });

    it('the name: trimmed, required, at most 100 characters', async () => {
      assert.equal((await register({ name: '  Trading Parrot  ' })).client.name, 'Trading Parrot');
      const hundred = 'n'.repeat(100);
      assert.equal((await register({ name: hundred })).client.name, hundred);
      for (const [name, sentence] of [
        ['', 'A name is required.'],
        ['   ', 'A name is required.'],
        [undefined, 'A name is required.'],
        ['n'.repeat(101), 'The name must be at most 100 characters.'],
        [` ${'n'.repeat(101)} `, 'The name must be at most 100 characters.'],
      ] as Array<[string | undefined, string]>) {
        const r = await refusal(register({ name: name as string }));
        assert.deepEqual([r.code, r.message, r.fields], ['invalid_client_metadata', sentence, { name: sentence }], String(name));
      }
    });

    it('several problems: every field named, the first in order leads, invalid_redirect_uri when a redirect URI is one', async () => {
      const r = await refusal(register({ name: '', redirectUris: ['http://x.example/cb'], scopes: ['admin'], accessTokenTtl: 1 }));
      assert.equal(r.code, 'invalid_redirect_uri');
      assert.equal(r.message, 'A name is required.');
      assert.deepEqual(Object.keys(r.fields!), ['name', 'redirectUris', 'scopes', 'accessTokenTtl']);
      const s = await refusal(register({ scopes: ['admin'], logoUrl: 'http://x.example/l.png' }));
      assert.equal(s.code, 'invalid_client_metadata');
      assert.equal(s.message, `Unknown scope: admin. Known: ${SCOPE_NAMES.join(', ')}.`);
      assert.deepEqual(Object.keys(s.fields!), ['scopes', 'logoUrl']);
    });

    it('stores a confidential app with a fresh 43-character secret, a public or keyed one without', async () => {
      const conf = await register({ legacyRefresh: true });
      assert.match(conf.secret!, /^[A-Za-z0-9_-]{43}$/);
      assert.match(conf.client.clientId, /^app_[A-Za-z0-9_-]{16}$/);
      const stored = (await app.store.clients.find(conf.client.clientId))!;
      assert.equal(secretMatches(stored.secret, [conf.secret!]), true);
      assert.deepEqual([stored.name, stored.firstParty, stored.createdAt, stored.legacyRefresh], ['Partner', false, NOW, true]);
      const other = await register();
      assert.notEqual(other.secret, conf.secret);
      assert.notEqual(other.client.clientId, conf.client.clientId);
      assert.equal(other.client.legacyRefresh, false, 'legacy refresh is off unless asked for');
      assert.equal((await register({ legacyRefresh: 'yes' as unknown as boolean })).client.legacyRefresh, false);

      const pub = await register({ isPublic: true });
      assert.equal(pub.secret, null);
      assert.equal((await app.store.clients.find(pub.client.clientId))!.secret, null);

      const jwks = { keys: [{ kty: 'EC', crv: 'P-256', x: 'f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU', y: 'x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0' }] };
      const keyed = await register({ options: { jwks, requireDpop: true, requirePar: true, device: true } });
      assert.equal(keyed.secret, null);
      const k = (await app.store.clients.find(keyed.client.clientId))!;
      assert.deepEqual([k.secret, k.jwks, k.requireDpop, k.requirePar, k.device], [null, jwks, true, true, true]);
      const byUri = await register({ options: { jwksUri: 'https://partner.example/jwks.json' } });
      assert.equal(byUri.secret, null);
      assert.equal((await app.store.clients.find(byUri.client.clientId))!.jwksUri, 'https://partner.example/jwks.json');
    });

    it('rotating a secret: a new one that matches, refused for unknown, first-party and public apps', async () => {
      const conf = await register();
      const secret = await rotateClientSecret(app.store, conf.client.clientId);
      assert.match(secret, /^[A-Za-z0-9_-]{43}$/);
      assert.notEqual(secret, conf.secret);
      const stored = (await app.store.clients.find(conf.client.clientId))!.secret;
      assert.deepEqual([secretMatches(stored, [secret]), secretMatches(stored, [conf.secret!])], [true, false]);

      const unknown = await refusal(rotateClientSecret(app.store, 'app_nobody'));
      assert.deepEqual([unknown.code, unknown.status, unknown.message], ['client_not_found', 404, 'No partner app with client id app_nobody.']);
      const firstParty = (await app.store.clients.list()).find((c) => c.firstParty)!;
      const fp = await refusal(rotateClientSecret(app.store, firstParty.clientId));
      assert.deepEqual([fp.code, fp.status, fp.message], ['client_not_found', 404, `No partner app with client id ${firstParty.clientId}.`]);
      const pub = await register({ isPublic: true });
      const p = await refusal(rotateClientSecret(app.store, pub.client.clientId));
      assert.deepEqual([p.code, p.status, p.message], ['public_client', 400, 'This is a public client; it has no secret to rotate.']);
      assert.equal((await app.store.clients.find(pub.client.clientId))!.secret, null);
    });

    it('what the admin screen is shown of a stored app', async () => {
      const conf = await register({ name: 'Shown', logoUrl: 'https://cdn.example/l.png', scopes: ['email'], defaultScope: 'email', accessTokenTtl: 120 });
      const c = (await app.store.clients.find(conf.client.clientId))!;
      assert.deepEqual(publicClient(c), {
        clientId: c.clientId,
        name: 'Shown',
        redirectUris: [REDIRECT],
        postLogoutRedirectUris: ['https://partner.example/'],
        public: false,
        scopes: ['openid', 'email'],
        logoUrl: 'https://cdn.example/l.png',
        createdAt: NOW,
        defaultScope: 'email',
        accessTokenTtl: 120,
        legacyRefresh: false,
        machine: false,
        privateKeyJwt: false,
        jwksUri: null,
        requireDpop: false,
        requirePar: false,
        device: false,
        backchannelLogoutUri: null,
        backchannelLogoutSessionRequired: false,
      });
      const pub = (await app.store.clients.find((await register({ isPublic: true })).client.clientId))!;
      assert.deepEqual([publicClient(pub).public, publicClient(pub).privateKeyJwt, publicClient(pub).defaultScope], [true, false, null]);
      const full = (await app.store.clients.find(
        (
          await register({
            legacyRefresh: true,
            options: {
              jwksUri: 'https://partner.example/jwks.json',
              requireDpop: true,
              requirePar: true,
              device: true,
              backchannelLogoutUri: 'https://partner.example/bcl',
              backchannelLogoutSessionRequired: true,
            },
          })
        ).client.clientId,
      ))!;
      const shown = publicClient({ ...full, machine: true });
      assert.deepEqual(
        [
          shown.public,
          shown.privateKeyJwt,
          shown.jwksUri,
          shown.legacyRefresh,
          shown.machine,
          shown.requireDpop,
          shown.requirePar,
          shown.device,
          shown.backchannelLogoutUri,
          shown.backchannelLogoutSessionRequired,
        ],
        [false, true, 'https://partner.example/jwks.json', true, true, true, true, true, 'https://partner.example/bcl', true],
      );
      const jwks = { keys: [{ kty: 'EC', crv: 'P-256', x: 'f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU', y: 'x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0' }] };
      const keyed = publicClient({ ...pub, jwks });
      assert.deepEqual([keyed.public, keyed.privateKeyJwt, keyed.jwksUri], [false, true, null], 'a keyed app without a secret is not public');
    });

    it('what oidc-provider is given for a stored app', async () => {
      const conf = await register({ name: 'Meta', logoUrl: 'https://cdn.example/l.png', scopes: ['email'], defaultScope: 'email', accessTokenTtl: 300 });
      const c = (await app.store.clients.find(conf.client.clientId))!;
      assert.deepEqual(clientMetadata(c), {
        client_id: c.clientId,
        client_secret: c.secret,
        token_endpoint_auth_method: 'client_secret_basic',
        client_name: 'Meta',
        logo_uri: 'https://cdn.example/l.png',
        redirect_uris: [REDIRECT],
        post_logout_redirect_uris: ['https://partner.example/'],
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        scope: 'openid email',
        id_token_signed_response_alg: 'ES256',
        portal_first_party: false,
        portal_default_scope: 'email',
        portal_access_token_ttl: 300,
      });
      const pub = (await app.store.clients.find((await register({ isPublic: true, name: 'Bare' })).client.clientId))!;
      assert.deepEqual(clientMetadata(pub), {
        client_id: pub.clientId,
        token_endpoint_auth_method: 'none',
        client_name: 'Bare',
        redirect_uris: [REDIRECT],
        post_logout_redirect_uris: ['https://partner.example/'],
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        scope: 'openid',
        id_token_signed_response_alg: 'ES256',
        portal_first_party: false,
      });
      const firstParty = (await app.store.clients.list()).find((x) => x.firstParty)!;
      assert.equal(clientMetadata(firstParty).portal_first_party, true);
    });
  });
}
