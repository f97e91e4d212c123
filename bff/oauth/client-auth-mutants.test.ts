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
import { checkClient, clientSecretWork, hashClientSecret, secretMatches } from './client-auth.ts';

const DUMMY = 'x'.repeat(43);
const REDIRECT = 'https://partner.example/cb';

function counted<T>(run: () => Promise<T>): Promise<{ result: T; compares: number }> {
  const before = clientSecretWork.compares;
  return run().then((result) => ({ result, compares: clientSecretWork.compares - before }));
}

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

    it('answers an unknown client with no client, no match, and the same work', async () => {
      for (const presented of [[DUMMY], [], [DUMMY, confidential.secret]]) {
        const r = await counted(() => checkClient(app.store, 'client_unknown', presented));
        assert.deepEqual([r.result.secretMatches, r.result.client, r.compares], [false, null, Math.max(presented.length, 1)], JSON.stringify(presented));
      }
    });
  });
}
