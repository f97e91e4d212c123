/**
 * Auth:AuthCode's redemption (auth-code.ts) and the identity it gives
 * (renewal.ts: identityFromTokenResponse, narrow), called directly against
 * the real provider and store on SQLite and PostgreSQL, where mutation testing
 * (docs/mutation.md) found them unchecked: the identity exactly (user, name,
 * client, scopes, expiry, and the refresh token kept server side with the
 * secret proved or none for a public client), each refusal (unknown code,
 * another client's code, a confidential client without or with a wrong
 * secret, a PKCE-bound code without its verifier, a public client sending a
 * secret) leaving the code redeemable by its rightful owner, a replayed code,
 * and Scope narrowing (all, fewer through a down-scoping refresh that
 * destroys the wider token, none: token withheld).
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { decodeJwt } from 'jose';
import { startTestApp, type TestApp } from '../../testing/test-app.ts';
import { createAccount } from '../../accounts/accounts.ts';
import { registerClient } from '../../oauth/clients.ts';
import { redeemAuthCode } from './auth-code.ts';
import { authCodeData } from './schema.ts';
import type { Identity } from './auth.ts';
import { Agent, codeFor, pkcePair, REDIRECT, tokenCall } from './test-client.ts';

const PASSWORD = 'correct horse battery staple';
const SCOPES = ['openid', 'profile', 'offline_access'];

interface Client {
  clientId: string;
  secret: string | null;
}

for (const db of ['sqlite', 'postgres'] as const) {
  describe(`Zenith AuthCode redemption, exactly (${db})`, () => {
    let app: TestApp;
    let userId: string;
    let email: string;
    let conf: Client;
    let other: Client;
    let pub: Client;

    before(async () => {
      app = await startTestApp({ db });
      email = `ada-${db}@example.com`;
      userId = (await createAccount(app.store, { email, password: PASSWORD, name: 'Ada Zenith' }, Date.now())).id;
      const reg = async (name: string, isPublic: boolean): Promise<Client> => {
        const { client, secret } = await registerClient(app.store, { name, redirectUris: [REDIRECT], isPublic, scopes: SCOPES }, Date.now());
        return { clientId: client.clientId, secret };
      };
      conf = await reg('Motif', false);
      other = await reg('Other', false);
      pub = await reg('TriOptimum', true);
    });
    after(() => app.close());

    const code = (c: Client, extra?: Record<string, string>) => codeFor(app, new Agent(app.url), c.clientId, email, PASSWORD, extra);
    const redeem = (data: Record<string, unknown>) => redeemAuthCode(app.deps, authCodeData.parse({ Provider: 'Paritech', ...data }));
    /** The rightful owner can still redeem the code: nothing spent it. */
    async function stillRedeemable(c: Client, grant: string, verifier?: string): Promise<void> {
      const res = await tokenCall(
        app,
        { grant_type: 'authorization_code', code: grant, redirect_uri: REDIRECT, ...(verifier ? { code_verifier: verifier } : {}) },
        c.clientId,
        c.secret,
      );
      assert.equal(res.status, 200, JSON.stringify(res.body));
    }
    /** The identity with its random parts checked and blanked. */
    function shape(id: Identity | null): Record<string, unknown> {
      assert.ok(id);
      const claims = decodeJwt(id.token);
      assert.equal(claims.exp, id.exp);
      assert.equal(claims.sub, userId);
      assert.match(id.grantId, /\S/);
      const { renewal, ...rest } = id;
      if (renewal) assert.match(renewal.refreshToken, /\S/);
      return { ...rest, token: claims.scope, grantId: '', exp: 0, ...(renewal ? { renewal: { ...renewal, refreshToken: '' } } : {}) };
    }

    it('a confidential client’s code and secret: the identity, with the refresh token and secret kept to renew', { timeout: 20000 }, async () => {
      const grant = await code(conf);
      const id = await redeem({ ClientID: conf.clientId, ClientSecret: conf.secret, AuthGrant: grant });
      assert.deepEqual(shape(id), {
        token: 'openid profile',
        userId,
        displayName: 'Ada Zenith',
        clientId: conf.clientId,
        grantId: '',
        scope: ['openid', 'profile'],
        exp: 0,
        renewal: { clientId: conf.clientId, clientSecret: conf.secret, refreshToken: '' },
      });
      assert.equal(await redeem({ ClientID: conf.clientId, ClientSecret: conf.secret, AuthGrant: grant }), null, 'a replayed code');
    });

    it('refusals that leave the code to its rightful owner', { timeout: 20000 }, async () => {
      assert.equal(await redeem({ ClientID: conf.clientId, ClientSecret: conf.secret, AuthGrant: 'not-a-code' }), null);
      const grant = await code(conf);
      assert.equal(await redeem({ ClientID: other.clientId, ClientSecret: other.secret, AuthGrant: grant }), null, 'another client’s code');
      assert.equal(await redeem({ ClientID: conf.clientId, AuthGrant: grant }), null, 'no secret');
      assert.equal(await redeem({ ClientID: conf.clientId, ClientSecret: '', AuthGrant: grant }), null, 'an empty secret');
      assert.equal(await redeem({ ClientID: conf.clientId, ClientSecret: null, AuthGrant: grant }), null, 'a null secret');
      assert.equal(await redeem({ ClientID: conf.clientId, ClientSecret: 'wrong', AuthGrant: grant }), null, 'a wrong secret');
      assert.equal(
        await redeem({ ClientID: conf.clientId, ClientSecret: 'wrong', AuthGrant: grant, Scope: ['openid'] }),
        null,
        'a wrong secret, with a Scope to narrow to',
      );
      await stillRedeemable(conf, grant);

      const { verifier, challenge } = pkcePair();
      const bound = await code(conf, { code_challenge: challenge, code_challenge_method: 'S256' });
      assert.equal(await redeem({ ClientID: conf.clientId, ClientSecret: conf.secret, AuthGrant: bound }), null, 'a PKCE-bound code without its verifier');
      await stillRedeemable(conf, bound, verifier);
    });

    it('a code whose client was deleted since is refused, not an error', { timeout: 20000 }, async () => {
      const gone = await registerClient(app.store, { name: 'Gone', redirectUris: [REDIRECT], isPublic: false, scopes: SCOPES }, Date.now());
      const grant = await code({ clientId: gone.client.clientId, secret: gone.secret });
      assert.ok(await app.deps.provider.AuthorizationCode.find(grant), 'the code outlives its client');
      assert.equal(await app.store.clients.delete(gone.client.clientId), true);
      assert.equal(await redeem({ ClientID: gone.client.clientId, ClientSecret: gone.secret, AuthGrant: grant }), null);
    });

    it('a public client: the code and its verifier, no secret; a secret sent is refused', { timeout: 20000 }, async () => {
      const { verifier, challenge } = pkcePair();
      const grant = await code(pub, { code_challenge: challenge, code_challenge_method: 'S256' });
      assert.equal(await redeem({ ClientID: pub.clientId, ClientSecret: 'guess', AuthGrant: `code=${grant}&code_verifier=${verifier}` }), null);
      assert.equal(await redeem({ ClientID: pub.clientId, AuthGrant: grant }), null, 'no verifier');
      const id = await redeem({ ClientID: pub.clientId, ClientSecret: '', AuthGrant: `code=${grant}&code_verifier=${verifier}` });
      assert.deepEqual(shape(id), {
        token: 'openid profile',
        userId,
        displayName: 'Ada Zenith',
        clientId: pub.clientId,
        grantId: '',
        scope: ['openid', 'profile'],
        exp: 0,
        renewal: { clientId: pub.clientId, clientSecret: null, refreshToken: '' },
      });
    });

    it('Scope: omitted or null is everything; a subset down-scopes the token; nothing granted withholds it', { timeout: 20000 }, async () => {
      const asConf = async (Scope: unknown) => redeem({ ClientID: conf.clientId, ClientSecret: conf.secret, AuthGrant: await code(conf), Scope });
      // The access token carries what the code granted but offline_access (the refresh token stands for that).
      assert.deepEqual(shape(await asConf(null)).scope, ['openid', 'profile']);
      assert.deepEqual(shape(await asConf(['offline_access', 'profile', 'openid', 'email'])).scope, ['openid', 'profile']);

      const fewer = await asConf(['openid', 'email']);
      const s = shape(fewer);
      assert.deepEqual(
        { token: s.token, scope: s.scope, renewal: s.renewal },
        {
          token: 'openid',
          scope: ['openid'],
          renewal: { clientId: conf.clientId, clientSecret: conf.secret, refreshToken: '' },
        },
      );
      assert.equal(fewer!.tokenWithheld, undefined);

      const none = await asConf(['Paritech.Zenith']);
      const n = shape(none);
      assert.deepEqual({ token: n.token, scope: n.scope, tokenWithheld: n.tokenWithheld }, { token: 'openid profile', scope: [], tokenWithheld: true });
      const empty = await asConf([]);
      assert.deepEqual({ scope: empty!.scope, tokenWithheld: empty!.tokenWithheld }, { scope: [], tokenWithheld: true });
    });
  });
}
