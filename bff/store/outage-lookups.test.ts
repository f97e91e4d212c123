/**
 * Lookups that read "none" from a failed oidc-provider find (a malformed or
 * refused token) must not read it from a database outage too: the sign-in
 * screen and its later steps (second factor, new password), the legacy refresh, /oauth/userinfo, the WorkOS sign-out link and Zenith's AuthToken
 * with a refresh token answer 503 + Retry-After (Zenith: its Error message),
 * never interaction_not_found, invalid_grant, invalid_token, "sign in first" or Reject. PostgreSQL
 * goes away behind a TCP proxy; SQLite's driver reports the file unusable as
 * it does for a locked or unreadable file (StoreUnavailableError).
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as oidc from 'openid-client';
import { startTestApp, runAll, PG_URL } from '../testing/test-app.ts';
import { withTempPgSchema } from '../testing/pg-schema.ts';
import { startTcpProxy } from '../testing/tcp-proxy.ts';
import { closeAll as closeZenith, connect as connectZenith } from '../compat/zenith/test-client.ts';
import { MESSAGES as ZENITH_MESSAGES } from '../compat/zenith/map.ts';
import { ENV, assertRetryAfter, assertSignInUnavailable, atSignIn, call, duringOutage, fixture, partnerCode, type Fixture } from '../testing/outage-checks.ts';
import { openSqlite } from './sqlite/sqlite-driver.ts';
import { openStore } from './open-store.ts';
import { SqlStore } from './sql/sql-store.ts';
import type { Driver } from './sql/driver.ts';
import { StoreUnavailableError } from './store.ts';

interface Outage {
  start(): unknown;
  end(): unknown;
}

/** A real SQLite driver that, while down, fails every statement as an unusable file does. */
function switchable(driver: Driver): { driver: Driver; outage: Outage } {
  let down = false;
  const gate = () => {
    if (down) throw new StoreUnavailableError(new Error('SQLITE_IOERR: disk I/O error'));
  };
  const wrap = (d: Driver): Driver => ({
    ...d,
    query: async (sql, params) => (gate(), d.query(sql, params)),
    run: async (sql, params) => (gate(), d.run(sql, params)),
    transaction: async (fn) => (gate(), d.transaction((tx) => fn(wrap(tx)))),
  });
  return { driver: wrap(driver), outage: { start: () => (down = true), end: () => (down = false) } };
}

async function checks(f: Fixture, outage: Outage): Promise<void> {
  // Taken while the database is up: a real access token (a signed JWT) and a Zenith connection.
  const code = await partnerCode(f);
  const tokens = await oidc.authorizationCodeGrant(f.partner.config, code.end, { pkceCodeVerifier: code.verifier });
  const zenith = await connectZenith(f.app);
  const signIn = await atSignIn(f.app);
  await duringOutage(f, outage, async () => {
    // The sign-in screen's request has not expired: it cannot be read right now.
    const screen = await call(`${f.app.url}/bff/interaction/${signIn.uid}`, { headers: { cookie: signIn.agent.cookieHeader(), accept: 'application/json' } });
    assert.equal(screen.status, 503, 'GET /bff/interaction/:uid');
    assertRetryAfter(screen, 'GET /bff/interaction/:uid');
    assert.equal(((await screen.json()) as { error: string }).error, 'temporarily_unavailable');
    await assertSignInUnavailable(f.app, signIn);
    // The later steps of the same sign-in (a second factor, the initial password's replacement) read it too.
    for (const step of ['second-factor', 'new-password']) {
      const res = await call(`${f.app.url}/bff/interaction/${signIn.uid}/${step}`, {
        method: 'POST',
        headers: {
          cookie: signIn.agent.cookieHeader(),
          accept: 'application/json',
          'content-type': 'application/json',
          'x-portal-csrf': '1',
          origin: f.app.url,
          'sec-fetch-site': 'same-origin',
        },
        body: JSON.stringify(step === 'new-password' ? { password: 'a new password for the outage' } : { code: '123456' }),
      });
      assert.equal(res.status, 503, `POST /bff/interaction/:uid/${step}`);
      assertRetryAfter(res, step);
      assert.equal(((await res.json()) as { error: string }).error, 'temporarily_unavailable');
    }

    const legacy = await call(
      `${f.app.config.issuer}?${new URLSearchParams({ '': 'token', grant_type: 'refresh_token', refresh_token: 'a-refresh-token-the-database-would-look-up' })}`,
    );
    assert.equal(legacy.status, 503, 'legacy refresh GET /oauth?=token');
    assertRetryAfter(legacy, 'legacy refresh');
    assert.equal(((await legacy.json()) as { error: string }).error, 'temporarily_unavailable');

    const userinfo = await call(`${f.app.config.issuer}/userinfo`, { headers: { authorization: `Bearer ${tokens.access_token}` } });
    assert.equal(userinfo.status, 503, '/oauth/userinfo');
    assertRetryAfter(userinfo, 'userinfo');
    assert.equal(((await userinfo.json()) as { error: string }).error, 'temporarily_unavailable');

    const logout = await call(`${f.app.url}/user_management/sessions/logout?session_id=grant-the-database-would-look-up`, { headers: { accept: 'text/html' } });
    assert.equal(logout.status, 503, 'WorkOS sessions/logout');
    assertRetryAfter(logout, 'WorkOS sessions/logout');
    assert.match(await logout.text(), /temporarily_unavailable/);

    const reply = await zenith.call({
      Controller: 'Auth',
      Topic: 'AuthToken',
      TransactionID: 9,
      Data: { Provider: 'Bearer', AccessToken: 'a-refresh-token-the-database-would-look-up' },
    });
    assert.deepEqual(reply, { Controller: 'Auth', Topic: 'AuthToken', TransactionID: 9, Action: 'Error', Data: ZENITH_MESSAGES.unavailable });
  });
}

describe('lookups during an outage answer 503, not "none" (PostgreSQL)', () => {
  let f: Fixture;
  let outage: Outage;
  const cleanups: Array<() => unknown> = [];
  before(async () => {
    const schema = await withTempPgSchema(PG_URL);
    cleanups.unshift(() => schema.drop());
    // The schema is built directly, with the usual timeouts: only what the test checks runs under the outage ones.
    const builder = await openStore(schema.url);
    await builder.migrate();
    await builder.close();
    const direct = new URL(schema.url);
    const proxy = await startTcpProxy(direct.hostname, Number(direct.port || 5432));
    cleanups.unshift(() => proxy.close());
    const proxied = new URL(schema.url);
    proxied.hostname = '127.0.0.1';
    proxied.port = String(proxy.port);
    const app = await startTestApp({ databaseUrl: proxied.href, env: ENV });
    cleanups.unshift(() => app.close());
    f = await fixture(app);
    outage = { start: () => proxy.down(), end: () => proxy.up() };
  });
  after(async () => {
    closeZenith();
    await runAll(cleanups);
  });

  it('sign-in screen, legacy refresh, userinfo, WorkOS sign-out and Zenith AuthToken', () => checks(f, outage));
});

describe('lookups during an outage answer 503, not "none" (SQLite)', () => {
  let f: Fixture;
  let outage: Outage;
  const cleanups: Array<() => unknown> = [];
  before(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'portal-outage-lookups-'));
    cleanups.unshift(() => rmSync(dir, { recursive: true, force: true }));
    const s = switchable(openSqlite(join(dir, 'portal.db'), { timeoutMs: Number(ENV.DATABASE_TIMEOUT_MS) }));
    const store = new SqlStore(s.driver);
    cleanups.unshift(() => store.close());
    await store.migrate();
    const app = await startTestApp({ store, databaseUrl: `sqlite:${join(dir, 'portal.db')}`, env: ENV });
    cleanups.unshift(() => app.close());
    f = await fixture(app);
    outage = s.outage;
  });
  after(async () => {
    closeZenith();
    await runAll(cleanups);
  });

  it('sign-in screen, legacy refresh, userinfo, WorkOS sign-out and Zenith AuthToken', () => checks(f, outage));
});
