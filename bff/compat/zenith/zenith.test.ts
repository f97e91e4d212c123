/**
 * Zenith WebSocket Auth against the real app on both databases, driven by a
 * `ws` client following the Zenith documents: AuthCode, AuthToken, the
 * Authorization header, and everything a hostile or broken client can send.
 */
import { describe, it, before, after, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { startTestApp, type TestApp } from '../../testing/test-app.ts';
import { createAccount } from '../../accounts/accounts.ts';
import { registerClient } from '../../oauth/clients.ts';
import type { User } from '../../store/store.ts';
import { throttleKey } from './auth.ts';
import { Agent, closeAll, codeFor, connect, refusal, tokensFor, type Msg } from './test-client.ts';

const PASSWORD = 'correct horse battery staple';
const REDIRECT = 'https://partner.example/cb';

interface Partner {
  clientId: string;
  secret: string;
}

async function partner(app: TestApp, name: string): Promise<Partner> {
  const { client, secret } = await registerClient(
    app.store,
    { name, redirectUris: [REDIRECT], isPublic: false, scopes: ['openid', 'profile', 'offline_access'] },
    Date.now(),
  );
  return { clientId: client.clientId, secret: secret! };
}

const b64 = (s: string) => Buffer.from(s).toString('base64');
// No Scope: the most the code grants (zenith-seeds.test.ts covers narrowing).
const authCode = (p: Partner, code: string, tid = 1) => ({
  Controller: 'Auth',
  Topic: 'AuthCode',
  TransactionID: tid,
  Data: { Provider: 'Paritech', ClientID: p.clientId, ClientSecret: p.secret, AuthGrant: code },
});
const authToken = (token: string, tid = 1) => ({
  Controller: 'Auth',
  Topic: 'AuthToken',
  TransactionID: tid,
  Data: { Provider: 'Bearer', AccessToken: token },
});
const queryIdentify = (tid = 1) => ({ Controller: 'Auth', Topic: 'QueryIdentify', TransactionID: tid });
const data = (m: Msg) => m.Data as Record<string, unknown>;

function assertSuccess(m: Msg, user: User, topic: string, tid: number): void {
  assert.equal(m.Controller, 'Auth');
  assert.equal(m.Topic, topic);
  assert.equal(m.TransactionID, tid);
  const d = data(m);
  assert.equal(d.Result, 'Success', JSON.stringify(m));
  assert.equal(d.UserID, user.id);
  assert.equal(d.DisplayName, user.name);
  assert.ok(Date.parse(d.ExpiryDate as string) > Date.now(), 'ExpiryDate is a future ISO 8601 date');
  assert.match(d.ExpiryDate as string, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
  assert.ok(Array.isArray(d.Scope) && d.Scope.includes('openid') && d.Scope.includes('profile'), `Scope ${JSON.stringify(d.Scope)}`);
}

function assertReject(m: Msg, topic: string, tid: number): void {
  assert.equal(m.Controller, 'Auth');
  assert.equal(m.Topic, topic);
  assert.equal(m.TransactionID, tid);
  assert.deepEqual(m.Data, { Result: 'Reject' });
}

for (const db of ['sqlite', 'postgres'] as const) {
  describe(`Zenith WebSocket Auth (${db})`, () => {
    let app: TestApp;
    let user: User;
    let p: Partner;
    let other: Partner;
    let agent: Agent;
    const code = (client = p, extra?: Record<string, string>) => codeFor(app, agent, client.clientId, user.email, PASSWORD, extra);
    const freshTokens = async () => tokensFor(app, await code(), p.clientId, p.secret);

    before(async () => {
      app = await startTestApp({ db });
      user = await createAccount(app.store, { email: 'zed@example.com', password: PASSWORD, name: 'Zed Trader' }, Date.now());
      p = await partner(app, 'Motif');
      other = await partner(app, 'Other Partner');
      agent = new Agent(app.url);
    });
    beforeEach(() => app.store.throttle.reset(throttleKey('127.0.0.1')));
    // A failed assertion must not leave sockets open: the server would never finish closing.
    afterEach(closeAll);
    after(() => app.close());

    it('AuthCode with a code from the real sign-in answers Identify with the identity and a Base-64 token', async () => {
      const c = await connect(app);
      const reply = await c.call(authCode(p, await code(), 41));
      assertSuccess(reply, user, 'Identify', 41);
      const jwt = Buffer.from(data(reply).AccessToken as string, 'base64').toString();
      assert.equal(jwt.split('.').length, 3, 'AccessToken is the Base-64 of the JWT');
      const who = await c.call(queryIdentify(42));
      assertSuccess(who, user, 'QueryIdentify', 42);
      assert.equal(data(who).AccessToken, undefined, 'QueryIdentify never hands the token out');
      // The saved token restores a later connection, as the document promises.
      const later = await connect(app);
      assertSuccess(await later.call(authToken(data(reply).AccessToken as string, 5)), user, 'Identify', 5);
      c.ws.close();
      later.ws.close();
    });

    it('AuthCode rejects a reused code, a foreign code, a wrong secret and a PKCE-bound code', async () => {
      const c = await connect(app);
      const used = await code();
      assertSuccess(await c.call(authCode(p, used, 1)), user, 'Identify', 1);
      assertReject(await c.call(authCode(p, used, 2)), 'Identify', 2);

      const fresh = await connect(app);
      const foreign = await code(p);
      assertReject(await fresh.call(authCode(other, foreign, 3)), 'Identify', 3);
      assertReject(await fresh.call(authCode({ ...p, secret: 'wrong' }, foreign, 4)), 'Identify', 4);
      assertReject(await fresh.call({ ...authCode(p, foreign, 5), Data: { ...authCode(p, foreign).Data, ClientSecret: undefined } }), 'Identify', 5);
      // Refused without reaching the token endpoint: the rightful client can still redeem it.
      assert.ok((await tokensFor(app, foreign, p.clientId, p.secret)).access_token);

      const pkce = await code(p, { code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', code_challenge_method: 'S256' });
      assertReject(await fresh.call(authCode(p, pkce, 6)), 'Identify', 6);
      assertReject(await fresh.call(authCode(p, 'not-a-code', 7)), 'Identify', 7);
      assertReject(await fresh.call(queryIdentify(8)), 'QueryIdentify', 8);
      c.ws.close();
      fresh.ws.close();
    });

    it('AuthToken accepts the token raw or Base-64 encoded, and rejects anything else', async () => {
      const { access_token: at } = await freshTokens();
      const raw = await connect(app);
      assertSuccess(await raw.call(authToken(at, 1)), user, 'Identify', 1);
      const encoded = await connect(app);
      assertSuccess(await encoded.call(authToken(b64(at), 2)), user, 'Identify', 2);
      const bad = await connect(app);
      assertReject(await bad.call(authToken('mF_9.B5f-4.1JqM', 3)), 'Identify', 3);
      assertReject(await bad.call(authToken(b64(`${at}x`), 4)), 'Identify', 4);
      assertReject(await bad.call({ ...authToken(at, 5), Data: { Provider: 'Basic', AccessToken: at } }), 'Identify', 5);
      const invalid = await bad.call({ ...authToken(at, 6), Data: { Provider: 'Bearer' } });
      assert.equal(invalid.Action, 'Error');
      assert.equal(invalid.TransactionID, 6);
      for (const c of [raw, encoded, bad]) c.ws.close();
    });

    it('an Authorization header authenticates the upgrade; an invalid one is refused with 401 before 101', async () => {
      const { access_token: at } = await freshTokens();
      const c = await connect(app, { headers: { authorization: `Bearer ${at}` } });
      assertSuccess(await c.call(queryIdentify(9)), user, 'QueryIdentify', 9);
      c.ws.close();
      const encoded = await connect(app, { headers: { authorization: `Bearer ${b64(at)}` } });
      assertSuccess(await encoded.call(queryIdentify(1)), user, 'QueryIdentify', 1);
      encoded.ws.close();
      assert.equal(await refusal(app, { headers: { authorization: 'Bearer mF_9.B5f-4.1JqM' } }), 401);
      assert.equal(await refusal(app, { headers: { authorization: `Basic ${b64('a:b')}` } }), 401);
      assert.equal(await refusal(app, { headers: { authorization: 'Bearer' } }), 401);
    });

    it('refuses a foreign browser Origin (403), an unknown version or subprotocol (400) before the upgrade', async () => {
      assert.equal(await refusal(app, { origin: 'https://evil.example' }), 403);
      assert.equal(await refusal(app, { origin: 'null' }), 403);
      for (const origin of [app.url, '*']) (await connect(app, { origin })).ws.close();
      assert.equal(await refusal(app, { version: 'latest' }), 400);
      assert.equal(await refusal(app, { protocol: 'ZenithXml' }), 400);
    });

    it('any other controller before authentication gets an Error echoing the TransactionID', async () => {
      const c = await connect(app);
      const reply = await c.call({ Controller: 'Trading', Topic: 'QueryAccounts', TransactionID: 77 });
      assert.deepEqual(reply, {
        Controller: 'Trading',
        Topic: 'QueryAccounts',
        TransactionID: 77,
        Action: 'Error',
        Data: 'Not authenticated: send Auth:AuthToken or Auth:AuthCode first',
      });
      const unknown = await c.call({ Controller: 'Auth', Topic: 'AuthOwner', TransactionID: 78 });
      assert.equal(unknown.Action, 'Error');
      assert.equal(unknown.TransactionID, 78);
      c.ws.close();
    });

    it('malformed frames get Error replies and the socket keeps working', async () => {
      const c = await connect(app);
      c.ws.send('{"Controller":"Auth",');
      const notJson = await c.next();
      assert.equal(notJson.Action, 'Error');
      assert.equal(notJson.TransactionID, undefined);
      const noTopic = await c.call({ Controller: 'Auth', TransactionID: 12 });
      assert.equal(noTopic.Action, 'Error');
      assert.equal(noTopic.TransactionID, 12);
      for (const TransactionID of [1.5, '1', 2 ** 40, -1, 1e308]) {
        const r = await c.call({ Controller: 'Auth', Topic: 'QueryIdentify', TransactionID });
        assert.equal(r.Action, 'Error', JSON.stringify(TransactionID));
        assert.equal(r.TransactionID, undefined);
      }
      for (const frame of ['null', '[]', '42', '"Auth"', `${'['.repeat(30_000)}${']'.repeat(30_000)}`]) {
        c.ws.send(frame);
        assert.equal((await c.next()).Action, 'Error');
      }
      c.ws.send(Buffer.from([1, 2, 3]), { binary: true });
      assert.equal((await c.next()).Action, 'Error');
      const { access_token: at } = await freshTokens();
      assertSuccess(await c.call(authToken(at, 13)), user, 'Identify', 13);
      c.ws.close();
    });

    it('a frame over 64 KiB closes the socket with 1009', async () => {
      const c = await connect(app);
      c.ws.send(JSON.stringify({ Controller: 'Auth', Topic: 'AuthToken', TransactionID: 1, Data: { Provider: 'Bearer', AccessToken: 'x'.repeat(65 * 1024) } }));
      assert.equal((await c.closed).code, 1009);
    });

    it('version=2.0 echoes the request topic instead of Identify', async () => {
      const c = await connect(app, { version: '2.0' });
      assertSuccess(await c.call(authCode(p, await code(), 3)), user, 'AuthCode', 3);
      const { access_token: at } = await freshTokens();
      assertSuccess(await c.call(authToken(at, 4)), user, 'AuthToken', 4);
      assertReject(await c.call(authToken('nope', 5)), 'AuthToken', 5);
      assertSuccess(await c.call(queryIdentify(6)), user, 'QueryIdentify', 6);
      c.ws.close();
    });

    it('a message flood gets Error replies, then the socket is closed with 1008', async () => {
      const c = await connect(app);
      for (let i = 0; i < 200; i++) c.ws.send(JSON.stringify({ Controller: 'Zenith', Topic: 'Ping', TransactionID: i }));
      const replies: Msg[] = [];
      const closed = await c.closed;
      while (true) {
        const m = await c.next(50).catch(() => null);
        if (!m) break;
        replies.push(m);
      }
      assert.equal(closed.code, 1008);
      assert.ok(
        replies.some((m) => m.Data === 'Too many messages: slow down'),
        'rate-limit Error replies before closing',
      );
      assert.ok(replies.length < 200, `${replies.length} replies`);
    });

    it('a revoked grant loses the identity: QueryIdentify rejects and the socket closes with 1008', async () => {
      const tokens = await freshTokens();
      const c = await connect(app);
      assertSuccess(await c.call(authToken(tokens.access_token, 1)), user, 'Identify', 1);
      const res = await fetch(`${app.config.issuer}/revoke`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${b64(`${p.clientId}:${p.secret}`)}` },
        body: new URLSearchParams({ token: tokens.refresh_token, token_type_hint: 'refresh_token' }),
      });
      assert.equal(res.status, 200);
      assertReject(await c.call(queryIdentify(2)), 'QueryIdentify', 2);
      assert.equal((await c.closed).code, 1008);
    });

    it('a connection keeps its user: a token of someone else is rejected', async () => {
      const ann = await createAccount(app.store, { email: `ann-${db}@example.com`, password: PASSWORD, name: 'Ann' }, Date.now());
      const annTokens = await tokensFor(app, await codeFor(app, new Agent(app.url), p.clientId, ann.email, PASSWORD), p.clientId, p.secret);
      const c = await connect(app);
      assertSuccess(await c.call(authToken((await freshTokens()).access_token, 1)), user, 'Identify', 1);
      assertReject(await c.call(authToken(annTokens.access_token, 2)), 'Identify', 2);
      assertSuccess(await c.call(queryIdentify(3)), user, 'QueryIdentify', 3);
      c.ws.close();
    });
  });

  describe(`Zenith expiry and throttling (${db})`, () => {
    let app: TestApp;
    let user: User;
    let p: Partner;
    let agent: Agent;
    before(async () => {
      app = await startTestApp({ db, env: { ACCESS_TOKEN_TTL: '2', RATE_LIMIT_LOGIN_PER_ACCOUNT: '3' } });
      user = await createAccount(app.store, { email: 'exp@example.com', password: PASSWORD, name: 'Expiring' }, Date.now());
      p = await partner(app, 'Motif');
      agent = new Agent(app.url);
    });
    beforeEach(() => app.store.throttle.reset(throttleKey('127.0.0.1')));
    // A failed assertion must not leave sockets open: the server would never finish closing.
    afterEach(closeAll);
    after(() => app.close());

    it('when the token expires without renewal the client is told, then the socket closes with 1008', async () => {
      const c = await connect(app);
      assertSuccess(await c.call(authCode(p, await codeFor(app, agent, p.clientId, user.email, PASSWORD), 1)), user, 'Identify', 1);
      const notice = await c.next(4000);
      assert.deepEqual(notice, { Controller: 'Auth', Topic: 'Identify', Data: { Result: 'Reject' } });
      const closed = await c.closed;
      assert.equal(closed.code, 1008);
      assert.equal(closed.reason, 'Authentication expired');
    });

    it('re-sending AuthToken with a refreshed token extends the connection', async () => {
      const first = await tokensFor(app, await codeFor(app, agent, p.clientId, user.email, PASSWORD), p.clientId, p.secret);
      const c = await connect(app);
      const r1 = await c.call(authToken(first.access_token, 1));
      assertSuccess(r1, user, 'Identify', 1);
      await new Promise((r) => setTimeout(r, 1100));
      const res = await fetch(`${app.config.issuer}/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${b64(`${p.clientId}:${p.secret}`)}` },
        body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: first.refresh_token }),
      });
      const second = (await res.json()) as { access_token: string };
      const r2 = await c.call(authToken(second.access_token, 2));
      assertSuccess(r2, user, 'Identify', 2);
      assert.ok(Date.parse(data(r2).ExpiryDate as string) > Date.parse(data(r1).ExpiryDate as string));
      // Past the first token's expiry, the connection still stands on the second.
      await new Promise((r) => setTimeout(r, Math.max(0, Date.parse(data(r1).ExpiryDate as string) - Date.now() + 200)));
      assertSuccess(await c.call(queryIdentify(3)), user, 'QueryIdentify', 3);
      assert.deepEqual((await c.next(4000)).Data, { Result: 'Reject' });
      assert.equal((await c.closed).code, 1008);
    });

    it('failed AuthToken/AuthCode attempts are throttled per address, also for the upgrade header', async () => {
      const c = await connect(app);
      for (let i = 1; i <= 3; i++) assertReject(await c.call(authToken(`bad-${i}`, i)), 'Identify', i);
      const { access_token: at } = await tokensFor(app, await codeFor(app, agent, p.clientId, user.email, PASSWORD), p.clientId, p.secret);
      const blocked = await c.call(authToken(at, 4));
      assert.equal(blocked.Action, 'Error');
      assert.equal(blocked.TransactionID, 4);
      assert.match(String(blocked.Data), /Too many failed authentication attempts/);
      assert.equal(await refusal(app, { headers: { authorization: `Bearer ${at}` } }), 429);
      c.ws.close();
    });
  });
}
