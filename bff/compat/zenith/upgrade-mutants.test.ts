/**
 * The Zenith upgrade (upgrade.ts) and what runs beside the sockets (the
 * heartbeat visits and close()), pinned exactly where mutation testing
 * (docs/mutation.md) found them unchecked, on a server where Zenith is alone,
 * with the real app's deps and store on SQLite and PostgreSQL: each refusal's
 * exact HTTP answer (404 for another path, 403 for a foreign Origin, 400 for
 * a version or subprotocol, 401 with WWW-Authenticate, 429 with Retry-After),
 * the subprotocol lists and Authorization headers accepted, the client address
 * through a trusted proxy (X-Forwarded-For with one trusted hop, compiled by
 * Express as the app compiles TRUST_PROXY=1) for the header and the socket,
 * and the app's own upgrade (no trusted proxy) ignoring it; a silent client
 * ended by the heartbeat, an answering one kept, a revoked token noticed
 * without a message; and close() ending every socket with 1001.
 */
import { describe, it, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { randomBytes } from 'node:crypto';
import express from 'express';
import { decodeJwt } from 'jose';
import { WebSocket } from 'ws';
import { startTestApp, type TestApp } from '../../testing/test-app.ts';
import { createAccount } from '../../accounts/accounts.ts';
import type { TrustProxy } from '../../http/security.ts';
import { partner, PASSWORD, rawAuthenticate, type Partner } from '../workos/test-helpers.ts';
import { throttleFor, throttleKey } from './auth.ts';
import { LIMITS } from './connection.ts';
import { attachZenith, type ZenithServer } from './upgrade.ts';
import type { Msg } from './test-client.ts';

const LIMIT = 10;
const WINDOW_S = 120;
const LOCAL = '127.0.0.1';

const b64 = (s: string) => Buffer.from(s).toString('base64');
const authToken = (token: string, tid: number) => ({
  Controller: 'Auth',
  Topic: 'AuthToken',
  TransactionID: tid,
  Data: { Provider: 'Bearer', AccessToken: token },
});
const reject = (topic: string, tid?: number) => ({
  Controller: 'Auth',
  Topic: topic,
  ...(tid === undefined ? {} : { TransactionID: tid }),
  Data: { Result: 'Reject' },
});
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A raw upgrade request: the refusal's status, headers and body exactly as written. */
function rawUpgrade(
  url: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; message: string; headers: Record<string, unknown>; body: string }> {
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
    // An accepted upgrade is reported as its 101 (no refusal expects one).
    req.on('upgrade', (res, socket) => {
      socket.destroy();
      resolve({ status: res.statusCode ?? 0, message: res.statusMessage ?? '', headers: res.headers, body: '' });
    });
    req.on('response', (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, message: res.statusMessage ?? '', headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

const REASONS: Record<number, string> = { 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 429: 'Too Many Requests' };
const refusal = (status: number, body: string, extra: Record<string, string> = {}) => ({
  status,
  message: REASONS[status],
  headers: {
    connection: 'close',
    'content-type': 'text/plain; charset=utf-8',
    'content-length': String(Buffer.byteLength(body)),
    'cache-control': 'no-store',
    ...extra,
  },
  body,
});

for (const db of ['sqlite', 'postgres'] as const) {
  describe(`Zenith upgrade, exactly (${db})`, () => {
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
    after(() => app.close());

    async function tokens(): Promise<{ access_token: string; refresh_token: string }> {
      const res = await rawAuthenticate(app, { grant_type: 'password', client_id: conf.clientId, client_secret: conf.secret, email, password: PASSWORD });
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

    describe('the upgrade, on a server where Zenith is alone', () => {
      let server: Server;
      let zenith: ZenithServer;
      let base: string;
      let savedBeat: number;
      const sockets: WebSocket[] = [];
      before(async () => {
        // One trusted hop, compiled by Express exactly as the app compiles TRUST_PROXY=1.
        const trust = express().set('trust proxy', 1).get('trust proxy fn') as TrustProxy;
        server = createServer();
        savedBeat = LIMITS.heartbeat;
        LIMITS.heartbeat = 300;
        try {
          zenith = attachZenith(server, app.deps, trust);
        } finally {
          LIMITS.heartbeat = savedBeat;
        }
        await new Promise<void>((r) => server.listen(0, LOCAL, r));
        base = `ws://${LOCAL}:${(server.address() as AddressInfo).port}`;
      });
      after(async () => {
        zenith.close();
        for (const ws of sockets) ws.terminate();
        server.closeAllConnections();
        await new Promise((r) => server.close(r));
      });
      const http = () => base.replace(/^ws/, 'http');
      function open(
        headers: Record<string, string> = {},
        autoPong = true,
      ): Promise<{ ws: WebSocket; messages: Msg[]; closed: Promise<{ code: number; reason: string }> }> {
        const ws = new WebSocket(`${base}/Zenith?version=1.1`, ['ZenithJson'], { headers, autoPong });
        sockets.push(ws);
        const messages: Msg[] = [];
        ws.on('message', (d) => messages.push(JSON.parse(String(d)) as Msg));
        const closed = new Promise<{ code: number; reason: string }>((r) => ws.on('close', (code, reason) => r({ code, reason: String(reason) })));
        return new Promise((resolve, reject) => {
          ws.once('open', () => resolve({ ws, messages, closed }));
          ws.once('error', reject);
        });
      }

      it('each refusal is a complete plain HTTP answer', { timeout: 20000 }, async () => {
        assert.deepEqual(await rawUpgrade(`${http()}/Other?version=1.1`), refusal(404, 'Not found.\n'));
        assert.deepEqual(
          await rawUpgrade(`${http()}/Zenith?version=1.1`, { origin: 'https://evil.example' }),
          refusal(403, 'This origin may not open a Zenith connection.\n'),
        );
        const version = refusal(400, 'Unsupported version: use version=1.1 or version=2.0.\n');
        assert.deepEqual(await rawUpgrade(`${http()}/Zenith?version=x`), version);
        assert.deepEqual(await rawUpgrade(`${http()}/Zenith?version=1.1&version=1.1`), version);
        const protocol = refusal(400, 'Unsupported subprotocol: use ZenithJson.\n');
        assert.deepEqual(await rawUpgrade(`${http()}/Zenith?version=1.1`, { 'sec-websocket-protocol': 'ZenithXml' }), protocol);
        assert.deepEqual(await rawUpgrade(`${http()}/Zenith?version=1.1`, { 'sec-websocket-protocol': 'ZenithXml, Zenith' }), protocol);
        assert.deepEqual(
          await rawUpgrade(`${http()}/Zenith?version=1.1`, { authorization: 'Bearer not-a-token' }),
          refusal(401, 'The access token is not valid.\n', { 'www-authenticate': 'Bearer error="invalid_token"' }),
        );
        assert.equal(await failures(), 1);
        for (let i = 1; i < LIMIT; i++) await throttleFor(app.deps, LOCAL).failed();
        const locked = await rawUpgrade(`${http()}/Zenith?version=1.1`, { authorization: 'Bearer not-a-token' });
        assert.match(String(locked.headers['retry-after']), /^(120|119)$/);
        assert.deepEqual(locked, refusal(429, 'Too many failed authentication attempts.\n', { 'retry-after': String(locked.headers['retry-after']) }));
        assert.equal(await failures(), LIMIT, 'a refused lockout is not another failure');
      });

      it('another path is left to another upgrade listener when there is one', { timeout: 20000 }, async () => {
        const other = (_req: unknown, socket: Duplex) => socket.end("HTTP/1.1 418 I'm a Teapot\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
        server.on('upgrade', other);
        try {
          const r = await rawUpgrade(`${http()}/Other?version=1.1`);
          assert.deepEqual([r.status, r.body], [418, '']);
        } finally {
          server.off('upgrade', other);
        }
      });

      it('accepts a subprotocol list holding ZenithJson, none at all, and a good Authorization header', { timeout: 20000 }, async () => {
        const { access_token: at } = await tokens();
        for (const list of ['Other, ZenithJson', 'ZenithJson , Other']) {
          const ws = new WebSocket(
            `${base}/Zenith`,
            list.split(',').map((p) => p.trim()),
          );
          sockets.push(ws);
          await new Promise((r, j) => (ws.once('open', r), ws.once('error', j)));
          assert.equal(ws.protocol, 'ZenithJson');
        }
        const bare = new WebSocket(`${base}/Zenith?version=2.0`);
        sockets.push(bare);
        await new Promise((r, j) => (bare.once('open', r), bare.once('error', j)));
        assert.equal(bare.protocol, '');
        assert.equal(bare.extensions, '', 'permessage-deflate offered (ws does by default) and declined');
        const spaced = await rawUpgrade(`${http()}/Zenith?version=1.1`, { 'sec-websocket-protocol': 'Other , ZenithJson' });
        assert.deepEqual([spaced.status, spaced.headers['sec-websocket-protocol']], [101, 'ZenithJson']);
        await throttleFor(app.deps, LOCAL).failed();
        for (const authorization of [`Bearer ${at}`, `bearer   ${b64(at)}`, `  Bearer ${at}  `]) {
          const s = await open({ authorization });
          s.ws.send(JSON.stringify({ Controller: 'Auth', Topic: 'QueryIdentify', TransactionID: 1 }));
          await new Promise((r) => s.ws.once('message', r));
          assert.deepEqual(s.messages, [success(at, 'QueryIdentify', 1, false)], authorization);
        }
        assert.equal(await failures(), 0, 'a good header clears the failures');
        for (const authorization of [`x Bearer ${at}`, `Bearer ${at} x`, `Bearer${at}`, `${'B'.repeat(65)} ${at}`])
          assert.equal((await rawUpgrade(`${http()}/Zenith?version=1.1`, { authorization })).status, 401, authorization);
        assert.equal(await failures(), 4);
      });

      it('the client address is the trusted proxy’s X-Forwarded-For entry, for the header and for the socket', { timeout: 20000 }, async () => {
        const ip = '203.0.113.77';
        await app.store.throttle.reset(throttleKey(ip));
        assert.equal(
          (await rawUpgrade(`${http()}/Zenith?version=1.1`, { authorization: 'Bearer nope', 'x-forwarded-for': `198.51.100.1, ${ip}` })).status,
          401,
        );
        assert.equal(await failures(ip), 1);
        assert.equal(await failures(), 0);
        const s = await open({ 'x-forwarded-for': ip });
        s.ws.send(JSON.stringify(authToken('nope', 1)));
        await new Promise((r) => s.ws.once('message', r));
        assert.deepEqual(s.messages, [reject('Identify', 1)]);
        assert.equal(await failures(ip), 2);
        assert.equal(await failures(), 0);
        // The app itself trusts no proxy: there the header is the client's own word, ignored.
        assert.equal(await rawUpgrade(`${app.url}/Zenith?version=1.1`, { authorization: 'Bearer nope', 'x-forwarded-for': ip }).then((r) => r.status), 401);
        assert.equal(await failures(ip), 2);
        assert.equal(await failures(), 1);
      });

      it('the heartbeat ends a client that never answers a ping, keeps one that does, and notices a revoked token', { timeout: 20000 }, async () => {
        const { access_token: at } = await tokens();
        const silent = await open({}, false);
        const answering = await open({ authorization: `Bearer ${at}` });
        const other = (await tokens()).access_token;
        const revoked = await open({ authorization: `Bearer ${other}` });
        assert.deepEqual(await silent.closed, { code: 1006, reason: '' });
        await (await app.deps.provider.AccessToken.find(other))!.destroy();
        assert.deepEqual(await revoked.closed, { code: 1008, reason: 'Authentication revoked' });
        assert.deepEqual(revoked.messages, [reject('Identify')]);
        await sleep(700);
        assert.equal(answering.ws.readyState, WebSocket.OPEN);
        assert.deepEqual(answering.messages, []);
      });

      it('close() ends every socket with 1001', { timeout: 20000 }, async () => {
        const a = await open();
        const { access_token: at } = await tokens();
        const b = await open({ authorization: `Bearer ${at}` });
        zenith.close();
        assert.deepEqual(await a.closed, { code: 1001, reason: 'Server shutting down' });
        assert.deepEqual(await b.closed, { code: 1001, reason: 'Server shutting down' });
      });
    });
  });
}
