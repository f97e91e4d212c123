/**
 * The legacy refresh at `GET /oauth?=token` (legacy-refresh.ts, seed 004),
 * pinned where mutation testing (docs/mutation.md) needs it: each refusal's
 * status, body and no-store headers, the audit entry field by field, the
 * portal's own client never served, a public client served without a
 * secret, `request_token` mirroring the new refresh token only on success,
 * and other queries left to the provider. Real app, real provider, real
 * refresh tokens; SQLite and PostgreSQL.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestApp, type TestApp } from '../testing/test-app.ts';
import { createAccount } from '../accounts/accounts.ts';
import { registerClient } from './clients.ts';
import { issueCode } from './core.ts';

const REDIRECT = 'https://ttp.example/cb';
const INVALID = 'the refresh token is invalid, expired, revoked, or not enabled for the legacy refresh';
const UA = 'TradingParrot/1.0';

for (const db of ['sqlite', 'postgres'] as const) {
  describe(`the legacy refresh, exactly (${db})`, () => {
    let app: TestApp;
    let accountId: string;
    const clients: Record<'legacy' | 'publicLegacy' | 'plain', { clientId: string; secret: string | null }> = {} as never;
    before(async () => {
      app = await startTestApp({ db });
      accountId = (await createAccount(app.store, { email: 'ttp@example.com', password: 'correct horse battery staple' }, Date.now())).id;
      const scopes = ['openid', 'offline_access'];
      for (const [name, isPublic, legacyRefresh] of [
        ['legacy', false, true],
        ['publicLegacy', true, true],
        ['plain', false, false],
      ] as const) {
        const reg = await registerClient(app.store, { name, redirectUris: [REDIRECT], isPublic, scopes, legacyRefresh }, Date.now());
        clients[name] = { clientId: reg.client.clientId, secret: reg.secret ?? null };
      }
    });
    after(async () => {
      await app?.close();
    });

    async function refreshToken(which: keyof typeof clients): Promise<string> {
      const { clientId, secret } = clients[which];
      const { code } = await issueCode(app.deps, { clientId, accountId, scopes: ['openid', 'offline_access'], redirectUri: REDIRECT, amr: ['pwd'] });
      const res = await fetch(`${app.config.issuer}/token`, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          ...(secret ? { authorization: `Basic ${Buffer.from(`${clientId}:${secret}`).toString('base64')}` } : {}),
        },
        body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT, ...(secret ? {} : { client_id: clientId }) }),
      });
      assert.equal(res.status, 200);
      return ((await res.json()) as { refresh_token: string }).refresh_token;
    }
    const legacy = (query: string) => fetch(`${app.config.issuer}?${query}`, { headers: { 'user-agent': UA } });
    const entries = async () => (await app.store.audit.iterate(1, 100_000)).filter((e) => e.kind === 'legacy_refresh');
    async function refused(res: Response, error: string, description: string) {
      assert.equal(res.status, 400);
      assert.equal(res.headers.get('cache-control'), 'no-store');
      assert.equal(res.headers.get('pragma'), 'no-cache');
      const body = (await res.json()) as Record<string, unknown>;
      assert.equal(body.error, error);
      assert.deepEqual(body, { error, error_description: description });
    }

    it('refreshes a confidential and a public client: both names carry the new token, no-store, audited as ok', async () => {
      for (const which of ['legacy', 'publicLegacy'] as const) {
        const before = (await entries()).length;
        const token = await refreshToken(which);
        const res = await legacy(`=token&grant_type=refresh_token&refresh_token=${encodeURIComponent(token)}`);
        assert.equal(res.status, 200, which);
        assert.equal(res.headers.get('cache-control'), 'no-store');
        assert.equal(res.headers.get('pragma'), 'no-cache');
        const body = (await res.json()) as Record<string, unknown>;
        assert.equal(typeof body.refresh_token, 'string');
        assert.notEqual(body.refresh_token, token, 'rotated');
        assert.equal(body.request_token, body.refresh_token);
        assert.equal(typeof body.access_token, 'string');
        const added = (await entries()).slice(before);
        assert.equal(added.length, 1);
        assert.equal(added[0]!.subjectId, accountId);
        assert.equal(added[0]!.ip, '127.0.0.1');
        assert.equal(added[0]!.userAgent, UA);
        assert.deepEqual(added[0]!.data, { clientId: clients[which].clientId, ok: true });
      }
    });

    it("refuses a client without the legacy mode, the portal's own client and an unknown token alike, audited as not ok", async () => {
      const plainToken = await refreshToken('plain');
      const before = (await entries()).length;
      await refused(await legacy(`=token&grant_type=refresh_token&refresh_token=${plainToken}`), 'invalid_grant', INVALID);
      await refused(await legacy('=token&grant_type=refresh_token&refresh_token=no-such-token'), 'invalid_grant', INVALID);
      const added = (await entries()).slice(before);
      assert.equal(added.length, 2);
      assert.deepEqual(added[0]!.data, { clientId: clients.plain.clientId, ok: false });
      assert.equal(added[0]!.subjectId, accountId);
      assert.deepEqual(added[1]!.data, { clientId: null, ok: false });
      assert.equal(added[1]!.subjectId, null);
      assert.equal(added[1]!.userAgent, UA);
      // The BFF is first-party: made legacy by hand in the store, it is still refused.
      const bff = (await app.store.clients.list()).find((c) => c.firstParty)!;
      await app.store.clients.upsert({ ...bff, legacyRefresh: true });
      try {
        const { code } = await issueCode(app.deps, {
          clientId: bff.clientId,
          accountId,
          scopes: ['openid', 'offline_access'],
          redirectUri: bff.redirectUris[0]!,
          amr: ['pwd'],
        });
        const stored = await app.provider.AuthorizationCode.find(code);
        assert.ok(stored, 'a code for the BFF');
        const rt = new app.provider.RefreshToken({ accountId, clientId: bff.clientId, grantId: stored.grantId!, scope: 'openid offline_access' } as never);
        const value = await rt.save();
        await refused(await legacy(`=token&grant_type=refresh_token&refresh_token=${value}`), 'invalid_grant', INVALID);
      } finally {
        await app.store.clients.upsert(bff);
      }
    });

    it('a spent token: the token endpoint refuses it, and no request_token is made up', async () => {
      const token = await refreshToken('legacy');
      assert.equal((await legacy(`=token&grant_type=refresh_token&refresh_token=${token}`)).status, 200);
      const again = await legacy(`=token&grant_type=refresh_token&refresh_token=${token}`);
      assert.equal(again.status, 400);
      const body = (await again.json()) as Record<string, unknown>;
      assert.equal(body.error, 'invalid_grant');
      assert.equal(body.request_token, undefined);
      const last = (await entries()).at(-1)!;
      assert.deepEqual(last.data, { clientId: clients.legacy.clientId, ok: false });
    });

    it('checks the query: the grant type, the token present and at most 4,096 characters', async () => {
      const bad = async (query: string, message: string) => {
        const res = await legacy(query);
        assert.equal(res.status, 400, query);
        assert.equal(res.headers.get('cache-control'), 'no-store');
        assert.deepEqual(await res.json(), { error: 'invalid_request', error_description: message }, query);
      };
      await bad('=token&grant_type=authorization_code&refresh_token=x', 'grant_type: grant_type must be "refresh_token"');
      await bad('=token&grant_type=refresh_token', 'refresh_token: refresh_token is required');
      await bad('=token&grant_type=refresh_token&refresh_token=', 'refresh_token: refresh_token is required');
      const long = await legacy(`=token&grant_type=refresh_token&refresh_token=${'x'.repeat(4097)}`);
      assert.equal(long.status, 400);
      await refused(await legacy(`=token&grant_type=refresh_token&refresh_token=${'x'.repeat(4096)}`), 'invalid_grant', INVALID);
    });

    it('leaves any other query at /oauth to the provider', async () => {
      const res = await fetch(`${app.config.issuer}?=other`);
      assert.notEqual(res.headers.get('pragma'), 'no-cache', 'not answered by the legacy refresh');
      assert.equal((await entries()).filter((e) => e.data.clientId === undefined).length, 0);
    });
  });
}
