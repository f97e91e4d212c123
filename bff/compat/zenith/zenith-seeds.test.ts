/**
 * The Zenith seed documents, sent as they are written (only the host and the
 * credentials adapted): Auth:AuthCode (000_db47187155fc81c3) and
 * Auth:AuthToken / QueryIdentify with the HTTP handshake (001_e6b640ee65c9ff5c),
 * through the `ws` package a partner would use, on both databases.
 */
import { describe, it, before, after, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { startTestApp, type TestApp } from '../../testing/test-app.ts';
import { createAccount } from '../../accounts/accounts.ts';
import { registerClient } from '../../oauth/clients.ts';
import type { User } from '../../store/store.ts';
import { throttleKey } from './auth.ts';
import { Agent, closeAll, codeFor, connect, jwtClaims, pkcePair, REDIRECT, tokenCall, type Conn, type Msg } from './test-client.ts';

const PASSWORD = 'correct horse battery staple';

/** 000: the AuthCode example, as its JavaScript builds it. ClientID and AuthGrant are the credentials. */
function docAuthCode(clientId: string, authGrant: string): Record<string, unknown> {
  return {
    Controller: 'Auth',
    Topic: 'AuthCode',
    TransactionID: 1,
    Data: {
      Provider: 'Paritech',
      ClientID: clientId,
      AuthGrant: authGrant,
      Scope: ['Paritech.Zenith'],
    },
  };
}
/** The same request with the Data fields the table allows changed (ClientSecret added, Scope changed or removed). */
function withData(msg: Record<string, unknown>, changes: Record<string, unknown>): string {
  const d: Record<string, unknown> = { ...(msg.Data as Record<string, unknown>), ...changes };
  for (const k of Object.keys(d)) if (d[k] === undefined) delete d[k];
  return JSON.stringify({ ...msg, Data: d });
}
/** 001: the AuthToken request, byte for byte; the token is the credential. */
const DOC_AUTH_TOKEN = '{"Controller":"Auth","Topic":"AuthToken","TransactionID":1,"Data":{"Provider":"Bearer","AccessToken":"mF_9.B5f-4.1JqM"}}';
const docAuthToken = (token: string) => DOC_AUTH_TOKEN.replace('mF_9.B5f-4.1JqM', token);
const DOC_QUERY_IDENTIFY = '{"Controller":"Auth","Topic":"QueryIdentify","TransactionID":1}';
/** 001: the handshake headers of "Example (with HTTP authentication)"; ws adds Host, Upgrade, the key and the version. */
const docHandshake = (authorization?: string) => ({
  Origin: '*',
  Connection: 'Upgrade,Keep-Alive',
  'Sec-WebSocket-Extensions': 'permessage-deflate',
  'User-Agent': 'TestClient/1.0',
  ...(authorization ? { Authorization: authorization } : {}),
});
/** Every field the documents' responses define: nothing else (a refresh token above all) may appear. */
const DOC_FIELDS = ['Result', 'AccessToken', 'DisplayName', 'UserID', 'ExpiryDate', 'Scope'];

const data = (m: Msg) => m.Data as Record<string, unknown>;
const sorted = (a: unknown) => [...(a as string[])].sort();
const jwtOf = (m: Msg) => Buffer.from(data(m).AccessToken as string, 'base64').toString();

function assertSuccess(m: Msg, user: User, topic: string): void {
  assert.equal(m.Controller, 'Auth');
  assert.equal(m.Topic, topic);
  assert.equal(m.TransactionID, 1);
  assert.equal(data(m).Result, 'Success', JSON.stringify(m));
  assert.equal(data(m).UserID, user.id);
  assert.deepEqual(
    Object.keys(data(m)).filter((k) => !DOC_FIELDS.includes(k)),
    [],
  );
}
function assertReject(m: Msg, topic = 'Identify'): void {
  assert.deepEqual(m, { Controller: 'Auth', Topic: topic, TransactionID: 1, Data: { Result: 'Reject' } });
}

for (const db of ['sqlite', 'postgres'] as const) {
  describe(`Zenith seed documents, literally (${db})`, () => {
    let app: TestApp;
    let user: User;
    let pub: string;
    let conf: { clientId: string; secret: string };
    const scopes = ['openid', 'profile', 'email', 'offline_access'];
    /** A code from the real sign-in and consent (openid profile offline_access). */
    const code = (clientId: string, extra?: Record<string, string>) => codeFor(app, new Agent(app.url), clientId, user.email, PASSWORD, extra);
    /** 000 has no URL: the plain path, no version. */
    const docConnect = (authorization?: string, version: string | null = null): Promise<Conn> =>
      connect(app, { version, handshake: docHandshake(authorization) });

    before(async () => {
      // Reuse of a rotated refresh token revokes the grant at once, so the test can show it.
      app = await startTestApp({ db, env: { REFRESH_REUSE_WINDOW: '0' } });
      user = await createAccount(app.store, { email: 'zed@example.com', password: PASSWORD, name: 'Zed Trader' }, Date.now());
      pub = (await registerClient(app.store, { name: 'TriOptimum', redirectUris: [REDIRECT], isPublic: true, scopes }, Date.now())).client.clientId;
      const c = await registerClient(app.store, { name: 'Motif', redirectUris: [REDIRECT], isPublic: false, scopes }, Date.now());
      conf = { clientId: c.client.clientId, secret: c.secret! };
    });
    beforeEach(() => app.store.throttle.reset(throttleKey('127.0.0.1')));
    afterEach(closeAll);
    after(() => app.close());

    it('000 AuthCode as written (no ClientSecret) works for a public client that proves PKCE, and never without the proof', async () => {
      const c = await docConnect();
      assert.equal(c.ws.protocol, 'ZenithJson');
      assert.equal(c.ws.extensions, '', 'permessage-deflate offered and declined, as in the document’s 101');
      const { verifier, challenge } = pkcePair();
      const grant = await code(pub, { code_challenge: challenge, code_challenge_method: 'S256' });
      assertReject(await c.call(JSON.stringify(docAuthCode(pub, grant))));
      assertReject(await c.call(JSON.stringify(docAuthCode(pub, `code=${grant}&code_verifier=${pkcePair().verifier}`))));
      assertReject(await c.call(withData(docAuthCode(pub, `code=${grant}&code_verifier=${verifier}`), { ClientSecret: 'guess' })));

      // Neither attempt spent the code: with its verifier it is redeemed now.
      const ok = await c.call(JSON.stringify(docAuthCode(pub, `code=${grant}&code_verifier=${verifier}`)));
      assertSuccess(ok, user, 'Identify');
      // "Paritech.Zenith" names nothing the portal grants: narrowed to nothing, and no token wider than that.
      assert.deepEqual(data(ok).Scope, []);
      assert.equal(data(ok).AccessToken, undefined);
      const who = await c.call(DOC_QUERY_IDENTIFY);
      assertSuccess(who, user, 'QueryIdentify');
      assert.deepEqual(data(who).Scope, []);
    });

    it('000 Scope: omitted means all the code grants; a narrower one is what the reply and the token carry, never wider', async () => {
      const c = await docConnect();
      const secret = { ClientSecret: conf.secret };
      const all = await c.call(withData(docAuthCode(conf.clientId, await code(conf.clientId)), { ...secret, Scope: undefined }));
      assertSuccess(all, user, 'Identify');
      assert.deepEqual(sorted(data(all).Scope), ['openid', 'profile']);
      assert.deepEqual(sorted(String(jwtClaims(jwtOf(all)).scope).split(' ')), ['openid', 'profile']);

      // email was never consented: asking for it grants nothing more.
      const some = await c.call(withData(docAuthCode(conf.clientId, await code(conf.clientId)), { ...secret, Scope: ['profile', 'email'] }));
      assertSuccess(some, user, 'Identify');
      assert.deepEqual(data(some).Scope, ['profile']);
      assert.equal(jwtClaims(jwtOf(some)).scope, 'profile');
      const who = await c.call(DOC_QUERY_IDENTIFY);
      assert.deepEqual(data(who).Scope, ['profile']);
    });

    it('001 the handshake as written; AuthToken with a refresh token renews the connection, with /oauth/token’s rotation and reuse rules', async () => {
      const { verifier, challenge } = pkcePair();
      const grant = await code(pub, { code_challenge: challenge, code_challenge_method: 'S256' });
      const first = await tokenCall(app, { grant_type: 'authorization_code', code: grant, redirect_uri: REDIRECT, code_verifier: verifier }, pub, null);
      assert.equal(first.status, 200);
      const at1 = String(first.body.access_token);
      const rt1 = String(first.body.refresh_token);
      let seen: Record<string, unknown> = {};
      app.server.once('upgrade', (req: { headers: Record<string, unknown> }) => (seen = req.headers));
      const c = await docConnect(`Bearer ${at1}`, '1.1');
      // The server saw the document's handshake as written, and answered as its 101 does.
      for (const [name, value] of Object.entries(docHandshake(`Bearer ${at1}`))) assert.equal(seen[name.toLowerCase()], value, name);
      assert.equal(c.ws.protocol, 'ZenithJson');
      assert.equal(c.ws.extensions, '');
      assertSuccess(await c.call(DOC_QUERY_IDENTIFY), user, 'QueryIdentify');
      assertSuccess(await c.call(docAuthToken(at1)), user, 'Identify');

      const renewed = await c.call(docAuthToken(rt1));
      assertSuccess(renewed, user, 'Identify');
      const at2 = jwtOf(renewed);
      assert.notEqual(at2, at1);
      assert.equal(jwtClaims(at2).client_id, pub);
      // The same refresh token again on this connection renews with the successor it keeps.
      const again = await c.call(docAuthToken(rt1));
      assertSuccess(again, user, 'Identify');
      assert.notEqual(jwtOf(again), at2);

      // Rotation spent rt1: presented anywhere else it is reuse, and reuse revokes the grant.
      const reuse = await tokenCall(app, { grant_type: 'refresh_token', refresh_token: rt1 }, pub, null);
      assert.equal(reuse.status, 400);
      assert.equal(reuse.body.error, 'invalid_grant');
      assertReject(await c.call(DOC_QUERY_IDENTIFY), 'QueryIdentify');
      assert.equal((await c.closed).code, 1008);
    });

    it('an AuthCode connection renews with the refresh token it keeps on the server, still narrowed', async () => {
      const c = await docConnect();
      const first = await c.call(withData(docAuthCode(conf.clientId, await code(conf.clientId)), { ClientSecret: conf.secret, Scope: ['openid', 'profile'] }));
      assertSuccess(first, user, 'Identify');
      assert.deepEqual(data(first).Scope, ['openid', 'profile']);
      // "pass updated credentials": the client has only the AccessToken it was given, as given.
      const renewed = await c.call(docAuthToken(data(first).AccessToken as string));
      assertSuccess(renewed, user, 'Identify');
      assert.notEqual(jwtOf(renewed), jwtOf(first));
      assert.deepEqual(data(renewed).Scope, ['openid', 'profile']);
      assert.equal(jwtClaims(jwtOf(renewed)).scope, 'openid profile');
      assert.ok(Date.parse(data(renewed).ExpiryDate as string) >= Date.parse(data(first).ExpiryDate as string));

      // A confidential client's refresh token needs its secret, which AuthToken cannot carry: refused,
      // unspent, on a connection that never proved it; accepted on this one, which did.
      const other = await tokenCall(
        app,
        { grant_type: 'authorization_code', code: await code(conf.clientId), redirect_uri: REDIRECT },
        conf.clientId,
        conf.secret,
      );
      const rt = String(other.body.refresh_token);
      const stranger = await docConnect(`Bearer ${String(other.body.access_token)}`, '1.1');
      assertReject(await stranger.call(docAuthToken(rt)));
      const viaProof = await c.call(docAuthToken(rt));
      assertSuccess(viaProof, user, 'Identify');
      assert.equal(jwtClaims(jwtOf(viaProof)).client_id, conf.clientId);
    });

    it('the refresh token a connection keeps lives as long as the connection, also one from the Authorization header', async () => {
      const kept = await createAccount(app.store, { email: `kept-${db}@example.com`, password: PASSWORD, name: 'Kept' }, Date.now());
      const codeOf = (clientId: string, extra?: Record<string, string>) => codeFor(app, new Agent(app.url), clientId, kept.email, PASSWORD, extra);
      /** The refresh tokens of the user's grant with `clientId` that are still usable. */
      const live = async (clientId: string) => {
        const [grantId] = await app.store.oidcOwners.grantIds(kept.id, clientId);
        return (await app.store.oidcOwners.refreshTokens(grantId!)).filter((t) => t.consumedAt === null).length;
      };
      /** The server cleans up after the close frame: look until it has (the count is what is asserted). */
      const settled = async (clientId: string) => {
        for (let i = 0; i < 100 && (await live(clientId)) > 0; i++) await new Promise((r) => setTimeout(r, 20));
        return live(clientId);
      };

      const c = await docConnect();
      const ok = await c.call(withData(docAuthCode(conf.clientId, await codeOf(conf.clientId)), { ClientSecret: conf.secret, Scope: undefined }));
      assert.equal(data(ok).UserID, kept.id);
      assert.equal(await live(conf.clientId), 1, 'the connection holds one refresh token');
      c.ws.close();
      await c.closed;
      assert.equal(await settled(conf.clientId), 0);

      const { verifier, challenge } = pkcePair();
      const grant = await codeOf(pub, { code_challenge: challenge, code_challenge_method: 'S256' });
      const t = await tokenCall(app, { grant_type: 'authorization_code', code: grant, redirect_uri: REDIRECT, code_verifier: verifier }, pub, null);
      const viaHeader = await docConnect(`Bearer ${String(t.body.refresh_token)}`, '1.1');
      const who = await viaHeader.call(DOC_QUERY_IDENTIFY);
      assert.equal(data(who).UserID, kept.id);
      assert.equal(await live(pub), 1, 'the sent token is spent, its successor held');
      viaHeader.ws.close();
      await viaHeader.closed;
      assert.equal(await settled(pub), 0);
    });

    it('Action "Publish" before authentication is answered in the documents’ own terms, and the socket carries on', async () => {
      const c = await docConnect();
      const publish = (json: string) => json.replace('"TransactionID":1', '"TransactionID":1,"Action":"Publish"');
      assertReject(await c.call(publish(DOC_AUTH_TOKEN)));
      assertReject(await c.call(publish(DOC_QUERY_IDENTIFY)), 'QueryIdentify');
      assertReject(await c.call(publish(JSON.stringify(docAuthCode(pub, 'authGrant')))));
      const trading = await c.call('{"Controller":"Trading","Topic":"QueryAccounts","TransactionID":1,"Action":"Publish"}');
      assert.deepEqual(trading, {
        Controller: 'Trading',
        Topic: 'QueryAccounts',
        TransactionID: 1,
        Action: 'Error',
        Data: 'Not authenticated: send Auth:AuthToken or Auth:AuthCode first',
      });
      const { verifier, challenge } = pkcePair();
      const grant = await code(pub, { code_challenge: challenge, code_challenge_method: 'S256' });
      assertSuccess(await c.call(publish(JSON.stringify(docAuthCode(pub, `code=${grant}&code_verifier=${verifier}`)))), user, 'Identify');
    });
  });
}
