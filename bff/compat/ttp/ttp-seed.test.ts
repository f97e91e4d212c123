/**
 * Seed 004 (The Trading Parrot), sent as the document shows: `GET /oauth/authorize`
 * with only client_id, redirect_uri and response_type=code (no scope, no state);
 * `POST /oauth/token` with the secret in the body (simple-oauth2); the answer's
 * `expires_in: 86400` and `scope: "basic"`; and the legacy refresh
 * `GET /oauth?=token` carrying only grant_type and refresh_token, answered with
 * both `refresh_token` and `request_token`. The legacy refresh is per client,
 * off by default, audited, bound to the client, rotated and reuse-detected.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { AuthorizationCode } from 'simple-oauth2';
import { startTestApp, type TestApp } from '../../testing/test-app.ts';
import { Agent, authorizeThrough } from '../../testing/agent.ts';
import { refreshWith } from '../../testing/partner.ts';
import { createAccount } from '../../accounts/accounts.ts';
import { registerClient, type NewClientInput } from '../../oauth/clients.ts';

const PASSWORD = 'correct horse battery staple';
const EMAIL = 'parrot@example.com';
const REDIRECT = 'https://tradingparrot.example/callback';

interface Registered {
  clientId: string;
  secret: string;
  oauth: AuthorizationCode;
}

async function register(app: TestApp, extra: Partial<NewClientInput>): Promise<Registered> {
  const reg = await registerClient(
    app.store,
    { name: 'The Trading Parrot', redirectUris: [REDIRECT], isPublic: false, scopes: ['basic'], ...extra },
    Date.now(),
  );
  const oauth = new AuthorizationCode({
    client: { id: reg.client.clientId, secret: reg.secret! },
    auth: { tokenHost: app.url, tokenPath: '/oauth/token', authorizePath: '/oauth/authorize' },
    // The document sends client_id and client_secret as body parameters.
    options: { authorizationMethod: 'body' },
  });
  return { clientId: reg.client.clientId, secret: reg.secret!, oauth };
}

/** Step 1 and 2 of the document; returns the token answer. */
async function signIn(app: TestApp, c: Registered): Promise<Record<string, unknown>> {
  const authorizeUrl = c.oauth.authorizeURL({ redirect_uri: REDIRECT });
  const sent = new URL(authorizeUrl);
  assert.deepEqual([...sent.searchParams.keys()].sort(), ['client_id', 'redirect_uri', 'response_type'], "exactly the document's three parameters");
  const end = await authorizeThrough(new Agent(app.url), authorizeUrl, { email: EMAIL, password: PASSWORD });
  assert.equal(`${end.origin}${end.pathname}`, REDIRECT, `ended at ${end.href}`);
  const code = end.searchParams.get('code');
  assert.ok(code, `no code in ${end.href}`);
  return (await c.oauth.getToken({ code, redirect_uri: REDIRECT })).token as Record<string, unknown>;
}

/** The document's refresh: `GET /oauth?=token` with grant_type and refresh_token only. */
function legacyRefresh(app: TestApp, refreshToken: string): Promise<Response> {
  return fetch(`${app.url}/oauth?=token&grant_type=refresh_token&refresh_token=${encodeURIComponent(refreshToken)}`);
}

async function auditKinds(app: TestApp, kind: string): Promise<Array<Record<string, unknown>>> {
  return (await app.store.audit.iterate(1, 10_000)).filter((e) => e.kind === kind).map((e) => e.data);
}

for (const db of ['sqlite', 'postgres'] as const) {
  describe(`The Trading Parrot document, as written (${db})`, () => {
    let app: TestApp;
    let ttp: Registered;
    before(async () => {
      app = await startTestApp({ db });
      await createAccount(app.store, { email: EMAIL, password: PASSWORD, name: 'Polly' }, Date.now());
      ttp = await register(app, { defaultScope: 'basic', accessTokenTtl: 86400, legacyRefresh: true });
    });
    after(() => app.close());

    it("authorize without scope or state gets the client's default scope; the token lives 86400 s", async () => {
      const t = await signIn(app, ttp);
      assert.equal(String(t.token_type).toLowerCase(), 'bearer');
      assert.equal(t.expires_in, 86400);
      assert.equal(t.scope, 'basic');
      assert.equal(typeof t.access_token, 'string');
      assert.equal(typeof t.refresh_token, 'string');
      const claims = JSON.parse(Buffer.from(String(t.access_token).split('.')[1]!, 'base64url').toString()) as { iat: number; exp: number };
      assert.equal(claims.exp - claims.iat, 86400);
    });

    it('GET /oauth?=token refreshes: both refresh_token and request_token, rotated, audited', async () => {
      const t = await signIn(app, ttp);
      const before = (await auditKinds(app, 'legacy_refresh')).length;
      const res = await legacyRefresh(app, String(t.refresh_token));
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('cache-control'), 'no-store');
      const r = (await res.json()) as Record<string, unknown>;
      assert.equal(r.expires_in, 86400);
      assert.equal(r.scope, 'basic');
      assert.equal(String(r.token_type).toLowerCase(), 'bearer');
      assert.equal(typeof r.access_token, 'string');
      assert.notEqual(r.access_token, t.access_token);
      assert.equal(typeof r.request_token, 'string');
      assert.equal(r.request_token, r.refresh_token);
      assert.notEqual(r.refresh_token, t.refresh_token, 'rotated');
      const entries = await auditKinds(app, 'legacy_refresh');
      assert.equal(entries.length, before + 1);
      assert.deepEqual(entries.at(-1), { clientId: ttp.clientId, ok: true });
      // The new one works through the same door, and through the standard one.
      const again = await legacyRefresh(app, String(r.request_token));
      assert.equal(again.status, 200);
      const a = (await again.json()) as Record<string, string>;
      assert.equal((await refreshWith(app, ttp, a.refresh_token!)).status, 200);
    });

    it('a spent refresh token is reuse: refused, and the whole grant is revoked', async () => {
      const t = await signIn(app, ttp);
      const first = (await (await legacyRefresh(app, String(t.refresh_token))).json()) as Record<string, string>;
      app.clock.offset = (app.config.refreshReuseWindow + 1) * 1000;
      try {
        const replay = await legacyRefresh(app, String(t.refresh_token));
        assert.equal(replay.status, 400);
        assert.equal(((await replay.json()) as { error: string }).error, 'invalid_grant');
        const newest = await legacyRefresh(app, first.refresh_token!);
        assert.equal(newest.status, 400, 'the grant is gone');
      } finally {
        app.clock.offset = 0;
      }
    });

    it("is off by default: another client's token is refused, audited, and not spent", async () => {
      const plain = await register(app, { defaultScope: 'basic' });
      const t = await signIn(app, plain);
      assert.equal(t.expires_in, app.config.ttl.accessToken, 'the default lifetime');
      const before = (await auditKinds(app, 'legacy_refresh')).length;
      const res = await legacyRefresh(app, String(t.refresh_token));
      assert.equal(res.status, 400);
      const body = (await res.json()) as { error: string; error_description: string };
      assert.equal(body.error, 'invalid_grant');
      const entries = await auditKinds(app, 'legacy_refresh');
      assert.equal(entries.length, before + 1);
      assert.deepEqual(entries.at(-1), { clientId: plain.clientId, ok: false });
      assert.equal((await refreshWith(app, plain, String(t.refresh_token))).status, 200, 'still usable at /oauth/token');
    });

    it('bad legacy requests get RFC 6749 errors, never a 500', async () => {
      const noGrant = await fetch(`${app.url}/oauth?=token&refresh_token=x`);
      assert.equal(noGrant.status, 400);
      assert.equal(((await noGrant.json()) as { error: string }).error, 'invalid_request');
      const unknown = await legacyRefresh(app, 'not-a-refresh-token');
      assert.equal(unknown.status, 400);
      assert.equal(((await unknown.json()) as { error: string }).error, 'invalid_grant');
    });
  });
}
