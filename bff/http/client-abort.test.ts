/**
 * A client that closes the connection halfway through its request body is
 * not the portal's fault: no error is logged for it, whichever part of the
 * portal was reading (BFF JSON, the /oauth shims, oidc-provider, WorkOS, SaG).
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { once } from 'node:events';
import { startTestApp, type TestApp } from '../testing/test-app.ts';

type Level = 'fatal' | 'error' | 'warn' | 'info' | 'debug';
const LEVELS: Level[] = ['fatal', 'error', 'warn', 'info', 'debug'];

const ENDPOINTS: Array<[string, string]> = [
  ['/bff/logout', 'application/json'],
  ['/bff/setup', 'application/json'],
  ['/oauth/token', 'application/x-www-form-urlencoded'],
  ['/oauth/introspect', 'application/x-www-form-urlencoded'],
  ['/oauth/revoke', 'application/x-www-form-urlencoded'],
  ['/oauth/userinfo', 'application/x-www-form-urlencoded'],
  ['/user_management/authenticate', 'application/json'],
  ['/admin/login/auth_code', 'application/json'],
];

for (const db of ['sqlite', 'postgres'] as const) {
  describe(`client aborts are not errors (${db})`, () => {
    let app: TestApp;
    const lines: Array<{ level: Level; msg: string }> = [];
    before(async () => {
      app = await startTestApp({ db });
      // Every part logs through this one object: record what each level is asked to say.
      const logger = app.deps.logger as unknown as Record<Level, (...args: unknown[]) => void>;
      for (const level of LEVELS) {
        logger[level] = (...args: unknown[]) => {
          lines.push({ level, msg: String(args.find((a) => typeof a === 'string') ?? '') });
        };
      }
    });
    after(() => app.close());

    it('closing the connection mid-body logs no error or warning anywhere', async () => {
      const { port } = new URL(app.url);
      for (const [path, type] of ENDPOINTS) {
        const socket = connect(Number(port), '127.0.0.1');
        await once(socket, 'connect');
        socket.write(
          `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Type: ${type}\r\nContent-Length: 1000\r\nOrigin: ${app.url}\r\nSec-Fetch-Site: same-origin\r\nX-Portal-Csrf: 1\r\n\r\n${type.includes('json') ? '{"a":"' : 'token=abc&'}`,
        );
        // The server has the headers and part of the body, and is waiting for the rest.
        await new Promise((r) => setTimeout(r, 150));
        socket.destroy();
        await once(socket, 'close');
      }
      // The BFF's two aborts are the ones said out loud, at debug; wait until both are in (the server notices asynchronously).
      const aborts = () => lines.filter((l) => l.level === 'debug' && l.msg === 'client closed the connection mid-request').length;
      for (let i = 0; i < 100 && aborts() < 2; i++) await new Promise((r) => setTimeout(r, 50));
      assert.equal(aborts(), 2);
      const loud = lines.filter((l) => l.level === 'error' || l.level === 'fatal' || l.level === 'warn');
      assert.deepEqual(loud, []);
      const server = await fetch(`${app.url}/bff/session`);
      assert.equal(server.status, 200, 'the server is still answering');
    });
  });
}
