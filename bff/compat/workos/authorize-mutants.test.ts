/**
 * `requestedConnection` (authorize.ts) called directly on the real store,
 * where mutation testing (docs/mutation.md) found it unchecked: each of
 * connection_id, organization_id and provider given twice is refused by name,
 * an empty one counts as absent, their precedence, an unknown connection or
 * provider refused with the value cut to 100 characters, a provider matched
 * by its issuer before a connection's name and only among social
 * connections. SQLite and PostgreSQL.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { openStoreDeps, type StoreDeps } from '../../testing/temp-store.ts';
import { createOrganization } from '../../orgs/orgs.ts';
import type { Connection } from '../../store/federation.ts';
import { requestedConnection } from './authorize.ts';
import { WorkOSError } from './map.ts';

const T = { timeout: 20000 };

for (const db of ['sqlite', 'postgres'] as const) {
  describe(`WorkOS authorize: the connection asked for, exactly (${db})`, () => {
    let app: StoreDeps;
    let orgWith: string;
    let orgWithout: string;
    const conn = (id: string, name: string, issuer: string, orgId: string | null): Connection => ({
      id,
      name,
      issuer,
      clientId: 'upstream-client',
      clientSecret: 'sealed-elsewhere',
      scopes: ['openid'],
      orgId,
      domains: [],
      createdAt: Date.now(),
      updatedAt: Date.now(),
    });
    before(async () => {
      app = await openStoreDeps(db);
      orgWith = (await createOrganization(app.store, `With ${db}`, Date.now())).id;
      orgWithout = (await createOrganization(app.store, `Without ${db}`, Date.now())).id;
      // The organization's own connection is at Google too: never a `provider` match.
      await app.store.federation.createConnection(conn('conn_org', 'Org Google', 'https://accounts.google.com', orgWith));
      // A social connection named like a provider, whose issuer is not that provider's.
      await app.store.federation.createConnection(conn('conn_named', 'GitHubOAuth', 'https://idp.example', null));
      await app.store.federation.createConnection(conn('conn_google', 'Google', 'https://accounts.google.com', null));
      await app.store.federation.createConnection(conn('conn_github', 'GitHub', 'https://github.com', null));
      await app.store.federation.createConnection(conn('conn_upstream', 'Upstream', 'https://upstream.example', null));
    });
    after(() => app.drop());

    const ask = (pairs: string[][]) => requestedConnection(app.store, new URLSearchParams(pairs));
    async function refusal(pairs: string[][]) {
      try {
        await ask(pairs);
      } catch (e) {
        assert.ok(e instanceof WorkOSError, String(e));
        return [e.status, e.oauthError, e.code, e.message];
      }
      return assert.fail(`expected a refusal of ${JSON.stringify(pairs)}`);
    }

    it('each parameter given twice is refused by name, even when one is empty', T, async () => {
      for (const name of ['connection_id', 'organization_id', 'provider']) {
        assert.deepEqual(
          await refusal([
            [name, 'conn_google'],
            [name, ''],
          ]),
          [400, 'invalid_request', 'invalid_request_parameters', `${name} must be given once.`],
        );
      }
    });

    it('connection_id: a known one wins over the others; an unknown one is refused (cut to 100 characters)', T, async () => {
      assert.equal(
        await ask([
          ['connection_id', 'conn_upstream'],
          ['organization_id', orgWith],
          ['provider', 'GoogleOAuth'],
        ]),
        'conn_upstream',
      );
      assert.equal(await ask([['connection_id', 'conn_org']]), 'conn_org');
      const long = `conn_${'x'.repeat(150)}`;
      assert.deepEqual(await refusal([['connection_id', long]]), [
        400,
        'invalid_request',
        'connection_not_found',
        `No connection with the id ${long.slice(0, 100)}.`,
      ]);
      // Empty is absent: the next parameter decides.
      assert.equal(
        await ask([
          ['connection_id', ''],
          ['provider', 'Upstream'],
        ]),
        'conn_upstream',
      );
    });

    it("organization_id: that organization's connection, or the portal's screen; it wins over provider", T, async () => {
      assert.equal(await ask([['organization_id', orgWith]]), 'conn_org');
      assert.equal(
        await ask([
          ['organization_id', orgWithout],
          ['provider', 'nothing-like-it'],
        ]),
        null,
      );
      assert.equal(await ask([['organization_id', 'org_unknown']]), null);
      assert.equal(
        await ask([
          ['organization_id', ''],
          ['provider', 'GoogleOAuth'],
        ]),
        'conn_google',
      );
    });

    it("provider: none or authkit is the portal's screen; an issuer's provider before a name; social only", T, async () => {
      assert.equal(await ask([]), null);
      assert.equal(await ask([['provider', 'authkit']]), null);
      assert.equal(await ask([['provider', '']]), null);
      assert.equal(await ask([['provider', 'GoogleOAuth']]), 'conn_google');
      assert.equal(await ask([['provider', 'GitHubOAuth']]), 'conn_github', "github.com's connection, not the one named GitHubOAuth");
      assert.equal(await ask([['provider', 'Upstream']]), 'conn_upstream');
      assert.equal(await ask([['provider', 'GitHub']]), 'conn_github');
      const long = `P${'y'.repeat(150)}`;
      for (const provider of ['Org Google', 'AppleOAuth', 'Password', long]) {
        assert.deepEqual(
          await refusal([['provider', provider]]),
          [400, 'invalid_request', 'provider_not_configured', `The provider ${provider.slice(0, 100)} is not configured on this portal.`],
          provider.slice(0, 20),
        );
      }
    });
  });
}
