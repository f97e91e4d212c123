/**
 * The form-body shim in front of oidc-provider (structured-tokens.ts), pinned
 * where mutation testing (docs/mutation.md) needs it: the 56 KiB limit on
 * both sides of its edge, the edge check's answer, which requests it leaves
 * alone, a JWT access token introspected and revoked only when it is the one
 * `token` parameter, and the lookup value the adapter reads. Real app, real
 * provider, a partner's real tokens; SQLite and PostgreSQL.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestApp, type TestApp } from '../testing/test-app.ts';
import { createAccount } from '../accounts/accounts.ts';
import { registerClient } from './clients.ts';
import { issueCode } from './core.ts';
import { JWT_MARK, jwtFromLookupValue } from './structured-tokens.ts';

const REDIRECT = 'https://partner.example/cb';
const LIMIT = 56 * 1024;
const JWT = 'aGVhZGVy.cGF5bG9hZA.c2ln';

describe('lookup values', () => {
  it('reads the JWT inside a marked or bare value, and nothing else', () => {
    assert.equal(JWT_MARK, '~');
    assert.equal(jwtFromLookupValue(`~${JWT}`), JWT);
    assert.equal(jwtFromLookupValue(JWT), JWT);
    assert.equal(jwtFromLookupValue('~opaque-token'), null);
    assert.equal(jwtFromLookupValue('a.b'), null);
    assert.equal(jwtFromLookupValue('a.b.c.d'), null);
    assert.equal(jwtFromLookupValue(`x${JWT}`.replace('aGVh', 'a+Vh')), null, 'base64url characters only');
    assert.equal(jwtFromLookupValue(`${JWT} `), null, 'to the end');
    assert.equal(jwtFromLookupValue(` ${JWT}`), null, 'from the start');
    assert.equal(jwtFromLookupValue('~~' + JWT), null, 'one mark only');
  });
});

for (const db of ['sqlite', 'postgres'] as const) {
  describe(`the form-body shim, exactly (${db})`, () => {
    let app: TestApp;
    let clientId: string;
    let secret: string;
    let accountId: string;
    before(async () => {
      app = await startTestApp({ db });
      const reg = await registerClient(
        app.store,
        { name: 'Partner', redirectUris: [REDIRECT], isPublic: false, scopes: ['openid', 'offline_access'] },
        Date.now(),
      );
      clientId = reg.client.clientId;
      secret = reg.secret!;
      accountId = (await createAccount(app.store, { email: 'shim@example.com', password: 'correct horse battery staple' }, Date.now())).id;
    });
    after(async () => {
      await app?.close();
    });

    const basic = () => `Basic ${Buffer.from(`${clientId}:${secret}`).toString('base64')}`;
    const post = (path: string, body: string, type = 'application/x-www-form-urlencoded') =>
      fetch(`${app.config.issuer}${path}`, { method: 'POST', headers: { 'content-type': type, authorization: basic() }, body });
    async function accessToken(): Promise<string> {
      const { code } = await issueCode(app.deps, { clientId, accountId, scopes: ['openid'], redirectUri: REDIRECT, amr: ['pwd'] });
      const res = await post('/token', new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT }).toString());
      assert.equal(res.status, 200);
      const { access_token } = (await res.json()) as { access_token: string };
      assert.match(access_token, /^[\w-]+\.[\w-]+\.[\w-]+$/, 'a JWT access token');
      return access_token;
    }
    const padded = (params: Record<string, string>, size: number) => {
      const base = new URLSearchParams(params).toString() + '&pad=';
      return base + 'x'.repeat(size - base.length);
    };

    it('reads a body of exactly 56 KiB, refuses one byte more in the RFC 6749 format', async () => {
      const atLimit = await post('/token', padded({ grant_type: 'urn:nothing' }, LIMIT));
      assert.equal(atLimit.status, 400);
      assert.equal(((await atLimit.json()) as { error: string }).error, 'unsupported_grant_type', "read whole: the provider's own answer");
      const over = await post('/token', padded({ grant_type: 'urn:nothing' }, LIMIT + 1));
      assert.equal(over.status, 400);
      assert.deepEqual(await over.json(), { error: 'invalid_request', error_description: 'request entity too large' });
    });

    it('answers a NUL in the body with invalid_request and no-store, before the provider', async () => {
      const res = await post('/token', 'grant_type=authorization_code&code=a%00b');
      assert.equal(res.status, 400);
      assert.equal(res.headers.get('cache-control'), 'no-store');
      const body = (await res.json()) as Record<string, string>;
      assert.deepEqual(Object.keys(body).sort(), ['error', 'error_description']);
      assert.equal(body.error, 'invalid_request');
      assert.match(body.error_description!, /NUL/);
    });

    it('introspects and revokes a JWT access token given once; given twice it is not relabelled (oidc-provider refuses it)', async () => {
      const token = await accessToken();
      const twice = await post('/introspect', `token=${token}&token=${token}`);
      assert.equal(twice.status, 400, 'a repeated parameter is the provider’s to refuse');
      const active = await post('/introspect', new URLSearchParams({ token, token_type_hint: 'access_token' }).toString());
      assert.equal(((await active.json()) as { active: boolean }).active, true);
      const revoked = await post('/revoke', new URLSearchParams({ token }).toString());
      assert.equal(revoked.status, 200);
      const after = await post('/introspect', new URLSearchParams({ token }).toString());
      assert.equal(((await after.json()) as { active: boolean }).active, false, 'revoked through the shim');
    });

    it('leaves other bodies and methods to the provider as they came', async () => {
      // Not form-encoded: oidc-provider's own answer, not the shim's.
      const json = await post('/token', JSON.stringify({ grant_type: 'client_credentials' }), 'application/json');
      assert.equal(json.status, 400);
      assert.equal(((await json.json()) as { error: string }).error, 'invalid_request');
      // Even past the shim's limit: a JSON body is the provider's to refuse, with its own words.
      const bigJson = await post('/token', JSON.stringify({ grant_type: 'client_credentials', pad: 'x'.repeat(LIMIT) }), 'application/json');
      assert.equal(bigJson.status, 400);
      assert.deepEqual(await bigJson.json(), {
        error: 'invalid_request',
        error_description: 'only application/x-www-form-urlencoded content-type bodies are supported on POST /token',
      });
      // A form body at the token endpoint reaches the provider whole (its own refusal names the grant).
      const unknown = await post('/token', 'grant_type=urn:nothing');
      assert.equal(unknown.status, 400);
      assert.equal(((await unknown.json()) as { error: string }).error, 'unsupported_grant_type');
      // An over-long GET is not the shim's business.
      const get = await fetch(`${app.config.issuer}/.well-known/openid-configuration?${'x'.repeat(100)}`);
      assert.equal(get.status, 200);
    });

    it('leaves a form body on another method than POST to the provider, NUL and all', async () => {
      // Only POST bodies are oidc-provider's to read: a form body on PUT or DELETE is neither read
      // nor checked by the shim (its NUL answer would be a 400 invalid_request).
      for (const method of ['PUT', 'DELETE']) {
        const res = await fetch(`${app.config.issuer}/token`, {
          method,
          headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic() },
          body: 'grant_type=authorization_code&code=a%00b',
        });
        const text = await res.text();
        assert.equal(res.status, 404, `${method}: ${text}`);
        assert.doesNotMatch(text, /NUL/);
      }
    });
  });
}
