/** Contract: users, clients, signing keys, settings. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type ClientRecord, ConflictError, type NewUser } from '../store.ts';
import { type GetStore, rid, T0 } from './util.ts';

function newUser(over: Partial<NewUser> = {}): NewUser {
  const id = rid('u');
  return { id, email: `${id}@example.test`, name: 'Ada', passwordHash: 'h1', role: 'user', ...over };
}

function newClient(over: Partial<ClientRecord> = {}): ClientRecord {
  return {
    clientId: rid('c'),
    name: 'App',
    secret: 's1',
    redirectUris: ['https://app.test/cb', 'https://app.test/cb2'],
    postLogoutRedirectUris: ['https://app.test/'],
    scopes: ['openid', 'email'],
    logoUrl: null,
    firstParty: false,
    createdAt: T0,
    defaultScope: null,
    accessTokenTtl: null,
    legacyRefresh: false,
    ...over,
  };
}

export function identityContract(get: GetStore): void {
  describe('users', () => {
    it('creates and finds by id and email', async () => {
      const nu = newUser();
      const u = await get().users.create(nu, T0);
      assert.deepEqual(u, {
        id: nu.id,
        email: nu.email,
        name: 'Ada',
        passwordHash: 'h1',
        role: 'user',
        disabled: false,
        emailVerified: false,
        createdAt: T0,
        updatedAt: T0,
        lastSignInAt: null,
        username: null,
      });
      assert.deepEqual(await get().users.findById(nu.id), u);
      assert.deepEqual(await get().users.findByEmail(nu.email), u);
      assert.equal(await get().users.findById(rid('missing')), null);
      assert.equal(await get().users.findByEmail(`${rid('missing')}@example.test`), null);
      const v = await get().users.create(newUser({ emailVerified: true, passwordHash: null }), T0);
      assert.equal(v.emailVerified, true);
      assert.equal(v.passwordHash, null);
    });

    it('rejects a duplicate email with ConflictError', async () => {
      const nu = newUser();
      await get().users.create(nu, T0);
      await assert.rejects(get().users.create({ ...newUser(), email: nu.email }, T0), ConflictError);
    });

    it('sets, finds, clears and refuses a duplicate username', async () => {
      const a = await get().users.create(newUser(), T0);
      const b = await get().users.create(newUser(), T0);
      const name = rid('op').toLowerCase();
      assert.equal(a.username, null);
      assert.equal((await get().users.update(a.id, { username: name }, T0 + 1))!.username, name);
      assert.equal((await get().users.findByUsername(name))!.id, a.id);
      await assert.rejects(get().users.update(b.id, { username: name }, T0 + 2), ConflictError);
      assert.equal((await get().users.update(a.id, { username: null }, T0 + 3))!.username, null);
      assert.equal(await get().users.findByUsername(name), null);
      assert.equal((await get().users.update(b.id, { username: name }, T0 + 4))!.username, name);
    });

    it('lists by case-insensitive email or name match, newest first, with a limit', async () => {
      const tag = rid('Tag').replace(/-/g, '');
      const a = await get().users.create(newUser({ name: `Old ${tag}` }), T0);
      const b = await get().users.create(newUser({ email: `${rid('x')}.${tag.toLowerCase()}@example.test` }), T0 + 1);
      const c = await get().users.create(newUser({ name: `NEW ${tag.toUpperCase()}` }), T0 + 2);
      const found = await get().users.list({ query: tag.toLowerCase() });
      assert.deepEqual(
        found.map((u) => u.id),
        [c.id, b.id, a.id],
      );
      assert.deepEqual(
        (await get().users.list({ query: tag, limit: 2 })).map((u) => u.id),
        [c.id, b.id],
      );
      // LIKE wildcards in the query are literal.
      assert.deepEqual(await get().users.list({ query: `${tag}%_` }), []);
      assert.ok((await get().users.list()).length >= 3);
    });

    it('counts enabled admins only', async () => {
      const before = await get().users.countAdmins();
      const admin = await get().users.create(newUser({ role: 'admin' }), T0);
      await get().users.create(newUser(), T0);
      assert.equal(await get().users.countAdmins(), before + 1);
      assert.equal(await get().users.setDisabled(admin.id, true, T0 + 5), true);
      assert.equal(await get().users.countAdmins(), before);
      const disabled = await get().users.findById(admin.id);
      assert.equal(disabled?.disabled, true);
      assert.equal(disabled?.updatedAt, T0 + 5);
      await get().users.setDisabled(admin.id, false, T0 + 6);
      assert.equal(await get().users.countAdmins(), before + 1);
      assert.equal(await get().users.setDisabled(rid('missing'), true, T0), false);
    });

    it('sets password hash and touches sign-in', async () => {
      const u = await get().users.create(newUser(), T0);
      assert.equal(await get().users.setPasswordHash(u.id, 'h2', T0 + 1), true);
      assert.equal(await get().users.setPasswordHash(rid('missing'), 'h2', T0 + 1), false);
      await get().users.touchSignIn(u.id, T0 + 2);
      const after = await get().users.findById(u.id);
      assert.equal(after?.passwordHash, 'h2');
      assert.equal(after?.lastSignInAt, T0 + 2);
      assert.equal(after?.updatedAt, T0 + 1);
    });

    it('updates only the patched fields', async () => {
      const u = await get().users.create(newUser(), T0);
      const email = `${rid('new')}@example.test`;
      const updated = await get().users.update(u.id, { name: 'Grace', email, emailVerified: true, role: 'admin' }, T0 + 3);
      assert.deepEqual(updated, { ...u, name: 'Grace', email, emailVerified: true, role: 'admin', updatedAt: T0 + 3 });
      const touched = await get().users.update(u.id, {}, T0 + 4);
      assert.deepEqual(touched, { ...updated, updatedAt: T0 + 4 });
      assert.equal(await get().users.update(rid('missing'), { name: 'x' }, T0), null);
      const other = await get().users.create(newUser(), T0);
      await assert.rejects(get().users.update(other.id, { email }, T0), ConflictError);
    });
  });

  describe('clients', () => {
    it('creates, finds, lists and rejects duplicates', async () => {
      const c = newClient();
      await get().clients.create(c);
      assert.deepEqual(await get().clients.find(c.clientId), c);
      assert.equal(await get().clients.find(rid('missing')), null);
      await assert.rejects(get().clients.create({ ...newClient(), clientId: c.clientId }), ConflictError);
      const pub = newClient({
        secret: null,
        firstParty: true,
        logoUrl: 'https://app.test/logo.png',
        defaultScope: 'openid email',
        accessTokenTtl: 86400,
        legacyRefresh: true,
      });
      await get().clients.create(pub);
      assert.deepEqual(await get().clients.find(pub.clientId), pub);
      const ids = (await get().clients.list()).map((x) => x.clientId);
      assert.ok(ids.includes(c.clientId) && ids.includes(pub.clientId));
    });

    it('upserts: inserts, then replaces everything but createdAt', async () => {
      const c = newClient();
      await get().clients.upsert(c);
      assert.deepEqual(await get().clients.find(c.clientId), c);
      const replaced = {
        ...c,
        name: 'Renamed',
        redirectUris: ['https://other.test/cb'],
        scopes: ['openid'],
        createdAt: T0 + 9,
        defaultScope: 'openid',
        accessTokenTtl: 3600,
        legacyRefresh: true,
      };
      await get().clients.upsert(replaced);
      assert.deepEqual(await get().clients.find(c.clientId), { ...replaced, createdAt: T0 });
    });

    it('moves the clients version with every change, and only then', async () => {
      const seen = [await get().clients.version()];
      const moved = async (what: string) => {
        const v = await get().clients.version();
        assert.notEqual(v, seen.at(-1), `${what} moves the version`);
        seen.push(v);
      };
      const c = newClient();
      await get().clients.create(c);
      await moved('create');
      await get().clients.find(c.clientId);
      await get().clients.list();
      assert.equal(await get().clients.version(), seen.at(-1), 'reads leave it');
      await get().clients.upsert({ ...c, name: 'Renamed' });
      await moved('upsert');
      await get().clients.setSecret(c.clientId, 's3');
      await moved('setSecret');
      await get().clients.delete(c.clientId);
      await moved('delete');
    });

    it('sets the secret and deletes (with its consents)', async () => {
      const c = newClient();
      await get().clients.create(c);
      assert.equal(await get().clients.setSecret(c.clientId, 's2'), true);
      assert.equal((await get().clients.find(c.clientId))?.secret, 's2');
      assert.equal(await get().clients.setSecret(rid('missing'), 's2'), false);
      const userId = rid('u');
      await get().consents.upsert({ userId, clientId: c.clientId, scopes: ['openid'], grantId: null, grantedAt: T0, updatedAt: T0 });
      assert.equal(await get().clients.delete(c.clientId), true);
      assert.equal(await get().clients.find(c.clientId), null);
      assert.equal(await get().consents.find(userId, c.clientId), null);
      assert.equal(await get().clients.delete(c.clientId), false);
    });
  });

  describe('signing keys', () => {
    it('inserts once per kid and lists', async () => {
      const key = { kid: rid('k'), alg: 'RS256', jwk: { kty: 'RSA', n: 'abc', e: 'AQAB', d: 'secret' }, createdAt: T0 };
      assert.equal(await get().keys.insert(key), true);
      assert.equal(await get().keys.insert({ ...key, alg: 'ES256', jwk: { kty: 'EC' } }), false);
      const listed = (await get().keys.list()).find((k) => k.kid === key.kid);
      assert.deepEqual(listed, key);
    });
  });

  describe('settings', () => {
    it('gets, sets, overwrites and deletes', async () => {
      const key = rid('s');
      assert.equal(await get().settings.get(key), null);
      await get().settings.set(key, 'a');
      await get().settings.set(key, 'b');
      assert.equal(await get().settings.get(key), 'b');
      await get().settings.delete(key);
      assert.equal(await get().settings.get(key), null);
    });

    it('takeIf deletes only the expected value, once', async () => {
      const key = rid('s');
      await get().settings.set(key, 'token-hash');
      assert.equal(await get().settings.takeIf(key, 'wrong'), false);
      const results = await Promise.all([1, 2, 3, 4, 5].map(() => get().settings.takeIf(key, 'token-hash')));
      assert.equal(results.filter(Boolean).length, 1);
      assert.equal(await get().settings.takeIf(key, 'token-hash'), false);
      assert.equal(await get().settings.get(key), null);
    });

    it('sweep deletes only values whose expiry has passed; values without one stay', async () => {
      const [lapsed, live, forever] = [rid('s'), rid('s'), rid('s')];
      await get().settings.set(lapsed, 'old', 1_000);
      await get().settings.set(live, 'new', 3_000);
      await get().settings.set(forever, 'kept');
      assert.ok((await get().settings.sweep(2_000)) >= 1);
      assert.equal(await get().settings.get(lapsed), null);
      assert.equal(await get().settings.get(live), 'new');
      assert.equal(await get().settings.get(forever), 'kept');
      // Overwriting without an expiry makes a value permanent again.
      await get().settings.set(live, 'newer');
      await get().settings.sweep(4_000);
      assert.equal(await get().settings.get(live), 'newer');
      await Promise.all([live, forever].map((k) => get().settings.delete(k)));
    });
  });
}
