/**
 * The life of an authenticated Zenith socket after its sign-in (connection.ts),
 * where mutation testing (docs/mutation.md) found it unchecked, against the
 * real app, provider and store on SQLite and PostgreSQL, on a server where
 * Zenith is alone and logs through a real logger the test reads:
 * - the log lines of a sign-in (header and AuthToken) and of a socket error,
 *   and none for a close without a refresh token or a revoked re-check;
 * - a refresh token the connection holds: kept through a re-check, destroyed
 *   when another token of the same user replaces the identity, and destroyed
 *   when the request that obtained it finishes after the socket closed;
 * - an identity re-authenticated while a heartbeat re-check of the old token
 *   waits on the store is not put back to the old token;
 * - the database failing (as an unreachable server, or a statement refused):
 *   the upgrade with an Authorization header answers 503, a re-check keeps
 *   the identity, a request gets Zenith's "try again" Error (logged only when
 *   it is not an outage), and a held refresh token that cannot be destroyed
 *   is logged;
 * - a 34-day access token keeps its expiry timer within Node’s limit;
 * - queued requests of a closed socket dropped, the rate window at exactly
 *   1000 ms, a re-check at the token’s (or an upstream identity’s) last
 *   millisecond during an outage, a reset or half-open client at the upgrade.
 * The store's driver is the real one, wrapped so a test can fail every
 * statement or hold one statement (matched by its SQL) until it lets it go.
 */
import { describe, it, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, request, type Server } from 'node:http';
import { connect as tcpConnect, type AddressInfo, type Socket } from 'node:net';
import { once } from 'node:events';
import { randomBytes } from 'node:crypto';
import express from 'express';
import { decodeJwt } from 'jose';
import { WebSocket } from 'ws';
import { startTestApp, runAll, type TestApp } from '../../testing/test-app.ts';
import { tempDatabase } from '../../testing/temp-store.ts';
import { openSqlite } from '../../store/sqlite/sqlite-driver.ts';
import { openPostgres } from '../../store/postgres/pg-driver.ts';
import { SqlStore } from '../../store/sql/sql-store.ts';
import type { Driver } from '../../store/sql/driver.ts';
import { StoreUnavailableError } from '../../store/store.ts';
import { createLogger } from '../../http/logger.ts';
import type { TrustProxy } from '../../http/security.ts';
import { createAccount } from '../../accounts/accounts.ts';
import { registerClient } from '../../oauth/clients.ts';
import { startUpstreamOp, UPSTREAM_USERS } from '../../testing/upstream-op.ts';
import { createConnection } from '../../federation/connections.ts';
import { acrFor, upstreamTokensFor } from '../../federation/public.ts';
import { federate } from '../../federation/test-helpers.ts';
import { throttleFor, throttleKey } from './auth.ts';
import { LIMITS } from './connection.ts';
import { MESSAGES } from './map.ts';
import { attachZenith, type ZenithServer } from './upgrade.ts';
import { Agent, closeAll, codeFor, connect, tokensFor, type Conn, type Msg } from './test-client.ts';

const PASSWORD = 'correct horse battery staple';
const LOCAL = '127.0.0.1';
/** 34 days: longer than the longest timer Node keeps (2^31 - 1 ms, 24.8 days). */
const LONG_TTL_S = 34 * 24 * 3600;

interface LogLine {
  level: number;
  msg: string;
  [k: string]: unknown;
}
const DEBUG = 20;
const INFO = 30;
const WARN = 40;
const ERROR = 50;

/** The real driver, wrapped: every statement fails while `down` or `broken`; `hold` stops the next statement whose SQL matches. */
function controllable(driver: Driver) {
  let mode: 'up' | 'down' | 'broken' = 'up';
  let held: { match: RegExp; reached: (params: readonly unknown[]) => void; until: Promise<void> } | null = null;
  const gate = async (sql: string, params: readonly unknown[] = []) => {
    if (mode === 'down') throw new StoreUnavailableError(new Error('connect ECONNREFUSED'));
    if (mode === 'broken') throw new Error('the statement was refused');
    const h = held;
    if (h && h.match.test(sql)) {
      held = null;
      h.reached(params);
      await h.until;
    }
  };
  const wrap = (d: Driver): Driver => ({
    ...d,
    query: async (sql, params) => (await gate(sql, params), d.query(sql, params)),
    run: async (sql, params) => (await gate(sql, params), d.run(sql, params)),
    transaction: async (fn) => (await gate('BEGIN'), d.transaction((tx) => fn(wrap(tx)))),
  });
  return {
    driver: wrap(driver),
    set(next: 'up' | 'down' | 'broken') {
      mode = next;
    },
    /** Holds the next statement matching `match`: `reached` resolves (with its parameters) when it arrives, `release()` lets it run. */
    hold(match: RegExp): { reached: Promise<readonly unknown[]>; release: () => void } {
      let release!: () => void;
      let reached!: (params: readonly unknown[]) => void;
      const until = new Promise<void>((r) => (release = r));
      const arrived = new Promise<readonly unknown[]>((r) => (reached = r));
      held = { match, reached, until };
      return { reached: arrived, release };
    },
  };
}

const b64 = (s: string) => Buffer.from(s).toString('base64');
const authToken = (token: string, tid: number) => ({
  Controller: 'Auth',
  Topic: 'AuthToken',
  TransactionID: tid,
  Data: { Provider: 'Bearer', AccessToken: token },
});
const queryIdentify = (tid: number) => ({ Controller: 'Auth', Topic: 'QueryIdentify', TransactionID: tid });
const data = (m: Msg) => m.Data as Record<string, unknown>;
const tokenOf = (m: Msg) => Buffer.from(String(data(m).AccessToken), 'base64').toString('latin1');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A raw upgrade request with a client-side limit: the refusal's status and body exactly. */
function rawUpgrade(url: string, headers: Record<string, string>): Promise<{ status: number; body: string; retryAfter: unknown }> {
  return new Promise((resolve, reject) => {
    const req = request(url, {
      headers: {
        connection: 'Upgrade',
        upgrade: 'websocket',
        'sec-websocket-version': '13',
        'sec-websocket-key': randomBytes(16).toString('base64'),
        'sec-websocket-protocol': 'ZenithJson',
        ...headers,
      },
    });
    req.setTimeout(10_000, () => req.destroy(new Error('no answer to the upgrade')));
    req.on('upgrade', (res, socket) => {
      socket.destroy();
      resolve({ status: res.statusCode ?? 0, body: '', retryAfter: undefined });
    });
    req.on('response', (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, retryAfter: res.headers['retry-after'] }));
    });
    req.on('error', reject);
    req.end();
  });
}

for (const db of ['sqlite', 'postgres'] as const) {
  describe(`Zenith connection after its sign-in, exactly (${db})`, () => {
    const cleanups: Array<() => unknown> = [];
    let app: TestApp;
    let ctl: ReturnType<typeof controllable>;
    let httpBase: string;
    let mainServer: Server;
    let fastBase: string;
    let conf: { clientId: string; secret: string };
    /** Another partner of the same people. */
    let plain: { clientId: string; secret: string };
    const lines: LogLine[] = [];
    const warnings: string[] = [];
    const onWarning = (w: Error) => void warnings.push(w.name);
    let n = 0;

    before(async () => {
      const temp = await tempDatabase(db);
      cleanups.unshift(() => temp.remove());
      const timeoutMs = 2000;
      ctl = controllable(db === 'sqlite' ? openSqlite(temp.url.slice('sqlite:'.length), { timeoutMs }) : openPostgres(temp.url, { timeoutMs }));
      const store = new SqlStore(ctl.driver);
      cleanups.unshift(() => store.close());
      await store.migrate();
      app = await startTestApp({ store, databaseUrl: temp.url, env: { ACCESS_TOKEN_TTL: String(LONG_TTL_S), FEDERATION_ALLOW_PRIVATE: '1' } });
      cleanups.unshift(() => app.close());
      const scopes = ['openid', 'profile', 'offline_access'];
      const c = await registerClient(app.store, { name: 'Motif', redirectUris: ['https://partner.example/cb'], isPublic: false, scopes }, Date.now());
      conf = { clientId: c.client.clientId, secret: c.secret! };
      const p = await registerClient(app.store, { name: 'Plain', redirectUris: ['https://partner.example/cb'], isPublic: false, scopes }, Date.now());
      plain = { clientId: p.client.clientId, secret: p.secret! };
      // Zenith alone on its own servers, with the app's deps and a real logger whose lines the test reads:
      // one with the usual heartbeat, and one whose heartbeat visits (ping and re-check) every 300 ms,
      // so a test can catch a re-check.
      const logger = createLogger('debug', { write: (s: string) => void lines.push(JSON.parse(s) as LogLine) });
      const start = async (heartbeat: number): Promise<{ base: string; server: Server }> => {
        const server = createServer();
        const saved = LIMITS.heartbeat;
        LIMITS.heartbeat = heartbeat;
        let zenith: ZenithServer;
        try {
          zenith = attachZenith(server, { ...app.deps, logger }, express().get('trust proxy fn') as TrustProxy);
        } finally {
          LIMITS.heartbeat = saved;
        }
        await new Promise<void>((r) => server.listen(0, LOCAL, r));
        cleanups.unshift(async () => {
          zenith.close();
          server.closeAllConnections();
          await new Promise((r) => server.close(r));
        });
        return { base: `http://${LOCAL}:${(server.address() as AddressInfo).port}`, server };
      };
      const main = await start(LIMITS.heartbeat);
      httpBase = main.base;
      mainServer = main.server;
      fastBase = (await start(300)).base;
      process.on('warning', onWarning);
      cleanups.unshift(() => process.off('warning', onWarning));
    });
    afterEach(async () => {
      ctl.set('up');
      closeAll();
      await app.store.throttle.reset(throttleKey(LOCAL));
    });
    after(() => runAll(cleanups));

    const zen = (base = httpBase) => ({ url: base }) as TestApp;
    const open = (authorization?: string, base = httpBase): Promise<Conn> => connect(zen(base), authorization ? { headers: { authorization } } : {});
    async function person(): Promise<{ id: string; email: string; name: string }> {
      const email = `p${++n}-${db}@example.com`;
      const name = `Person ${n}`;
      return { id: (await createAccount(app.store, { email, password: PASSWORD, name }, Date.now())).id, email, name };
    }
    const code = (clientId: string, email: string, extra?: Record<string, string>) => codeFor(app, new Agent(app.url), clientId, email, PASSWORD, extra);
    const authCode = (clientId: string, secret: string, grant: string, tid: number) => ({
      Controller: 'Auth',
      Topic: 'AuthCode',
      TransactionID: tid,
      Data: { Provider: 'Paritech', ClientID: clientId, ClientSecret: secret, AuthGrant: grant },
    });
    /** The user's refresh tokens with `clientId` that are still usable. */
    async function live(userId: string, clientId: string): Promise<number> {
      let count = 0;
      for (const g of await app.store.oidcOwners.grantIds(userId, clientId))
        count += (await app.store.oidcOwners.refreshTokens(g)).filter((t) => t.consumedAt === null).length;
      return count;
    }
    /** The server releases a held token in the background: look until the count is `want` (what is asserted is the count). */
    async function settle(userId: string, clientId: string, want: number): Promise<number> {
      for (let i = 0; i < 150 && (await live(userId, clientId)) !== want; i++) await sleep(20);
      return live(userId, clientId);
    }
    const failures = async () => (await app.store.throttle.peek(throttleKey(LOCAL), app.deps.now()))?.count ?? 0;
    const pick = (level: number, ...keys: string[]) =>
      lines.filter((l) => l.level === level).map((l) => Object.fromEntries(['msg', ...keys].map((k) => [k, l[k]])) as Record<string, unknown>);

    it('sign-ins and socket errors are logged; a close without a refresh token or a revoked re-check logs nothing more', { timeout: 60000 }, async () => {
      const u = await person();
      const { access_token: at } = await tokensFor(app, await code(conf.clientId, u.email), conf.clientId, conf.secret);
      lines.length = 0;
      warnings.length = 0;
      const viaHeader = await open(`Bearer ${at}`);
      assert.equal(data(await viaHeader.call(queryIdentify(1))).Result, 'Success');
      const viaMessage = await connect(zen(), { version: '2.0' });
      assert.equal(data(await viaMessage.call(authToken(b64(at), 2))).Result, 'Success');
      assert.deepEqual(pick(INFO, 'userId', 'clientId', 'via'), [
        { msg: 'zenith connection authenticated', userId: u.id, clientId: conf.clientId, via: 'zenith:header' },
        { msg: 'zenith connection authenticated', userId: u.id, clientId: conf.clientId, via: 'zenith:AuthToken' },
      ]);
      assert.deepEqual(warnings, [], 'a 34-day token’s expiry timer stays within what Node keeps');

      // A frame over the 64 KiB limit: ws reports it and closes with 1009.
      const big = await open();
      big.ws.send('x'.repeat(64 * 1024 + 1));
      assert.equal((await big.closed).code, 1009);
      assert.deepEqual(pick(DEBUG, 'errorCode'), [{ msg: 'zenith socket error', errorCode: 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH' }]);

      // Neither socket holds a refresh token: closing them destroys nothing and warns of nothing.
      viaHeader.ws.close();
      viaMessage.ws.close();
      await viaHeader.closed;
      await viaMessage.closed;
      // A revoked token seen by QueryIdentify: Reject, 1008, and no failed request.
      const revoked = await open(`Bearer ${at}`);
      await (await app.deps.provider.AccessToken.find(at))!.destroy();
      assert.deepEqual(await revoked.call(queryIdentify(3)), { Controller: 'Auth', Topic: 'QueryIdentify', TransactionID: 3, Data: { Result: 'Reject' } });
      assert.deepEqual(await revoked.closed, { code: 1008, reason: 'Authentication revoked' });
      // One more round trip on a fresh socket, so the server has finished with the closed ones.
      const last = await open();
      assert.equal(data(await last.call(queryIdentify(4))).Result, 'Reject');
      assert.deepEqual(pick(WARN), []);
      assert.deepEqual(pick(ERROR), []);
    });

    it('a held refresh token is kept through a re-check, and destroyed when another token of the user replaces the identity', { timeout: 60000 }, async () => {
      const u = await person();
      const c = await open();
      const first = await c.call(authCode(conf.clientId, conf.secret, await code(conf.clientId, u.email), 1));
      assert.equal(data(first).Result, 'Success', JSON.stringify(first));
      assert.equal(await live(u.id, conf.clientId), 1, 'the connection holds one refresh token');
      assert.equal(data(await c.call(queryIdentify(2))).Result, 'Success');
      assert.equal(await live(u.id, conf.clientId), 1, 'the re-check kept it');
      // Its own token presented again renews with the token it holds: still there, rotated.
      const renewed = await c.call(authToken(tokenOf(first), 3));
      assert.equal(data(renewed).Result, 'Success', JSON.stringify(renewed));
      assert.notEqual(tokenOf(renewed), tokenOf(first));
      assert.equal(await live(u.id, conf.clientId), 1);
      // Another client's token of the same user now carries the connection.
      const other = await tokensFor(app, await code(plain.clientId, u.email), plain.clientId, plain.secret);
      const replaced = await c.call(authToken(other.access_token, 4));
      assert.equal(data(replaced).Result, 'Success');
      assert.equal(await settle(u.id, conf.clientId, 0), 0, 'the token the old identity held is destroyed');
      assert.equal(await live(u.id, plain.clientId), 1, 'the refresh token the partner itself holds is not touched');
    });

    it('a request that finishes after its socket closed leaves no refresh token behind', { timeout: 60000 }, async () => {
      const u = await person();
      const grant = await code(conf.clientId, u.email);
      // One failure on record: the success clears it just before the identity is set, which tells the test it is done.
      await throttleFor(app.deps, LOCAL).failed();
      const c = await open();
      const held = ctl.hold(/FROM throttle WHERE key/);
      c.ws.send(JSON.stringify(authCode(conf.clientId, conf.secret, grant, 1)));
      await held.reached;
      c.ws.close();
      await c.closed;
      held.release();
      for (let i = 0; i < 150 && (await failures()) > 0; i++) await sleep(20);
      assert.equal(await failures(), 0, 'the code was redeemed');
      assert.equal((await app.store.oidcOwners.grantIds(u.id, conf.clientId)).length, 1);
      assert.equal(await settle(u.id, conf.clientId, 0), 0, 'the refresh token the exchange gave is destroyed');
    });

    it('an identity re-authenticated while a heartbeat re-check of the old token waits on the store stays the new one', { timeout: 60000 }, async () => {
      const u = await person();
      const a = (await tokensFor(app, await code(conf.clientId, u.email), conf.clientId, conf.secret)).access_token;
      const b = (await tokensFor(app, await code(conf.clientId, u.email), conf.clientId, conf.secret)).access_token;
      const c = await open(`Bearer ${a}`, fastBase);
      // The next re-check of `a` (the heartbeat's, every 300 ms) waits at its account lookup.
      const beat = ctl.hold(/FROM users WHERE id/);
      await beat.reached;
      const switched = await c.call(authToken(b, 1));
      assert.equal(tokenOf(switched), b);
      beat.release();
      // The heartbeat's next re-check: by then the held one has long finished.
      const next = ctl.hold(/FROM users WHERE id/);
      await next.reached;
      next.release();
      await (await app.deps.provider.AccessToken.find(a))!.destroy();
      const still = await c.call(queryIdentify(2));
      assert.equal(data(still).Result, 'Success', 'the connection stands on b, not on the revoked a');
      assert.equal(data(still).ExpiryDate, data(switched).ExpiryDate);
      assert.equal(c.ws.readyState, WebSocket.OPEN);
    });

    it(
      'a QueryIdentify whose re-check finds the identity re-checked meanwhile answers; one that finds it lost answers nothing more',
      { timeout: 60000 },
      async () => {
        const u = await person();
        const { access_token: at } = await tokensFor(app, await code(conf.clientId, u.email), conf.clientId, conf.secret);
        const c = await open(`Bearer ${at}`, fastBase);
        // QueryIdentify's re-check waits at its account lookup while the heartbeat's own re-check passes.
        const query = ctl.hold(/FROM users WHERE id/);
        c.ws.send(JSON.stringify(queryIdentify(1)));
        await query.reached;
        const beat = ctl.hold(/FROM users WHERE id/);
        await beat.reached;
        beat.release();
        // The heartbeat's re-check has set the identity again by the time its next one looks the account up.
        const after = ctl.hold(/FROM users WHERE id/);
        await after.reached;
        after.release();
        query.release();
        const answer = await c.next();
        assert.deepEqual([answer.Topic, answer.TransactionID, data(answer).Result, data(answer).UserID], ['QueryIdentify', 1, 'Success', u.id]);

        // Now the heartbeat finds the token revoked while a QueryIdentify waits: the socket is lost, and the waiting
        // request ends without a reply (and without failing).
        lines.length = 0;
        const query2 = ctl.hold(/FROM users WHERE id/);
        c.ws.send(JSON.stringify(queryIdentify(2)));
        await query2.reached;
        await (await app.deps.provider.AccessToken.find(at))!.destroy();
        assert.deepEqual(await c.next(), { Controller: 'Auth', Topic: 'Identify', Data: { Result: 'Reject' } });
        query2.release();
        assert.deepEqual(await c.closed, { code: 1008, reason: 'Authentication revoked' });
        const last = await open();
        assert.equal(data(await last.call(queryIdentify(3))).Result, 'Reject');
        assert.deepEqual(pick(ERROR), []);
      },
    );

    it('requests still queued when their socket closes are dropped', { timeout: 60000 }, async () => {
      const c = await open();
      const first = ctl.hold(/FROM throttle WHERE key/);
      c.ws.send(JSON.stringify(authToken('not-a-token-1', 1)));
      c.ws.send(JSON.stringify(authToken('not-a-token-2', 2)));
      await first.reached;
      c.ws.close();
      await c.closed;
      const counted = ctl.hold(/INSERT INTO throttle/);
      first.release();
      await counted.reached;
      // The first request's failure is being recorded. The next throttle lookup is another client's, from
      // another address, unless the closed socket's second request went on to run.
      const next = ctl.hold(/FROM throttle WHERE key/);
      counted.release();
      const other = new WebSocket(`${httpBase.replace(/^http/, 'ws')}/Zenith?version=1.1`, ['ZenithJson'], { localAddress: '127.0.0.2' });
      try {
        await once(other, 'open');
        const reply = new Promise<Msg>((r) => other.once('message', (d) => r(JSON.parse(String(d)) as Msg)));
        other.send(JSON.stringify(authToken('not-a-token-3', 3)));
        const params = await next.reached;
        next.release();
        assert.deepEqual(params, [throttleKey('127.0.0.2')]);
        assert.deepEqual(data(await reply), { Result: 'Reject' });
        assert.equal(await failures(), 1, 'the closed socket’s first request only');
      } finally {
        other.terminate();
        await app.store.throttle.reset(throttleKey('127.0.0.2'));
      }
    });

    it('a re-check during an outage at the token’s last millisecond loses the identity as expired', { timeout: 60000 }, async (t) => {
      const u = await person();
      const { access_token: at } = await tokensFor(app, await code(conf.clientId, u.email), conf.clientId, conf.secret);
      const c = await open(`Bearer ${at}`);
      const exp = decodeJwt(at).exp!;
      ctl.set('down');
      // The store cannot answer, so the token's own expiry decides: at exp * 1000 it has run out.
      t.mock.timers.enable({ apis: ['Date'], now: exp * 1000 });
      const reply = await c.call(queryIdentify(1));
      t.mock.timers.reset();
      ctl.set('up');
      assert.deepEqual(reply, { Controller: 'Auth', Topic: 'QueryIdentify', TransactionID: 1, Data: { Result: 'Reject' } });
      assert.deepEqual(await c.closed, { code: 1008, reason: 'Authentication expired' });
    });

    it('a re-check that loses the identity while the server is already closing the socket fails nothing', { timeout: 60000 }, async () => {
      const u = await person();
      const { access_token: at } = await tokensFor(app, await code(conf.clientId, u.email), conf.clientId, conf.secret);
      const c = await open(`Bearer ${at}`);
      lines.length = 0;
      // QueryIdentify's re-check waits at its token lookup; meanwhile the token is revoked.
      const lookup = ctl.hold(/SELECT payload, expires_at, consumed_at FROM oidc_payloads/);
      c.ws.send(JSON.stringify(queryIdentify(1)));
      await lookup.reached;
      await (await app.deps.provider.AccessToken.find(at))!.destroy();
      // The client stops reading and floods: the server begins its 1008 close, which the client leaves unanswered.
      c.ws.pause();
      for (let i = 0; i < 41; i++) c.ws.send(JSON.stringify({ Controller: 'X', Topic: 'Y', TransactionID: i }));
      await sleep(300);
      lookup.release();
      await sleep(300);
      c.ws.resume();
      assert.deepEqual(await c.closed, { code: 1008, reason: 'Message rate limit exceeded' });
      const last = await open();
      assert.equal(data(await last.call(queryIdentify(2))).Result, 'Reject');
      assert.deepEqual(pick(ERROR), []);
    });

    it('an upstream identity re-checked during an outage at its last millisecond is lost as expired', { timeout: 60000 }, async (t) => {
      const up = await startUpstreamOp({ redirectUris: [`${app.url}/bff/federation/callback`] });
      try {
        const conn = await createConnection(
          { store: app.store, cookieSecrets: app.config.cookieSecrets, now: Date.now(), allowPrivate: app.config.federationAllowPrivate },
          { name: 'Upstream', issuer: up.issuer, clientId: up.clientId, clientSecret: up.clientSecret, scopes: ['openid', 'email', 'profile'] },
        );
        const alice = UPSTREAM_USERS[0]!;
        await federate(app, new Agent(app.url), up.issuer, conn.id, { email: alice.email, password: alice.password });
        const user = (await app.store.users.findByEmail(alice.email))!;
        const token = (await upstreamTokensFor(app.deps, user.id, acrFor(conn)))!.access_token;
        const c = await open();
        const ok = await c.call({ Controller: 'Auth', Topic: 'AuthToken', TransactionID: 1, Data: { Provider: 'Upstream', AccessToken: token } });
        assert.equal(data(ok).Result, 'Success', JSON.stringify(ok));
        // The store cannot answer, so the identity's own five minutes decide: at exp * 1000 they are over.
        const exp = Date.parse(String(data(ok).ExpiryDate)) / 1000;
        ctl.set('down');
        t.mock.timers.enable({ apis: ['Date'], now: exp * 1000 });
        const reply = await c.call(queryIdentify(2));
        t.mock.timers.reset();
        ctl.set('up');
        assert.deepEqual(reply, { Controller: 'Auth', Topic: 'QueryIdentify', TransactionID: 2, Data: { Result: 'Reject' } });
        assert.deepEqual(await c.closed, { code: 1008, reason: 'Authentication expired' });
      } finally {
        await up.close();
      }
    });

    it('the message rate window turns at exactly 1000 ms', { timeout: 60000 }, async (t) => {
      t.mock.timers.enable({ apis: ['Date'], now: Date.now() });
      const c = await open();
      const msg = (i: number) => JSON.stringify({ Controller: 'X', Topic: 'Y', TransactionID: i });
      const notAuth = (i: number) => ({ Controller: 'X', Topic: 'Y', TransactionID: i, Action: 'Error', Data: MESSAGES.notAuthenticated });
      const slow = (i: number) => ({ Controller: 'X', Topic: 'Y', TransactionID: i, Action: 'Error', Data: MESSAGES.rateLimited });
      for (let i = 0; i < 20; i++) c.ws.send(msg(i));
      for (let i = 0; i < 20; i++) assert.deepEqual(await c.next(), notAuth(i));
      t.mock.timers.tick(999);
      c.ws.send(msg(20));
      assert.deepEqual(await c.next(), slow(20), 'still the first window at 999 ms');
      t.mock.timers.tick(1);
      c.ws.send(msg(21));
      assert.deepEqual(await c.next(), notAuth(21), 'a new window at 1000 ms');
    });

    it('a client that resets its connection while the upgrade waits on the store is let go, and the server carries on', { timeout: 60000 }, async () => {
      const { port } = new URL(httpBase);
      const held = ctl.hold(/FROM throttle WHERE key/);
      const sock = tcpConnect({ port: Number(port), host: LOCAL });
      sock.on('error', () => {});
      await once(sock, 'connect');
      sock.write(
        [
          'GET /Zenith?version=1.1 HTTP/1.1',
          `Host: ${LOCAL}:${port}`,
          'Connection: Upgrade',
          'Upgrade: websocket',
          'Sec-WebSocket-Version: 13',
          `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}`,
          'Sec-WebSocket-Protocol: ZenithJson',
          'Authorization: Bearer not-a-token',
          '',
          '',
        ].join('\r\n'),
      );
      await held.reached;
      sock.resetAndDestroy();
      await once(sock, 'close');
      held.release();
      // The reset request's failure is still counted, and the next upgrade is answered as usual.
      for (let i = 0; i < 150 && (await failures()) === 0; i++) await sleep(20);
      assert.equal(await failures(), 1);
      assert.equal((await rawUpgrade(`${httpBase}/Zenith?version=1.1`, { authorization: 'Bearer not-a-token' })).status, 401);
      assert.equal(await failures(), 2);
    });

    it('a refused client that keeps its side open does not keep the server’s socket', { timeout: 60000 }, async () => {
      const { port } = new URL(httpBase);
      const count = async () => new Promise<number>((r, j) => mainServer.getConnections((e, n) => (e ? j(e) : r(n))));
      for (let i = 0; i < 150 && (await count()) > 0; i++) await sleep(20);
      assert.equal(await count(), 0, 'no socket left from the tests before');
      // allowHalfOpen: the client does not answer the server's FIN with its own.
      const sock: Socket = tcpConnect({ port: Number(port), host: LOCAL, allowHalfOpen: true });
      await once(sock, 'connect');
      let answer = '';
      sock.setEncoding('utf8');
      sock.on('data', (d: string) => (answer += d));
      const ended = once(sock, 'end');
      sock.write(`GET /Other HTTP/1.1\r\nHost: ${LOCAL}:${port}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n`);
      await ended;
      assert.match(answer, /^HTTP\/1\.1 404 Not Found\r\n[^]*\r\n\r\nNot found\.\n$/);
      for (let i = 0; i < 150 && (await count()) > 0; i++) await sleep(20);
      assert.equal(await count(), 0, 'the server closed its socket after the answer');
      sock.destroy();
    });

    it('close() stops the heartbeat: a socket closing with 1001 is left to its close handshake, not ended by the wheel', { timeout: 60000 }, async () => {
      const server = createServer();
      const saved = LIMITS.heartbeat;
      LIMITS.heartbeat = 300;
      let z: ZenithServer;
      try {
        z = attachZenith(server, app.deps, express().get('trust proxy fn') as TrustProxy);
      } finally {
        LIMITS.heartbeat = saved;
      }
      await new Promise<void>((r) => server.listen(0, LOCAL, r));
      const count = () => new Promise<number>((r, j) => server.getConnections((e, n) => (e ? j(e) : r(n))));
      try {
        const c = await connect(zen(`http://${LOCAL}:${(server.address() as AddressInfo).port}`));
        // The client stops reading: it answers neither the pings nor the close frame for now.
        c.ws.pause();
        z.close();
        // Several heartbeat periods: a wheel still turning would end the silent socket (terminate) meanwhile.
        await sleep(1500);
        assert.equal(await count(), 1, 'the server still waits for the client’s close frame');
        c.ws.resume();
        assert.deepEqual(await c.closed, { code: 1001, reason: 'Server shutting down' });
      } finally {
        server.closeAllConnections();
        await new Promise((r) => server.close(r));
      }
    });

    it('during an outage: the upgrade with a token answers 503, and it is logged', { timeout: 60000 }, async () => {
      lines.length = 0;
      ctl.set('down');
      const res = await rawUpgrade(`${httpBase}/Zenith?version=1.1`, { authorization: 'Bearer some-token' });
      ctl.set('up');
      assert.deepEqual(res, { status: 503, body: 'The server cannot accept this connection right now.\n', retryAfter: undefined });
      assert.deepEqual(
        lines.filter((l) => l.level === ERROR).map((l) => ({ msg: l.msg, err: (l.err as { type?: string } | undefined)?.type })),
        [{ msg: 'zenith upgrade failed', err: 'StoreUnavailableError' }],
      );
    });

    it(
      'during an outage: a re-check keeps the identity (logged), and a request gets the Error, unlogged; a refused statement is logged',
      { timeout: 60000 },
      async () => {
        const u = await person();
        const { access_token: at } = await tokensFor(app, await code(conf.clientId, u.email), conf.clientId, conf.secret);
        const c = await open(`Bearer ${at}`);
        lines.length = 0;
        ctl.set('down');
        const kept = await c.call(queryIdentify(1));
        const failed = await c.call(authToken('some-token', 2));
        ctl.set('up');
        assert.equal(data(kept).Result, 'Success', JSON.stringify(kept));
        assert.equal(data(kept).UserID, u.id);
        const unavailable = { Controller: 'Auth', Topic: 'AuthToken', TransactionID: 2, Action: 'Error', Data: MESSAGES.unavailable };
        assert.deepEqual(failed, unavailable);
        // (A heartbeat re-check in the same moment would log the same line again.)
        const logged = lines
          .filter((l) => l.level >= WARN)
          .map((l) => JSON.stringify({ level: l.level, msg: l.msg, err: (l.err as { type?: string } | undefined)?.type }));
        assert.deepEqual(
          [...new Set(logged)].map((l) => JSON.parse(l) as unknown),
          [{ level: WARN, msg: 'zenith: could not re-check a connection token', err: 'StoreUnavailableError' }],
        );
        // A statement refused for another reason, on a socket with no identity to re-check meanwhile.
        const d = await open();
        lines.length = 0;
        ctl.set('broken');
        const refused = await d.call(authToken('some-token', 2));
        ctl.set('up');
        assert.deepEqual(refused, unavailable);
        assert.deepEqual(
          lines
            .filter((l) => l.level >= WARN)
            .map((l) => ({ level: l.level, msg: l.msg, topic: l.topic, err: (l.err as { message?: string } | undefined)?.message })),
          [{ level: ERROR, msg: 'zenith request failed', topic: 'AuthToken', err: 'the statement was refused' }],
        );
        assert.equal(c.ws.readyState, WebSocket.OPEN);
        assert.equal(d.ws.readyState, WebSocket.OPEN);
      },
    );

    it('during an outage: a held refresh token that cannot be destroyed at the close is logged', { timeout: 60000 }, async () => {
      const u = await person();
      const c = await open();
      assert.equal(data(await c.call(authCode(conf.clientId, conf.secret, await code(conf.clientId, u.email), 1))).Result, 'Success');
      lines.length = 0;
      ctl.set('down');
      c.ws.close();
      await c.closed;
      const warned = () => lines.filter((l) => l.level === WARN);
      for (let i = 0; i < 150 && warned().length === 0; i++) await sleep(20);
      ctl.set('up');
      assert.deepEqual(
        warned().map((l) => ({ msg: l.msg, err: (l.err as { type?: string } | undefined)?.type })),
        [{ msg: 'zenith: could not destroy a connection refresh token', err: 'StoreUnavailableError' }],
      );
      assert.equal(await live(u.id, conf.clientId), 1, 'the token stays (its grant still ends it)');
    });
  });
}
