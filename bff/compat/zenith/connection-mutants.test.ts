/**
 * One Zenith socket (connection.ts), pinned exactly where mutation testing
 * (docs/mutation.md) found it unchecked, against the real app and store on
 * SQLite and PostgreSQL: every reply in full (Success with its Base-64 token,
 * Reject, each Error text and what it echoes), the Data error naming its
 * field, the per-address throttle (a lockout answered before any token is
 * looked at, a failure counted, a success clearing it), a connection keeping
 * its user, the requests-in-flight bound, the unauthenticated-socket timeout,
 * revocation noticed by QueryIdentify, and the message rate at its exact
 * limit with the strikes over consecutive busy seconds. upgrade-mutants.test.ts
 * pins the upgrade, the heartbeat's visits and close().
 */
import { describe, it, before, after, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { decodeJwt } from 'jose';
import { WebSocket } from 'ws';
import { startTestApp, type TestApp } from '../../testing/test-app.ts';
import { createAccount } from '../../accounts/accounts.ts';
import { partner, PASSWORD, rawAuthenticate, type Partner } from '../workos/test-helpers.ts';
import { throttleFor, throttleKey } from './auth.ts';
import { LIMITS } from './connection.ts';
import { closeAll, connect, type Conn, type Msg } from './test-client.ts';

const LIMIT = 10;
const WINDOW_S = 120;
const LOCAL = '127.0.0.1';

const b64 = (s: string) => Buffer.from(s).toString('base64');
const authToken = (token: string, tid?: number, topic = 'AuthToken') => ({
  Controller: 'Auth',
  Topic: topic,
  ...(tid === undefined ? {} : { TransactionID: tid }),
  Data: { Provider: 'Bearer', AccessToken: token },
});
const reject = (topic: string, tid?: number) => ({
  Controller: 'Auth',
  Topic: topic,
  ...(tid === undefined ? {} : { TransactionID: tid }),
  Data: { Result: 'Reject' },
});
const error = (echo: Record<string, unknown>, message: string) => ({ ...echo, Action: 'Error', Data: message });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Every message that arrives until the socket closes, and how it closed. */
async function drain(c: Conn): Promise<{ replies: Msg[]; code: number; reason: string }> {
  const { code, reason } = await c.closed;
  const replies: Msg[] = [];
  for (;;) {
    const m = await c.next(1).catch(() => null);
    if (!m) break;
    replies.push(m);
  }
  return { replies, code, reason };
}

for (const db of ['sqlite', 'postgres'] as const) {
  describe(`Zenith connection, exactly (${db})`, () => {
    let app: TestApp;
    let conf: Partner;
    let userId: string;
    let email: string;

    before(async () => {
      app = await startTestApp({ db, env: { RATE_LIMIT_LOGIN_PER_ACCOUNT: String(LIMIT), RATE_LIMIT_WINDOW: String(WINDOW_S) } });
      conf = await partner(app, false, ['openid', 'email', 'offline_access']);
      email = `zoe-${db}@example.com`;
      userId = (await createAccount(app.store, { email, password: PASSWORD, name: 'Zoe Zenith' }, Date.now())).id;
    });
    beforeEach(() => app.store.throttle.reset(throttleKey(LOCAL)));
    afterEach(closeAll);
    after(() => app.close());

    async function tokens(who = email): Promise<{ access_token: string; refresh_token: string }> {
      const res = await rawAuthenticate(app, { grant_type: 'password', client_id: conf.clientId, client_secret: conf.secret, email: who, password: PASSWORD });
      assert.equal(res.status, 200, await res.clone().text());
      return (await res.json()) as { access_token: string; refresh_token: string };
    }
    const failures = async (ip = LOCAL) => (await app.store.throttle.peek(throttleKey(ip), app.deps.now()))?.count ?? 0;
    function success(at: string, topic: string, tid: number | undefined, withToken = true): Msg {
      return {
        Controller: 'Auth',
        Topic: topic,
        ...(tid === undefined ? {} : { TransactionID: tid }),
        Data: {
          Result: 'Success',
          ...(withToken ? { AccessToken: b64(at) } : {}),
          DisplayName: 'Zoe Zenith',
          UserID: userId,
          ExpiryDate: new Date(decodeJwt(at).exp! * 1000).toISOString(),
          Scope: ['openid', 'email', 'offline_access'],
        },
      };
    }

    it('each malformed or unsupported frame gets its exact Error, and the socket carries on', { timeout: 20000 }, async () => {
      const c = await connect(app);
      c.ws.send('{"Controller":');
      assert.deepEqual(await c.next(), error({}, 'Malformed message: not a JSON object'));
      for (const frame of ['null', '[{"Controller":"Auth"}]', '7']) {
        c.ws.send(frame);
        assert.deepEqual(await c.next(), error({}, 'Malformed message: not a JSON object'), frame);
      }
      c.ws.send(Buffer.from(JSON.stringify({ Controller: 'Auth', Topic: 'QueryIdentify' })), { binary: true });
      assert.deepEqual(await c.next(), error({}, 'Binary frames are not supported; send ZenithJson text frames'));
      assert.deepEqual(
        await c.call({ Topic: 'AuthToken', TransactionID: 3 }),
        error({ Topic: 'AuthToken', TransactionID: 3 }, 'Malformed message: Controller is required'),
      );
      assert.deepEqual(
        await c.call({ Controller: 'Auth', Topic: 'QueryIdentify', TransactionID: -4 }),
        error({ Controller: 'Auth', Topic: 'QueryIdentify' }, 'Malformed message: TransactionID must be an integer from 0 to 2147483647'),
      );
      const notAuth = 'Not authenticated: send Auth:AuthToken or Auth:AuthCode first';
      assert.deepEqual(
        await c.call({ Controller: 'Trading', Topic: 'QueryAccounts', TransactionID: 5 }),
        error({ Controller: 'Trading', Topic: 'QueryAccounts', TransactionID: 5 }, notAuth),
      );
      assert.deepEqual(
        await c.call({ Controller: 'Auth', Topic: 'Identify', TransactionID: 6 }),
        error({ Controller: 'Auth', Topic: 'Identify', TransactionID: 6 }, 'Unknown Auth topic'),
      );
      assert.deepEqual(await c.call({ Controller: 'Auth', Topic: 'QueryIdentify', TransactionID: 7 }), reject('QueryIdentify', 7));
      assert.deepEqual(await c.call({ Controller: 'Auth', Topic: 'QueryIdentify' }), reject('QueryIdentify'));
      const { access_token: at } = await tokens();
      assert.deepEqual(await c.call(authToken(at, 8)), success(at, 'Identify', 8));
      assert.deepEqual(
        await c.call({ Controller: 'Trading', Topic: 'QueryAccounts', TransactionID: 9 }),
        error({ Controller: 'Trading', Topic: 'QueryAccounts', TransactionID: 9 }, 'This server only provides the Auth controller'),
      );
      assert.deepEqual(await c.call({ Controller: 'Auth', Topic: 'QueryIdentify', TransactionID: 10 }), success(at, 'QueryIdentify', 10, false));
      assert.equal(c.ws.readyState, WebSocket.OPEN);
    });

    it('invalid Data is named by its field, and answered before the throttle is asked', { timeout: 20000 }, async () => {
      const c = await connect(app);
      assert.deepEqual(
        await c.call({ Controller: 'Auth', Topic: 'AuthToken', TransactionID: 1, Data: { Provider: 'Bearer' } }),
        error({ Controller: 'Auth', Topic: 'AuthToken', TransactionID: 1 }, 'Invalid Data: AccessToken Invalid input: expected string, received undefined'),
      );
      assert.deepEqual(
        await c.call({ Controller: 'Auth', Topic: 'AuthCode', TransactionID: 2 }),
        error({ Controller: 'Auth', Topic: 'AuthCode', TransactionID: 2 }, 'Invalid Data: Data Invalid input: expected object, received undefined'),
      );
      for (let i = 0; i < LIMIT; i++) await throttleFor(app.deps, LOCAL).failed();
      assert.deepEqual(
        await c.call({ Controller: 'Auth', Topic: 'AuthCode', TransactionID: 3, Data: { Provider: 'P', ClientID: 'c' } }),
        error({ Controller: 'Auth', Topic: 'AuthCode', TransactionID: 3 }, 'Invalid Data: AuthGrant Invalid input: expected string, received undefined'),
      );
      assert.equal(await failures(), LIMIT);
    });

    it('a locked-out address is told how long to wait, for AuthToken and AuthCode, even with a good token', { timeout: 20000 }, async () => {
      const { access_token: at } = await tokens();
      for (let i = 0; i < LIMIT; i++) await throttleFor(app.deps, LOCAL).failed();
      const c = await connect(app, { version: '2.0' });
      const wait = /^Too many failed authentication attempts: try again in (120|119) seconds$/;
      const blocked = await c.call(authToken(at, 1));
      assert.deepEqual({ ...blocked, Data: '' }, error({ Controller: 'Auth', Topic: 'AuthToken', TransactionID: 1 }, ''));
      assert.match(String(blocked.Data), wait);
      const code = await c.call({ Controller: 'Auth', Topic: 'AuthCode', TransactionID: 2, Data: { Provider: 'P', ClientID: conf.clientId, AuthGrant: 'x' } });
      assert.deepEqual({ ...code, Data: '' }, error({ Controller: 'Auth', Topic: 'AuthCode', TransactionID: 2 }, ''));
      assert.match(String(code.Data), wait);
      assert.equal(await failures(), LIMIT, 'a lockout reply is not another failure');
      assert.deepEqual(await c.call({ Controller: 'Auth', Topic: 'QueryIdentify', TransactionID: 3 }), reject('QueryIdentify', 3));
    });

    it('a failure is counted, a success clears it; a connection keeps its user; version 2.0 echoes the topic', { timeout: 20000 }, async () => {
      const mine = await tokens();
      const otherEmail = `other-${db}@example.com`;
      await createAccount(app.store, { email: otherEmail, password: PASSWORD, name: 'Other' }, Date.now());
      const theirs = await tokens(otherEmail);
      const c = await connect(app, { version: '2.0' });
      assert.deepEqual(await c.call(authToken('not-a-token', 1)), reject('AuthToken', 1));
      assert.deepEqual(await c.call(authToken(b64('not-a-token'), 2)), reject('AuthToken', 2));
      assert.equal(await failures(), 2);
      assert.deepEqual(await c.call(authToken(b64(mine.access_token))), success(mine.access_token, 'AuthToken', undefined));
      assert.equal(await failures(), 0, 'a success clears the failures');
      assert.deepEqual(await c.call(authToken(theirs.access_token, 4)), reject('AuthToken', 4));
      assert.equal(await failures(), 1, 'someone else’s token is a failure');
      assert.deepEqual(await c.call({ Controller: 'Auth', Topic: 'QueryIdentify', TransactionID: 5 }), success(mine.access_token, 'QueryIdentify', 5, false));
      // The same user's other token is taken: the connection now rests on it.
      const again = await tokens();
      assert.deepEqual(await c.call(authToken(again.access_token, 6)), success(again.access_token, 'AuthToken', 6));
      assert.deepEqual(await c.call({ Controller: 'Auth', Topic: 'QueryIdentify', TransactionID: 7 }), success(again.access_token, 'QueryIdentify', 7, false));
      const v11 = await connect(app);
      assert.deepEqual(await v11.call(authToken(mine.access_token, 8)), success(mine.access_token, 'Identify', 8));
    });

    it('a revoked token: QueryIdentify rejects, then the socket closes with 1008 "Authentication revoked"', { timeout: 20000 }, async () => {
      const { access_token: at } = await tokens();
      const c = await connect(app);
      assert.deepEqual(await c.call(authToken(at, 1)), success(at, 'Identify', 1));
      await (await app.deps.provider.AccessToken.find(at))!.destroy();
      assert.deepEqual(await c.call({ Controller: 'Auth', Topic: 'QueryIdentify', TransactionID: 2 }), reject('QueryIdentify', 2));
      assert.deepEqual(await drain(c), { replies: [], code: 1008, reason: 'Authentication revoked' });
    });

    it('at most 8 requests in flight: the 9th is answered at once, the 8 in order', { timeout: 20000 }, async () => {
      const c = await connect(app);
      for (let i = 1; i <= 9; i++) c.ws.send(JSON.stringify(authToken(`bad-${i}`, i)));
      assert.deepEqual(
        await c.next(),
        error({ Controller: 'Auth', Topic: 'AuthToken', TransactionID: 9 }, 'Too many requests in progress: wait for the replies'),
      );
      for (let i = 1; i <= 8; i++) assert.deepEqual(await c.next(), reject('Identify', i));
      assert.equal(await failures(), 8);
      // The queue has drained: a request is taken again.
      assert.deepEqual(await c.call(authToken('bad-10', 10)), reject('Identify', 10));
    });

    it('an unauthenticated socket is closed after LIMITS.authTimeout with 1008; one authenticated at the upgrade is not', { timeout: 20000 }, async () => {
      const saved = LIMITS.authTimeout;
      const { access_token: at } = await tokens();
      let c: Conn;
      let authed: Conn;
      LIMITS.authTimeout = 300;
      try {
        c = await connect(app);
        authed = await connect(app, { headers: { authorization: `Bearer ${at}` } });
      } finally {
        LIMITS.authTimeout = saved;
      }
      assert.deepEqual(await drain(c), { replies: [], code: 1008, reason: 'Authentication required' });
      await sleep(600);
      assert.equal(authed.ws.readyState, WebSocket.OPEN);
      assert.deepEqual(await authed.call({ Controller: 'Auth', Topic: 'QueryIdentify', TransactionID: 1 }), success(at, 'QueryIdentify', 1, false));
    });

    it('20 messages a second, then Error replies; more than 20 over the limit in busy seconds closes with 1008', { timeout: 20000 }, async () => {
      const notAuth = (i: number) => error({ Controller: 'X', Topic: 'Y', TransactionID: i }, 'Not authenticated: send Auth:AuthToken or Auth:AuthCode first');
      const slow = (i: number) => error({ Controller: 'X', Topic: 'Y', TransactionID: i }, 'Too many messages: slow down');
      const send = (c: Conn, from: number, n: number) => {
        for (let i = from; i < from + n; i++) c.ws.send(JSON.stringify({ Controller: 'X', Topic: 'Y', TransactionID: i }));
      };
      const take = async (c: Conn, n: number) => {
        const got: Msg[] = [];
        for (let i = 0; i < n; i++) got.push(await c.next());
        return got;
      };
      const range = (from: number, n: number) => Array.from({ length: n }, (_, i) => from + i);

      // Busy second, busy second: the strikes add up (10 + 11 > 20).
      const a = await connect(app);
      send(a, 0, 30);
      assert.deepEqual(await take(a, 30), [...range(0, 20).map(notAuth), ...range(20, 10).map(slow)]);
      await sleep(1100);
      send(a, 100, 31);
      assert.deepEqual(await drain(a), {
        replies: [...range(100, 20).map(notAuth), ...range(120, 10).map(slow)],
        code: 1008,
        reason: 'Message rate limit exceeded',
      });

      // Busy second, a second at the limit exactly, busy second: the quiet one forgave the strikes.
      const b = await connect(app);
      send(b, 0, 30);
      assert.deepEqual(await take(b, 30), [...range(0, 20).map(notAuth), ...range(20, 10).map(slow)]);
      await sleep(1100);
      send(b, 100, 20);
      assert.deepEqual(await take(b, 20), range(100, 20).map(notAuth));
      await sleep(1100);
      send(b, 200, 40);
      assert.deepEqual(await take(b, 40), [...range(200, 20).map(notAuth), ...range(220, 20).map(slow)]);
      send(b, 240, 1);
      assert.deepEqual(await drain(b), { replies: [], code: 1008, reason: 'Message rate limit exceeded' });
    });
  });
}
