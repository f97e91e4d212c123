/**
 * /oauth/userinfo (userinfo.ts), pinned where mutation testing
 * (docs/mutation.md) needs it: each refusal's status, RFC 6750 challenge and
 * JSON body exactly, where a token may come from (one place only), the
 * claims released per scope, CORS for the token's own client only, and a
 * disabled account. Real app, real provider, real access tokens; SQLite and
 * PostgreSQL.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestApp, type TestApp } from '../testing/test-app.ts';
import { createAccount } from '../accounts/accounts.ts';
import { registerClient } from './clients.ts';
import { issueCode } from './core.ts';

const REDIRECT = 'https://partner.example/cb';
const PARTNER = 'https://partner.example';
const OTHER = 'https://other.example';

for (const db of ['sqlite', 'postgres'] as const) {
  describe(`userinfo, exactly (${db})`, () => {
    let app: TestApp;
    let clientId: string;
    let secret: string;
    let user: { id: string; updatedAt: number };
    let realm: string;
    before(async () => {
      app = await startTestApp({ db });
      realm = `realm="${app.config.issuer}"`;
      const reg = await registerClient(
        app.store,
        { name: 'Partner', redirectUris: [REDIRECT], isPublic: false, scopes: ['openid', 'profile', 'email', 'basic'] },
        Date.now(),
      );
      clientId = reg.client.clientId;
      secret = reg.secret!;
      await registerClient(app.store, { name: 'Other', redirectUris: [`${OTHER}/cb`], isPublic: true }, Date.now());
      user = await createAccount(
        app.store,
        { email: 'Info@Example.com', password: 'correct horse battery staple', name: 'Info Person', emailVerified: false },
        Date.now(),
      );
    });
    after(async () => {
      await app?.close();
    });

    async function token(scopes: string[], accountId = user.id): Promise<string> {
      const { code } = await issueCode(app.deps, { clientId, accountId, scopes, redirectUri: REDIRECT, amr: ['pwd'] });
      const res = await fetch(`${app.config.issuer}/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${clientId}:${secret}`).toString('base64')}` },
        body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT }),
      });
      assert.equal(res.status, 200);
      return ((await res.json()) as { access_token: string }).access_token;
    }
    const get = (headers: Record<string, string> = {}) => fetch(`${app.config.issuer}/userinfo`, { headers });
    const post = (body: Record<string, string>, headers: Record<string, string> = {}) =>
      fetch(`${app.config.issuer}/userinfo`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
        body: new URLSearchParams(body),
      });
    async function refusal(res: Response, status: number, challenge: string, body: Record<string, string>) {
      assert.equal(res.status, status);
      assert.equal(res.headers.get('www-authenticate'), `Bearer ${challenge}`);
      assert.equal(res.headers.get('cache-control'), 'no-store');
      assert.deepEqual(await res.json(), body);
    }

    it('releases exactly the claims of the scopes the token holds, no-store', async () => {
      const all = await get({ authorization: `Bearer ${await token(['openid', 'profile', 'email'])}` });
      assert.equal(all.status, 200);
      assert.equal(all.headers.get('cache-control'), 'no-store');
      assert.deepEqual(await all.json(), {
        sub: user.id,
        name: 'Info Person',
        updated_at: Math.floor(user.updatedAt / 1000),
        email: 'info@example.com',
        email_verified: false,
      });
      assert.deepEqual(await (await get({ authorization: `Bearer ${await token(['openid'])}` })).json(), { sub: user.id });
      assert.deepEqual(await (await get({ authorization: `Bearer ${await token(['openid', 'email'])}` })).json(), {
        sub: user.id,
        email: 'info@example.com',
        email_verified: false,
      });
      assert.deepEqual(await (await get({ authorization: `Bearer ${await token(['openid', 'basic'])}` })).json(), { sub: user.id }, 'basic releases no claim');
      // The scheme in any case; the token in a form body by POST.
      assert.equal((await get({ authorization: `bearer ${await token(['openid'])}` })).status, 200);
      assert.equal((await get({ authorization: `Bearer   ${await token(['openid'])}` })).status, 200, 'any run of spaces');
      // A POST with no body at all: the header's token.
      const bare = await fetch(`${app.config.issuer}/userinfo`, { method: 'POST', headers: { authorization: `Bearer ${await token(['openid'])}` } });
      assert.equal(bare.status, 200);
      // Form bodies stop at 16 KiB.
      const big = await post({ access_token: await token(['openid']), pad: 'x'.repeat(16 * 1024) });
      assert.equal(big.status, 413);
      assert.deepEqual(await (await post({ access_token: await token(['openid']) })).json(), { sub: user.id });
    });

    it('no token: 401 with the bare challenge', async () => {
      const none = { error: 'invalid_token', error_description: 'no access token provided' };
      await refusal(await get(), 401, realm, none);
      await refusal(await get({ authorization: 'Basic dXNlcjpwYXNz' }), 401, realm, none);
      await refusal(await get({ authorization: 'Bearer two words' }), 401, realm, none);
      await refusal(await get({ authorization: 'Bearer' }), 401, realm, none);
      await refusal(await post({ access_token: '' }), 401, realm, none);
      await refusal(await get({ authorization: `XBearer ${await token(['openid'])}` }), 401, realm, none);
      // The parameter given twice is no token (an array), not one of them.
      const t = await token(['openid']);
      const twice = await fetch(`${app.config.issuer}/userinfo`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: `access_token=${t}&access_token=${t}`,
      });
      await refusal(twice, 401, realm, none);
    });

    it('form parameters are flat: `access_token[]` is another parameter, not a second token', async () => {
      const t = await token(['openid']);
      const form = (body: string) =>
        fetch(`${app.config.issuer}/userinfo`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body });
      const beside = await form(`access_token=${t}&access_token[]=other`);
      assert.equal(beside.status, 200);
      assert.deepEqual(await beside.json(), { sub: user.id });
      await refusal(await form(`access_token[]=${t}`), 401, realm, { error: 'invalid_token', error_description: 'no access token provided' });
    });

    it('a token in the header and the body: 400 invalid_request', async () => {
      const t = await token(['openid']);
      const d = 'access token must only be provided using one mechanism';
      await refusal(await post({ access_token: t }, { authorization: `Bearer ${t}` }), 400, `${realm}, error="invalid_request", error_description="${d}"`, {
        error: 'invalid_request',
        error_description: d,
      });
    });

    it('an unknown token, a disabled account: 401 invalid_token', async () => {
      const d = 'invalid token provided';
      const expected = [401, `${realm}, error="invalid_token", error_description="${d}"`, { error: 'invalid_token', error_description: d }] as const;
      await refusal(await get({ authorization: 'Bearer not-a-token' }), ...expected);
      const other = await createAccount(app.store, { email: 'gone@example.com', password: 'correct horse battery staple' }, Date.now());
      const t = await token(['openid'], other.id);
      assert.equal((await get({ authorization: `Bearer ${t}` })).status, 200);
      await app.store.users.setDisabled(other.id, true, Date.now());
      await refusal(await get({ authorization: `Bearer ${t}` }), ...expected);
    });

    it('a token without openid: 403 insufficient_scope naming openid', async () => {
      const d = 'access token missing openid scope';
      await refusal(
        await get({ authorization: `Bearer ${await token(['basic'])}` }),
        403,
        `${realm}, error="insufficient_scope", error_description="${d}", scope="openid"`,
        { error: 'insufficient_scope', error_description: d },
      );
    });

    it('a DPoP scheme without a proof: 401 invalid_dpop_proof', async () => {
      const d = 'DPoP proof JWT not provided';
      await refusal(await get({ authorization: `DPoP ${await token(['openid'])}` }), 401, `${realm}, error="invalid_dpop_proof", error_description="${d}"`, {
        error: 'invalid_dpop_proof',
        error_description: d,
      });
    });

    it("CORS for the token's own client's origin; another partner's origin reads the error only until the token names its client", async () => {
      const t = await token(['openid']);
      const mine = await get({ authorization: `Bearer ${t}`, origin: PARTNER });
      assert.equal(mine.status, 200);
      assert.equal(mine.headers.get('access-control-allow-origin'), PARTNER);
      assert.equal(mine.headers.get('access-control-expose-headers'), 'WWW-Authenticate');
      assert.match(mine.headers.get('vary') ?? '', /\borigin\b/i);

      const d = "this origin is not one of the client's redirect URI origins";
      const theirs = await get({ authorization: `Bearer ${t}`, origin: OTHER });
      assert.equal(theirs.headers.get('access-control-allow-origin'), null);
      assert.equal(theirs.headers.get('access-control-expose-headers'), null);
      await refusal(theirs, 400, `${realm}, error="invalid_request", error_description="${d}"`, { error: 'invalid_request', error_description: d });

      const noToken = await get({ origin: OTHER });
      assert.equal(noToken.status, 401);
      assert.equal(noToken.headers.get('access-control-allow-origin'), OTHER, "a partner's page may read why");
      assert.equal(noToken.headers.get('access-control-expose-headers'), 'WWW-Authenticate');
      const strangerNoToken = await get({ origin: 'https://evil.example' });
      assert.equal(strangerNoToken.status, 401);
      assert.equal(strangerNoToken.headers.get('access-control-allow-origin'), null, 'a stranger may not even read the error');
      const stranger = await get({ authorization: `Bearer ${t}`, origin: 'https://evil.example' });
      assert.equal(stranger.status, 400);
      assert.equal(stranger.headers.get('access-control-allow-origin'), null);
      assert.match(stranger.headers.get('vary') ?? '', /\borigin\b/i);
      const server = await get({ authorization: `Bearer ${t}` });
      assert.equal(server.status, 200);
      assert.equal(server.headers.get('access-control-allow-origin'), null, 'no Origin, no CORS');
    });
  });
}
