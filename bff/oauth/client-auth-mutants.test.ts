/**
 * The adapters' client authentication (client-auth.ts), where mutation testing
 * (docs/mutation.md) found it unchecked: a client without a secret (public, or
 * authenticating with its keys) never matches, not even when it presents the
 * dummy the compare runs against; presenting nothing is never a match and
 * still costs one compare; every presented form is compared, the right one
 * in any position matches. Against clients in the real store, on SQLite and
 * PostgreSQL; the adapters' HTTP side is compat/client-auth.test.ts's.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestApp, type TestApp } from '../testing/test-app.ts';
import { registerClient } from './clients.ts';
import { BFF_CLIENT_ID, bffClientSecret } from '../session/oidc-client.ts';
import { createHmac } from 'node:crypto';
import {
  checkClient,
  clientSecretAccepted,
  clientSecretWork,
  findClientBySecret,
  hashClientSecret,
  internalClientCredential,
  isClientSecretHash,
  secretMatches,
} from './client-auth.ts';

const DUMMY = 'x'.repeat(43);
const REDIRECT = 'https://partner.example/cb';

function counted<T>(run: () => Promise<T>): Promise<{ result: T; compares: number }> {
  const before = clientSecretWork.compares;
  return run().then((result) => ({ result, compares: clientSecretWork.compares - before }));
}

const T = 1_900_000_000_000;
/** Cookie secrets as the config holds them: numbered, the highest current. */
const KEYS = { 2: 'key-two', 10: 'key-ten', 1: 'key-one' };
/** HMAC-SHA256 over the credential's text, computed here (golden values from Python's hmac). */
const mac = (key: string, clientId: string, at: string) =>
  createHmac('sha256', key).update(`portal-internal-client-auth\n${clientId}\n${at}`).digest('base64url');

describe('stored client secrets', () => {
  it('are SHA-256, base64url, named sha256: (a golden value)', () => {
    assert.equal(hashClientSecret('s3cret-é'), 'sha256:t-BeMJ0kXNt_h25Lxvgw9ODZtK3ukQiDww1YOfRhpRY');
    assert.equal(hashClientSecret(DUMMY), 'sha256:zAscLGbzu5_RoIHGJrob72L2-WRBpDvhUmhSN3asJqE');
  });

  it('tell a hash from a secret stored before hashing by the prefix and the exact length', () => {
    const h = hashClientSecret('anything');
    assert.equal(isClientSecretHash(h), true);
    assert.equal(isClientSecretHash(h.slice(0, -1)), false, '42 characters');
    assert.equal(isClientSecretHash(`${h}A`), false, '44 characters');
    assert.equal(isClientSecretHash(`sha257:${h.slice(7)}`), false, 'another prefix');
    assert.equal(isClientSecretHash(`SHA256:${h.slice(7)}`), false);
    assert.equal(isClientSecretHash(`xsha256:${h.slice(8)}`), false, 'the prefix must lead');
    assert.equal(isClientSecretHash('x'.repeat(50)), false);
  });
});

describe('the token endpoint’s secret check (clientSecretAccepted)', () => {
  const stored = hashClientSecret('the-partner-secret');

  it('accepts the secret whose hash is stored, and nothing else', () => {
    assert.equal(clientSecretAccepted(KEYS, 'client_abc', stored, 'the-partner-secret', T), true);
    assert.equal(clientSecretAccepted(KEYS, 'client_abc', stored, 'the-partner-secreT', T), false);
    assert.equal(clientSecretAccepted(KEYS, 'client_abc', stored, stored, T), false, 'the hash itself is not the secret');
    assert.equal(clientSecretAccepted(KEYS, 'client_abc', stored, '', T), false);
    assert.equal(clientSecretAccepted(KEYS, 'client_abc', null, DUMMY, T), false, 'no secret: not even the dummy');
    assert.equal(clientSecretAccepted(KEYS, 'client_abc', null, '', T), false);
  });

  it('makes the internal credential with the highest-numbered key, over the client id and the time (a golden value)', () => {
    assert.equal(internalClientCredential(KEYS, 'client_abc', T), `portal-internal.${T}.1xwEVenBz6UKbIQE--u_rziEH9cFcRS1bnIkOq41wJY`);
    assert.equal(internalClientCredential({ 1: 'key-one' }, 'client_abc', T), `portal-internal.${T}.mJrHO57K6Qeei-sC8oFN7NkPMynas6w0btBxOqu40wI`);
  });

  it('accepts the internal credential for its own client for a minute either way, made with any current key', () => {
    const credential = internalClientCredential(KEYS, 'client_abc', T);
    for (const now of [T, T + 60_000, T - 60_000]) assert.equal(clientSecretAccepted(KEYS, 'client_abc', stored, credential, now), true, `${now - T}`);
    for (const now of [T + 60_001, T - 60_001]) assert.equal(clientSecretAccepted(KEYS, 'client_abc', stored, credential, now), false, `${now - T}`);
    assert.equal(clientSecretAccepted(KEYS, 'client_other', stored, credential, T), false, 'another client');
    assert.equal(clientSecretAccepted(KEYS, 'client_abc', null, credential, T), false, 'a client without a secret');
    const older = `portal-internal.${T}.${mac('key-one', 'client_abc', String(T))}`;
    assert.equal(clientSecretAccepted(KEYS, 'client_abc', stored, older, T), true, 'made with an older key still held');
    assert.equal(clientSecretAccepted({ 10: 'key-ten' }, 'client_abc', stored, older, T), false, 'made with a key no longer held');
  });

  it('refuses a credential that is not exactly the portal’s form', () => {
    const forms = [
      `portal-internal.${T}`,
      `portal-internal.${T}.`,
      `Portal-internal.${T}.${mac('key-ten', 'client_abc', String(T))}`,
      `xportal-internal.${T}.${mac('key-ten', 'client_abc', String(T))}`,
      `portal-internal.0${T}.${mac('key-ten', 'client_abc', String(T))}`,
      `portal-internal.${T}.${mac('key-ten', 'client_abc', `0${T}`)}`,
      `portal-internal..${mac('key-ten', 'client_abc', '')}`,
      `portal-internal.NaN.${mac('key-ten', 'client_abc', 'NaN')}`,
      `portal-internal.9007199254740993.${mac('key-ten', 'client_abc', '9007199254740993')}`,
      `portal-internal.${T}.${mac('key-ten', 'client_abc', String(T)).slice(0, -1)}`,
    ];
    for (const f of forms) assert.equal(clientSecretAccepted(KEYS, 'client_abc', hashClientSecret('the-partner-secret'), f, T), false, f);
  });

  it('accepts a credential for a time that is a plain integer of up to 2^53 - 1', () => {
    const at = 9_007_199_254_740_991;
    const f = `portal-internal.${at}.${mac('key-ten', 'client_abc', String(at))}`;
    assert.equal(clientSecretAccepted(KEYS, 'client_abc', stored, f, at - 60_000), true);
  });
});

describe('secretMatches', () => {
  it('never matches a missing secret, whatever is presented, and compares every form', () => {
    const before = clientSecretWork.compares;
    assert.equal(secretMatches(null, [DUMMY]), false);
    assert.equal(secretMatches(null, ['', DUMMY, 'y']), false);
    assert.equal(clientSecretWork.compares - before, 4);
    // The store holds the secret's hash (decision 0025), never the secret.
    const stored = hashClientSecret('s3cret');
    assert.equal(secretMatches(stored, ['nope', 's3cret']), true);
    assert.equal(secretMatches(stored, ['s3cret', 'nope']), true);
    assert.equal(secretMatches(stored, ['s3cre', 's3cret!']), false);
    assert.equal(secretMatches('s3cret', ['s3cret']), false, 'a stored value is a hash: the plain secret stored is no match for itself');
    assert.equal(clientSecretWork.compares - before, 11);
  });
});

for (const db of ['sqlite', 'postgres'] as const) {
  describe(`checkClient against the store (${db})`, () => {
    let app: TestApp;
    let confidential: { id: string; secret: string };
    let publicId: string;
    before(async () => {
      app = await startTestApp({ db });
      // Before any partner exists: one compare with the dummy, which never finds anyone.
      for (const presented of [DUMMY, 'anything', bffClientSecret(app.config)]) {
        const r = await counted(() => findClientBySecret(app.store, presented));
        assert.deepEqual([r.result, r.compares], [null, 1], presented);
      }
      const c = await registerClient(app.store, { name: 'Confidential', redirectUris: [REDIRECT], isPublic: false }, Date.now());
      confidential = { id: c.client.clientId, secret: c.secret! };
      publicId = (await registerClient(app.store, { name: 'Public', redirectUris: [REDIRECT], isPublic: true }, Date.now())).client.clientId;
    });
    after(() => app.close());

    it('accepts the right secret, in any presented form, and names the client', async () => {
      const ok = await counted(() => checkClient(app.store, confidential.id, ['wrong', confidential.secret]));
      assert.equal(ok.result.secretMatches, true);
      assert.equal(ok.result.client?.clientId, confidential.id);
      assert.equal(ok.compares, 2);
    });

    it('refuses a wrong or missing secret, one compare either way', async () => {
      const wrong = await counted(() => checkClient(app.store, confidential.id, [DUMMY]));
      assert.deepEqual([wrong.result.secretMatches, wrong.result.client?.clientId, wrong.compares], [false, confidential.id, 1]);
      const none = await counted(() => checkClient(app.store, confidential.id, []));
      assert.deepEqual(
        [none.result.secretMatches, none.result.client?.clientId, none.compares],
        [false, confidential.id, 1],
        'nothing presented still costs a compare',
      );
    });

    it('never lets a client without a secret match, not even with the dummy', async () => {
      for (const presented of [[DUMMY], [], ['']]) {
        const r = await counted(() => checkClient(app.store, publicId, presented));
        assert.deepEqual([r.result.secretMatches, r.result.client?.clientId, r.compares], [false, publicId, 1], JSON.stringify(presented));
      }
    });

    it('finds a partner by its secret alone, comparing every partner’s hash once; never a client without a secret', async () => {
      const other = await registerClient(app.store, { name: 'Other', redirectUris: [REDIRECT], isPublic: false }, Date.now());
      // The two confidential partners; not the public client, not the portal's own first-party client.
      const partners = 2;
      assert.equal((await app.store.clients.find(BFF_CLIENT_ID))?.firstParty, true);
      for (const [presented, expected] of [
        [confidential.secret, confidential.id],
        [other.secret!, other.client.clientId],
        ['wrong', null],
        [DUMMY, null],
        ['', null],
        [bffClientSecret(app.config), null],
      ] as const) {
        const r = await counted(() => findClientBySecret(app.store, presented));
        assert.deepEqual([r.result?.clientId ?? null, r.compares], [expected, partners], presented);
      }
      await app.store.clients.delete(other.client.clientId);
    });

    it('answers an unknown client with no client, no match, and the same work', async () => {
      for (const presented of [[DUMMY], [], [DUMMY, confidential.secret]]) {
        const r = await counted(() => checkClient(app.store, 'client_unknown', presented));
        assert.deepEqual([r.result.secretMatches, r.result.client, r.compares], [false, null, Math.max(presented.length, 1)], JSON.stringify(presented));
      }
    });
  });
}
