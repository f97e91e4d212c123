/**
 * Changing a partner app (client-update.ts), pinned where mutation testing
 * (docs/mutation.md) needs it: the refusals (unknown id, the portal's own
 * client, each field a machine client may not change, the registration's
 * rules); each field changed on its own, and only it reported and stored;
 * fields the patch leaves out kept as they were (default scope, lifetime,
 * legacy refresh, back-channel logout with its `sid` requirement), clearing
 * the back-channel logout URI clearing the requirement with it; a patch that
 * changes nothing writes nothing (the clients version stays); a machine
 * client renamed keeps its own URIs and resource scopes; what the audit log
 * keeps; and the admin API's body schema. Against the real store (a SQLite
 * file and a PostgreSQL schema), without the app.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { ClientRecord, Store } from '../store/store.ts';
import { openTempStore, type TempStore } from '../testing/temp-store.ts';
import { refusal } from '../testing/app-error.ts';
import { registerClient } from './clients.ts';
import { createResource, registerMachineClient } from './machine.ts';
import { clientPatchSchema, clientUpdateAuditData, updateClient, type ClientPatch } from './client-update.ts';

const NOW = 1_790_000_000_000;
const MACHINE_ONLY = 'A machine client signs nobody in: only its name and access-token lifetime can change.';

for (const db of ['sqlite', 'postgres'] as const) {
  describe(`updateClient, exactly (${db})`, () => {
    let temp: TempStore;
    let store: Store;
    before(async () => {
      temp = await openTempStore(db, { timeoutMs: 30_000 });
      store = temp.store;
      await createResource(store, { identifier: 'https://orders.example', scopes: ['orders:read'] }, NOW);
    });
    after(async () => {
      await temp?.drop();
    });

    /** A confidential partner with every setting updateClient may keep or change set. */
    async function partner(over: Partial<Parameters<typeof registerClient>[1]> = {}): Promise<ClientRecord> {
      const { client } = await registerClient(
        store,
        {
          name: 'Partner',
          redirectUris: ['https://partner.example/cb'],
          isPublic: false,
          scopes: ['openid', 'email', 'profile'],
          logoUrl: 'https://partner.example/logo.png',
          defaultScope: 'openid email',
          accessTokenTtl: 600,
          legacyRefresh: true,
          options: { backchannelLogoutUri: 'https://partner.example/bcl', backchannelLogoutSessionRequired: true, requireDpop: true },
          ...over,
        },
        NOW,
      );
      return (await store.clients.find(client.clientId))!;
    }

    /** Updates, then checks the answer against the stored record and the fields reported. */
    async function update(c: ClientRecord, patch: ClientPatch, changed: string[], expect: Partial<ClientRecord>) {
      const v0 = await store.clients.version();
      const got = await updateClient(store, c.clientId, patch);
      assert.deepEqual(got.changed, changed, JSON.stringify(patch));
      const stored = await store.clients.find(c.clientId);
      assert.deepEqual(stored, { ...c, ...expect }, JSON.stringify(patch));
      assert.deepEqual(got.client, { ...c, ...expect });
      assert.equal((await store.clients.version()) !== v0, changed.length > 0, 'written only when something changed');
      return got;
    }

    it('refuses an unknown id and the portal’s own client', async () => {
      assert.deepEqual(await refusal(updateClient(store, 'app_none', { name: 'X' })), {
        code: 'client_not_found',
        status: 404,
        message: 'No partner app with client id app_none.',
        fields: undefined,
      });
      const own = { ...(await partner()), clientId: 'portal-bff', firstParty: true };
      await store.clients.upsert(own);
      assert.deepEqual(await refusal(updateClient(store, 'portal-bff', { name: 'X' })), {
        code: 'client_not_found',
        status: 404,
        message: 'No partner app with client id portal-bff.',
        fields: undefined,
      });
      assert.deepEqual(await store.clients.find('portal-bff'), own);
    });

    it('changes each field on its own, and reports and stores only that one', async () => {
      const c = await partner();
      assert.deepEqual(
        [c.defaultScope, c.accessTokenTtl, c.legacyRefresh, c.backchannelLogoutUri, c.backchannelLogoutSessionRequired],
        ['openid email', 600, true, 'https://partner.example/bcl', true],
      );
      await update(c, {}, [], {});
      await update(c, { name: 'Partner' }, [], {});
      await update(c, { name: ' Partner ', redirectUris: ['https://partner.example/cb'], defaultScope: ['email', 'openid', 'email'] }, ['defaultScope'], {
        defaultScope: 'email openid',
      });
      const c1 = (await store.clients.find(c.clientId))!;
      await update(c1, { name: ' Renamed ' }, ['name'], { name: 'Renamed' });
      const c2 = (await store.clients.find(c.clientId))!;
      await update(c2, { redirectUris: ['https://partner.example/cb2', 'https://partner.example/cb2'] }, ['redirectUris'], {
        redirectUris: ['https://partner.example/cb2'],
      });
      const c3 = (await store.clients.find(c.clientId))!;
      await update(c3, { postLogoutRedirectUris: ['https://partner.example/bye'] }, ['postLogoutRedirectUris'], {
        postLogoutRedirectUris: ['https://partner.example/bye'],
      });
      const c4 = (await store.clients.find(c.clientId))!;
      await update(c4, { defaultScope: 'profile' }, ['defaultScope'], { defaultScope: 'profile' });
      const c5 = (await store.clients.find(c.clientId))!;
      await update(c5, { accessTokenTtl: 120 }, ['accessTokenTtl'], { accessTokenTtl: 120 });
      const c6 = (await store.clients.find(c.clientId))!;
      await update(c6, { legacyRefresh: false }, ['legacyRefresh'], { legacyRefresh: false });
      const c7 = (await store.clients.find(c.clientId))!;
      await update(c7, { backchannelLogoutSessionRequired: false }, ['backchannelLogoutSessionRequired'], { backchannelLogoutSessionRequired: false });
      const c8 = (await store.clients.find(c.clientId))!;
      await update(c8, { backchannelLogoutUri: 'https://partner.example/bcl2' }, ['backchannelLogoutUri'], {
        backchannelLogoutUri: 'https://partner.example/bcl2',
      });
      const c9 = (await store.clients.find(c.clientId))!;
      await update(c9, { defaultScope: null, accessTokenTtl: null, legacyRefresh: true }, ['defaultScope', 'accessTokenTtl', 'legacyRefresh'], {
        defaultScope: null,
        accessTokenTtl: null,
        legacyRefresh: true,
      });
      const c10 = (await store.clients.find(c.clientId))!;
      await update(c10, { defaultScope: [] }, [], {});
    });

    it('keeps the settings a patch leaves out, the back-channel logout requirement included', async () => {
      const c = await partner();
      const got = await update(c, { name: 'Kept' }, ['name'], { name: 'Kept' });
      assert.deepEqual(
        [got.client.defaultScope, got.client.accessTokenTtl, got.client.legacyRefresh, got.client.logoUrl, got.client.requireDpop],
        ['openid email', 600, true, 'https://partner.example/logo.png', true],
      );
      // A new URI keeps the sid requirement; clearing it clears both, unless the patch asks otherwise.
      const c1 = (await store.clients.find(c.clientId))!;
      await update(c1, { backchannelLogoutUri: ' https://partner.example/bcl3 ' }, ['backchannelLogoutUri'], {
        backchannelLogoutUri: 'https://partner.example/bcl3',
      });
      const c2 = (await store.clients.find(c.clientId))!;
      await update(c2, { backchannelLogoutUri: null }, ['backchannelLogoutUri', 'backchannelLogoutSessionRequired'], {
        backchannelLogoutUri: null,
        backchannelLogoutSessionRequired: false,
      });
      const c3 = (await store.clients.find(c.clientId))!;
      await update(c3, { backchannelLogoutUri: '' }, [], {});
      await update(c3, { name: 'Kept again' }, ['name'], { name: 'Kept again' });
      const c4 = (await store.clients.find(c.clientId))!;
      await update(
        c4,
        { backchannelLogoutUri: 'https://partner.example/bcl4', backchannelLogoutSessionRequired: true },
        ['backchannelLogoutUri', 'backchannelLogoutSessionRequired'],
        {
          backchannelLogoutUri: 'https://partner.example/bcl4',
          backchannelLogoutSessionRequired: true,
        },
      );
      const c5 = (await store.clients.find(c.clientId))!;
      const ask = await refusal(updateClient(store, c.clientId, { backchannelLogoutUri: null, backchannelLogoutSessionRequired: true }));
      assert.deepEqual(ask, {
        code: 'invalid_client_metadata',
        status: 400,
        message: 'Requiring a session id in logout tokens needs a back-channel logout URI.',
        fields: { backchannelLogoutUri: 'Requiring a session id in logout tokens needs a back-channel logout URI.' },
      });
      assert.deepEqual(await store.clients.find(c.clientId), c5);
    });

    it('a partner registered without the optional settings: a rename changes the name only', async () => {
      const { client } = await registerClient(store, { name: 'Bare', redirectUris: ['https://bare.example/cb'], isPublic: true }, NOW);
      const c = (await store.clients.find(client.clientId))!;
      assert.equal('backchannelLogoutUri' in c, false);
      const got = await updateClient(store, c.clientId, { name: 'Bare 2' });
      assert.deepEqual(got.changed, ['name']);
      assert.deepEqual(got.client, { ...c, name: 'Bare 2', backchannelLogoutUri: null, backchannelLogoutSessionRequired: false });
      assert.deepEqual(await store.clients.find(c.clientId), { ...c, name: 'Bare 2', backchannelLogoutSessionRequired: false, backchannelLogoutUri: null });
      const v = await store.clients.version();
      assert.deepEqual((await updateClient(store, c.clientId, { legacyRefresh: false, defaultScope: null, accessTokenTtl: null })).changed, []);
      assert.equal(await store.clients.version(), v);
    });

    it('refuses a bad value with the registration’s own error, and stores nothing', async () => {
      const c = await partner();
      const cases: Array<[ClientPatch, string, string, string]> = [
        [{ name: '  ' }, 'invalid_client_metadata', 'name', 'A name is required.'],
        [{ redirectUris: [] }, 'invalid_redirect_uri', 'redirectUris', 'At least one redirect URI is required.'],
        [
          { redirectUris: ['http://partner.example/cb'] },
          'invalid_redirect_uri',
          'redirectUris',
          'The redirect URI "http://partner.example/cb" must use https (http is allowed only on localhost, 127.0.0.1 or [::1]).',
        ],
        [
          { postLogoutRedirectUris: ['https://partner.example/#'] },
          'invalid_client_metadata',
          'postLogoutRedirectUris',
          'The post-logout redirect URI "https://partner.example/#" must not contain a fragment (#).',
        ],
        [
          { defaultScope: 'offline_access' },
          'invalid_client_metadata',
          'defaultScope',
          "The default scope must be among the app's scopes (openid, email, profile); not: offline_access.",
        ],
        [{ accessTokenTtl: 59 }, 'invalid_client_metadata', 'accessTokenTtl', 'The access-token lifetime must be a whole number of seconds from 60 to 86400.'],
        [
          { backchannelLogoutUri: 'http://partner.example/bcl' },
          'invalid_client_metadata',
          'backchannelLogoutUri',
          'The back-channel logout URI must use https (http is allowed only on localhost, 127.0.0.1 or [::1]).',
        ],
      ];
      for (const [patch, code, field, message] of cases) {
        assert.deepEqual(
          await refusal(updateClient(store, c.clientId, patch)),
          { code, status: 400, message, fields: { [field]: message } },
          JSON.stringify(patch),
        );
      }
      assert.deepEqual(await store.clients.find(c.clientId), c);
    });

    it('a machine client: only its name and lifetime change; its URIs and resource scopes stay', async () => {
      const { client } = await registerMachineClient(store, { name: 'Robot', scopes: ['orders:read'], accessTokenTtl: 300 }, NOW);
      const c = (await store.clients.find(client.clientId))!;
      const refusals: ClientPatch[] = [
        { redirectUris: ['https://robot.example/cb'] },
        { postLogoutRedirectUris: [] },
        { defaultScope: null },
        { defaultScope: 'orders:read' },
        { legacyRefresh: false },
        { backchannelLogoutUri: null },
        { backchannelLogoutSessionRequired: false },
        { name: 'Robot 2', backchannelLogoutUri: 'https://robot.example/bcl' },
      ];
      for (const patch of refusals) {
        assert.deepEqual(
          await refusal(updateClient(store, c.clientId, patch)),
          { code: 'invalid_client_metadata', status: 400, message: MACHINE_ONLY, fields: undefined },
          JSON.stringify(patch),
        );
      }
      assert.deepEqual(await store.clients.find(c.clientId), c);
      await update(c, { name: 'Robot 2' }, ['name'], { name: 'Robot 2', backchannelLogoutUri: null, backchannelLogoutSessionRequired: false });
      const c1 = (await store.clients.find(c.clientId))!;
      assert.deepEqual([c1.redirectUris, c1.postLogoutRedirectUris, c1.scopes, c1.machine], [[], [], ['orders:read'], true]);
      await update(c1, { accessTokenTtl: 900 }, ['accessTokenTtl'], { accessTokenTtl: 900 });
    });
  });
}

describe('the audit data and the admin API body', () => {
  it('keeps the changed fields’ new values, null for an absent one', () => {
    const c: ClientRecord = {
      clientId: 'app_1',
      name: 'New',
      secret: 'not kept',
      redirectUris: ['https://partner.example/cb'],
      postLogoutRedirectUris: [],
      scopes: ['openid'],
      logoUrl: null,
      firstParty: false,
      createdAt: 1,
      accessTokenTtl: 120,
      legacyRefresh: false,
    };
    assert.deepEqual(clientUpdateAuditData(c, []), { clientId: 'app_1', changed: [] });
    assert.deepEqual(clientUpdateAuditData(c, ['name', 'accessTokenTtl', 'legacyRefresh', 'defaultScope', 'backchannelLogoutUri']), {
      clientId: 'app_1',
      changed: ['name', 'accessTokenTtl', 'legacyRefresh', 'defaultScope', 'backchannelLogoutUri'],
      name: 'New',
      accessTokenTtl: 120,
      legacyRefresh: false,
      defaultScope: null,
      backchannelLogoutUri: null,
    });
  });

  it('takes every field, each optional, and refuses unknown ones and values past the bounds', () => {
    const full = {
      name: 'N',
      redirectUris: ['https://p.example/cb'],
      postLogoutRedirectUris: ['https://p.example/'],
      defaultScope: ['openid'],
      accessTokenTtl: 60,
      legacyRefresh: true,
      backchannelLogoutUri: 'https://p.example/bcl',
      backchannelLogoutSessionRequired: false,
    };
    assert.deepEqual(clientPatchSchema.parse(full), full);
    assert.deepEqual(clientPatchSchema.parse({ defaultScope: null, accessTokenTtl: null, backchannelLogoutUri: null }), {
      defaultScope: null,
      accessTokenTtl: null,
      backchannelLogoutUri: null,
    });
    assert.deepEqual(clientPatchSchema.parse({}), {});
    assert.equal(clientPatchSchema.safeParse({ secret: 'x' }).success, false);
    assert.equal(clientPatchSchema.safeParse({ ...full, scopes: ['openid'] }).success, false);
    const long = (n: number) => 'x'.repeat(n);
    const tooMuch: Array<Record<string, unknown>> = [
      { name: long(201) },
      { redirectUris: [long(2001)] },
      { redirectUris: Array.from({ length: 21 }, (_, i) => `https://p.example/${i}`) },
      { postLogoutRedirectUris: [long(2001)] },
      { postLogoutRedirectUris: Array.from({ length: 21 }, (_, i) => `https://p.example/${i}`) },
      { defaultScope: [long(101)] },
      { defaultScope: Array.from({ length: 21 }, () => 'openid') },
      { accessTokenTtl: 60.5 },
      { backchannelLogoutUri: long(2001) },
    ];
    for (const body of tooMuch) assert.equal(clientPatchSchema.safeParse(body).success, false, Object.keys(body)[0]);
    const atBounds = {
      name: long(200),
      redirectUris: Array.from({ length: 20 }, () => long(2000)),
      postLogoutRedirectUris: Array.from({ length: 20 }, () => long(2000)),
      defaultScope: Array.from({ length: 20 }, () => long(100)),
      backchannelLogoutUri: long(2000),
    };
    assert.deepEqual(clientPatchSchema.parse(atBounds), atBounds);
  });
});
