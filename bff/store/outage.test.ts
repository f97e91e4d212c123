/**
 * PostgreSQL locked, frozen, gone, or holding a dead instance's transaction:
 * every endpoint answers 503 with Retry-After in its own format, fast, never
 * a 500 and never a hang; and the portal recovers without a restart once the
 * database is back (checks in testing/outage-checks.ts).
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { startTestApp, PG_URL } from '../testing/test-app.ts';
import { withTempPgSchema, type TempPgSchema } from '../testing/pg-schema.ts';
import { startTcpProxy, type TcpProxy } from '../testing/tcp-proxy.ts';
import { closeAll as closeZenith, connect as connectZenith } from '../compat/zenith/test-client.ts';
import { MESSAGES as ZENITH_MESSAGES } from '../compat/zenith/map.ts';
import { timeouts } from './postgres/pg-driver.ts';
import {
  ENV,
  assertEveryEndpointUnavailable,
  assertHealthDown,
  assertRecovered,
  assertRetryAfter,
  assertSagUnavailable,
  assertWorkosUnavailable,
  atCallback,
  call,
  duringOutage,
  fixture,
  partnerCode,
  type Fixture,
} from '../testing/outage-checks.ts';

describe('PostgreSQL outages', () => {
  let schema: TempPgSchema;
  let proxy: TcpProxy;
  let f: Fixture;
  before(async () => {
    schema = await withTempPgSchema(PG_URL);
    const direct = new URL(schema.url);
    proxy = await startTcpProxy(direct.hostname, Number(direct.port || 5432));
    const proxied = new URL(schema.url);
    proxied.hostname = '127.0.0.1';
    proxied.port = String(proxy.port);
    f = await fixture(await startTestApp({ databaseUrl: proxied.href, env: ENV }));
  });
  after(async () => {
    closeZenith();
    await f?.app.close();
    await proxy?.close();
    await schema?.drop();
  });

  it('a statement waiting on a lock held elsewhere fails at lock_timeout', async () => {
    const code = await partnerCode(f);
    const holder = new pg.Client({ connectionString: schema.url });
    await holder.connect();
    const lockEverything = async () => {
      const tables = (await holder.query<{ t: string }>('SELECT quote_ident(tablename) AS t FROM pg_tables WHERE schemaname = current_schema()')).rows.map(
        (r) => r.t,
      );
      await holder.query('BEGIN');
      await holder.query(`LOCK TABLE ${tables.join(', ')} IN ACCESS EXCLUSIVE MODE`);
    };
    // SELECT 1 needs no table; the heartbeat write does.
    await duringOutage(f, { start: lockEverything, end: () => holder.end() }, () => assertEveryEndpointUnavailable(f, code, ['store_write_failed']));
  });

  it('a crashed instance holding a row lock in an open transaction: 503 meanwhile, released by the idle timeout', async () => {
    // What the server sees of an instance killed mid-transaction: a connection that says nothing more.
    const crashed = new pg.Client({ connectionString: schema.url, ...timeouts(Number(ENV.DATABASE_TIMEOUT_MS)) });
    crashed.on('error', () => {});
    await crashed.connect();
    const holdHeartbeat = async () => {
      await crashed.query('BEGIN');
      await crashed.query("INSERT INTO settings (key, value) VALUES ('healthz.heartbeat', 'held') ON CONFLICT (key) DO UPDATE SET value = excluded.value");
    };
    await holdHeartbeat();
    try {
      await assertHealthDown(f, ['store_write_failed']);
      // No one ends the transaction here: the server must, after idle_in_transaction_session_timeout.
      await assertRecovered(f);
    } finally {
      await crashed.end().catch(() => {});
    }
  });

  it('a frozen server (connections open, nothing answers) fails at the timeouts', async () => {
    const code = await partnerCode(f);
    await duringOutage(f, { start: () => proxy.freeze(), end: () => proxy.thaw() }, () => assertEveryEndpointUnavailable(f, code, ['store_timeout']));
  });

  it('a server that is gone (connections cut, port refusing) answers 503, never 500', async () => {
    const code = await partnerCode(f);
    const callback = await atCallback(f.app);
    const zenith = await connectZenith(f.app);
    await duringOutage(f, { start: () => proxy.down(), end: () => proxy.up() }, async () => {
      await assertEveryEndpointUnavailable(f, code, ['store_unreachable']);
      // Zenith's own error message on the open socket: the request failed, not the credentials.
      const reply = await zenith.call({
        Controller: 'Auth',
        Topic: 'AuthCode',
        TransactionID: 7,
        Data: { Provider: 'Paritech', ClientID: f.partner.clientId, ClientSecret: f.partner.secret, AuthGrant: 'a-code' },
      });
      assert.deepEqual(reply, { Controller: 'Auth', Topic: 'AuthCode', TransactionID: 7, Action: 'Error', Data: ZENITH_MESSAGES.unavailable });
      await assertWorkosUnavailable(f);
      await assertSagUnavailable(f);
      // The BFF's own code exchange at /bff/callback: a page, as the browser arrives by redirect.
      const page = await call(callback.url, { headers: { cookie: callback.agent.cookieHeader(), accept: 'text/html' } });
      assert.equal(page.status, 503, '/bff/callback');
      assertRetryAfter(page, '/bff/callback');
      assert.match(await page.text(), /temporarily_unavailable/);
    });
  });
});
