/**
 * Zenith's renewal (renewal.ts), called directly against the real provider
 * and store on SQLite and PostgreSQL, where mutation testing
 * (docs/mutation.md) found it unchecked: the Provider word (Bearer in any
 * case; anything else names an upstream connection), an access token alone
 * (no renewal), a public client's refresh token (rotated: the successor held
 * with the one presented), a confidential client's refresh token refused and
 * unspent without a proved secret and accepted with one, someone else's
 * refresh token refused unspent, the connection's own token or the one it
 * presented renewing with what it holds (narrowed scope and a withheld token
 * kept; Scope null keeping them all), a connection without a renewal
 * presenting its own token again, a first-party app's refresh token refused
 * unspent, and abandon() destroying a held token but never a spent one.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { decodeJwt } from 'jose';
import { startTestApp, type TestApp } from '../../testing/test-app.ts';
import { createAccount } from '../../accounts/accounts.ts';
import { registerClient } from '../../oauth/clients.ts';
import type { Identity } from './auth.ts';
import { abandon, identityFromAuthToken } from './renewal.ts';
import { redeemAuthCode } from './auth-code.ts';
import { authCodeData } from './schema.ts';
import { Agent, codeFor, pkcePair, REDIRECT, tokenCall } from './test-client.ts';

const PASSWORD = 'correct horse battery staple';
const SCOPES = ['openid', 'profile', 'offline_access'];

interface Client {
  clientId: string;
  secret: string | null;
}

for (const db of ['sqlite', 'postgres'] as const) {
  describe(`Zenith renewal, exactly (${db})`, () => {
    let app: TestApp;
    let conf: Client;
    let pub: Client;
    let ada: string;
    let bob: string;
    let adaId: string;

    before(async () => {
      app = await startTestApp({ db, env: { REFRESH_REUSE_WINDOW: '0' } });
      ada = `ada-${db}@example.com`;
      bob = `bob-${db}@example.com`;
      adaId = (await createAccount(app.store, { email: ada, password: PASSWORD, name: 'Ada' }, Date.now())).id;
      await createAccount(app.store, { email: bob, password: PASSWORD, name: 'Bob' }, Date.now());
      const reg = async (name: string, isPublic: boolean): Promise<Client> => {
        const { client, secret } = await registerClient(app.store, { name, redirectUris: [REDIRECT], isPublic, scopes: SCOPES }, Date.now());
        return { clientId: client.clientId, secret };
      };
      conf = await reg('Motif', false);
      pub = await reg('TriOptimum', true);
    });
    after(() => app.close());

    /** Tokens from the real sign-in and /oauth/token (PKCE for the public client). */
    async function tokens(c: Client, email = ada): Promise<{ access: string; refresh: string }> {
      const pkce = c.secret === null ? pkcePair() : undefined;
      const code = await codeFor(
        app,
        new Agent(app.url),
        c.clientId,
        email,
        PASSWORD,
        pkce ? { code_challenge: pkce.challenge, code_challenge_method: 'S256' } : {},
      );
      const res = await tokenCall(
        app,
        { grant_type: 'authorization_code', code, redirect_uri: REDIRECT, ...(pkce ? { code_verifier: pkce.verifier } : {}) },
        c.clientId,
        c.secret,
      );
      assert.equal(res.status, 200, JSON.stringify(res.body));
      return { access: String(res.body.access_token), refresh: String(res.body.refresh_token) };
    }
    /** Whether /oauth/token still takes the refresh token (it is then spent). */
    async function usable(c: Client, refresh: string): Promise<boolean> {
      return (await tokenCall(app, { grant_type: 'refresh_token', refresh_token: refresh }, c.clientId, c.secret)).status === 200;
    }
    const stored = async (refresh: string) => {
      const rt = await app.deps.provider.RefreshToken.find(refresh, { ignoreExpiration: true });
      return rt ? { consumed: Boolean(rt.consumed) } : null;
    };
    /** The identity with its random parts checked and blanked. */
    function shape(id: Identity | null): Record<string, unknown> {
      assert.ok(id);
      const claims = decodeJwt(id.token);
      assert.equal(claims.exp, id.exp);
      assert.equal(claims.sub, id.userId);
      const { renewal, ...rest } = id;
      return {
        ...rest,
        token: claims.scope,
        grantId: '',
        exp: 0,
        ...(renewal ? { renewal: { ...renewal, refreshToken: renewal.refreshToken ? 'held' : '' } } : {}),
      };
    }

    it(
      'Bearer in any case is the portal’s; an access token alone is an identity without a renewal; another Provider is an upstream one',
      { timeout: 45000 },
      async () => {
        const { access } = await tokens(conf);
        for (const provider of ['Bearer', 'bearer', 'BEARER'])
          assert.deepEqual(
            shape(await identityFromAuthToken(app.deps, provider, access, null)),
            { token: 'openid profile', userId: adaId, displayName: 'Ada', clientId: conf.clientId, grantId: '', scope: ['openid', 'profile'], exp: 0 },
            provider,
          );
        assert.equal(await identityFromAuthToken(app.deps, 'Paritech', access, null), null);
        assert.equal(await identityFromAuthToken(app.deps, 'Bearer', 'not-a-token', null), null);
      },
    );

    it('a public client’s refresh token is rotated: the successor is held, with the token presented', { timeout: 45000 }, async () => {
      const { refresh } = await tokens(pub);
      const id = await identityFromAuthToken(app.deps, 'Bearer', refresh, null);
      assert.deepEqual(shape(id), {
        token: 'openid profile',
        userId: adaId,
        displayName: 'Ada',
        clientId: pub.clientId,
        grantId: '',
        scope: ['openid', 'profile'],
        exp: 0,
        renewal: { clientId: pub.clientId, clientSecret: null, refreshToken: 'held', presented: refresh },
      });
      assert.notEqual(id!.renewal!.refreshToken, refresh);
      assert.deepEqual(await stored(refresh), { consumed: true });
      assert.deepEqual(await stored(id!.renewal!.refreshToken), { consumed: false });
      // The presented token again renews with the held successor (not reuse).
      const again = await identityFromAuthToken(app.deps, 'Bearer', refresh, id);
      assert.ok(again?.renewal);
      assert.deepEqual(await stored(id!.renewal!.refreshToken), { consumed: true });
      assert.notEqual(again.token, id!.token);
      assert.equal(again.renewal.presented, refresh, 'the token the client presented still names what the connection holds');
    });

    it(
      'a confidential client’s refresh token needs the secret the connection proved; someone else’s is refused; neither is spent',
      { timeout: 45000 },
      async () => {
        const { refresh } = await tokens(conf);
        assert.equal(await identityFromAuthToken(app.deps, 'Bearer', refresh, null), null);
        const proved = await redeemAuthCode(
          app.deps,
          authCodeData.parse({
            Provider: 'P',
            ClientID: conf.clientId,
            ClientSecret: conf.secret,
            AuthGrant: await codeFor(app, new Agent(app.url), conf.clientId, ada, PASSWORD),
          }),
        );
        assert.ok(proved?.renewal);
        const bobs = await tokens(conf, bob);
        assert.equal(await identityFromAuthToken(app.deps, 'Bearer', bobs.refresh, proved), null, 'another user’s token');
        assert.equal(
          await identityFromAuthToken(app.deps, 'Bearer', refresh, { ...proved, renewal: { ...proved.renewal, clientSecret: null } }),
          null,
          'no secret proved',
        );
        assert.deepEqual(await stored(refresh), { consumed: false });
        assert.deepEqual(await stored(bobs.refresh), { consumed: false });
        const id = await identityFromAuthToken(app.deps, 'Bearer', refresh, proved);
        assert.deepEqual(shape(id).renewal, { clientId: conf.clientId, clientSecret: conf.secret, refreshToken: 'held', presented: refresh });
        assert.equal(await usable(conf, bobs.refresh), true);
      },
    );

    it('the connection’s own token renews with what it holds, keeping a narrowed scope and a withheld token', { timeout: 45000 }, async () => {
      const redeem = async (Scope: string[] | null) =>
        redeemAuthCode(
          app.deps,
          authCodeData.parse({
            Provider: 'P',
            ClientID: conf.clientId,
            ClientSecret: conf.secret,
            AuthGrant: await codeFor(app, new Agent(app.url), conf.clientId, ada, PASSWORD),
            Scope,
          }),
        );
      // Scope: null (as a JSON client sends it) asks for no narrowing: the identity keeps all it was granted.
      const whole = await redeem(null);
      assert.deepEqual(
        { scope: whole?.scope, withheld: whole?.tokenWithheld, token: shape(whole).token },
        { scope: ['openid', 'profile'], withheld: undefined, token: 'openid profile' },
      );
      const narrowed = await redeem(['openid']);
      assert.deepEqual(narrowed?.scope, ['openid']);
      const renewed = await identityFromAuthToken(app.deps, 'Bearer', narrowed!.token, narrowed);
      assert.deepEqual(
        { token: shape(renewed).token, scope: renewed!.scope, withheld: renewed!.tokenWithheld },
        { token: 'openid', scope: ['openid'], withheld: undefined },
      );
      assert.notEqual(renewed!.token, narrowed!.token);
      assert.deepEqual(await stored(narrowed!.renewal!.refreshToken), { consumed: true });

      const withheld = await redeem(['Paritech.Zenith']);
      assert.deepEqual({ scope: withheld!.scope, withheld: withheld!.tokenWithheld }, { scope: [], withheld: true });
      const again = await identityFromAuthToken(app.deps, 'Bearer', withheld!.token, withheld);
      assert.deepEqual(
        { token: shape(again).token, scope: again!.scope, withheld: again!.tokenWithheld },
        { token: 'openid profile', scope: [], withheld: true },
      );
    });

    it(
      'a connection without a renewal that presents its own token again keeps that identity; a first-party app’s refresh token is refused unspent',
      { timeout: 45000 },
      async () => {
        const { access } = await tokens(conf);
        const first = await identityFromAuthToken(app.deps, 'Bearer', access, null);
        assert.equal(first?.renewal, undefined);
        assert.deepEqual(shape(await identityFromAuthToken(app.deps, 'Bearer', access, first)), shape(first));
        // The portal's own apps (the BFF) keep their refresh tokens on the server: Zenith never renews with one.
        const own: Client = { clientId: `first-party-${db}`, secret: null };
        await app.store.clients.create({
          clientId: own.clientId,
          name: 'Portal itself',
          secret: null,
          redirectUris: [REDIRECT],
          postLogoutRedirectUris: [],
          scopes: SCOPES,
          logoUrl: null,
          firstParty: true,
          createdAt: Date.now(),
        });
        const { refresh } = await tokens(own);
        assert.equal(await identityFromAuthToken(app.deps, 'Bearer', refresh, null), null);
        assert.deepEqual(await stored(refresh), { consumed: false });
        assert.equal(await usable(own, refresh), true);
      },
    );

    it('abandon() destroys a held refresh token, never a spent one', { timeout: 45000 }, async () => {
      const held = await tokens(pub);
      await abandon(app.deps, { clientId: pub.clientId, clientSecret: null, refreshToken: held.refresh });
      assert.equal(await stored(held.refresh), null);
      const spent = await tokens(pub);
      assert.equal(await usable(pub, spent.refresh), true);
      await abandon(app.deps, { clientId: pub.clientId, clientSecret: null, refreshToken: spent.refresh });
      assert.deepEqual(await stored(spent.refresh), { consumed: true });
      await abandon(app.deps, { clientId: pub.clientId, clientSecret: null, refreshToken: 'unknown' });
    });
  });
}
