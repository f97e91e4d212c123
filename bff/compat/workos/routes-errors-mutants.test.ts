/**
 * The WorkOS routes' error handler and page headers (routes.ts), where
 * mutation testing (docs/mutation.md) found them unchecked: a 5xx is logged
 * once, with its cause, method and path, and a 4xx is not; a database outage
 * at the browser's sign-out link or at authorize is an HTML page, at the API
 * JSON; a failure that is no outage shows `server_error` on the page and
 * nothing of its message; HSTS on these pages only when the portal is served
 * over https; the signed-out page is HTML; an RSA key in the store is
 * published with its public members `n` and `e` and none of its private ones;
 * the sign-out link of a session whose partner app was deleted is refused as
 * any other; an invitation that lapses at this very millisecond prefills nothing;
 * authorize for a client without `openid` (a machine client) still asks `openid`;
 * the browser's portal session unreadable at the sign-out link (no proof, or
 * the key's logout goes on without it); a router mounted without mail refuses
 * the password grant loudly.
 *
 * The router is the real one (`workosRoutes`) over the real app's deps, mounted
 * on its own port with a logger whose lines the test reads. The database is
 * the real SQLite file or PostgreSQL schema behind its real driver, which the
 * test can switch to failing every statement, either as an unreachable
 * database does (StoreUnavailableError) or with a plain error (a bug).
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { Writable } from 'node:stream';
import express from 'express';
import { exportJWK, generateKeyPair } from 'jose';
import { startTestApp, runAll, type TestApp } from '../../testing/test-app.ts';
import { tempDatabase } from '../../testing/temp-store.ts';
import { openSqlite } from '../../store/sqlite/sqlite-driver.ts';
import { openPostgres } from '../../store/postgres/pg-driver.ts';
import { SqlStore } from '../../store/sql/sql-store.ts';
import type { Driver, SqlValue } from '../../store/sql/driver.ts';
import { StoreUnavailableError } from '../../store/store.ts';
import { createLogger } from '../../http/logger.ts';
import type { Deps } from '../../deps.ts';
import { createAccount } from '../../accounts/accounts.ts';
import { createInvitation, createOrganization } from '../../orgs/orgs.ts';
import { createResource, registerMachineClient } from '../../oauth/machine.ts';
import { workosRoutes } from './routes.ts';
import { partner, PASSWORD, signIn, type Partner } from './test-helpers.ts';

type Failure = 'outage' | 'bug' | null;

/**
 * A real driver that, while switched, fails its statements (every one, or those `only` picks): as an
 * unreachable database does (StoreUnavailableError), or with a plain error (a bug, a row that cannot be read).
 */
function switchable(driver: Driver): { driver: Driver; set(f: Failure, only?: (sql: string, params: readonly SqlValue[]) => boolean): void } {
  let failure: Failure = null;
  let picks: ((sql: string, params: readonly SqlValue[]) => boolean) | undefined;
  const gate = (sql: string, params: readonly SqlValue[] = []) => {
    if (failure === null || (picks && !picks(sql, params))) return;
    if (failure === 'outage') throw new StoreUnavailableError(new Error('connection refused'));
    throw new Error('an injected failure that is no outage');
  };
  const wrap = (d: Driver): Driver => ({
    ...d,
    query: async (sql, params) => (gate(sql, params), d.query(sql, params)),
    run: async (sql, params) => (gate(sql, params), d.run(sql, params)),
    transaction: async (fn) => (gate('BEGIN'), d.transaction((tx) => fn(wrap(tx)))),
  });
  return {
    driver: wrap(driver),
    set: (f, only) => {
      failure = f;
      picks = only;
    },
  };
}

interface LogLine {
  level: number;
  msg: string;
  method?: string;
  path?: string;
  err?: { type: string; message: string };
}

/** The WorkOS router alone, on its own loopback port. */
async function mount(deps: Deps): Promise<{ url: string; server: Server }> {
  const app = express();
  app.use(workosRoutes(deps));
  const server = createServer(app);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, server };
}

const close = (server: Server) =>
  new Promise<void>((r) => {
    server.closeAllConnections();
    server.close(() => r());
  });

for (const db of ['sqlite', 'postgres'] as const) {
  describe(`WorkOS routes: errors, logs and page headers (${db})`, { timeout: 120000 }, () => {
    let app: TestApp;
    let store: ReturnType<typeof switchable>;
    let url: string;
    let httpsUrl: string;
    let conf: Partner;
    const lines: LogLine[] = [];
    const cleanups: Array<() => unknown> = [];

    before(async () => {
      const temp = await tempDatabase(db);
      cleanups.unshift(() => temp.remove());
      const raw = db === 'sqlite' ? openSqlite(temp.url.slice('sqlite:'.length)) : openPostgres(temp.url);
      store = switchable(raw);
      const sql = new SqlStore(store.driver);
      cleanups.unshift(() => sql.close());
      await sql.migrate();
      app = await startTestApp({ store: sql, databaseUrl: temp.url });
      cleanups.unshift(() => app.close());
      const sink = new Writable({
        write(chunk, _enc, done) {
          for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line) as LogLine);
          done();
        },
      });
      const logger = createLogger('info', sink);
      const plain = await mount({ ...app.deps, logger });
      cleanups.unshift(() => close(plain.server));
      url = plain.url;
      const secure = await mount({ ...app.deps, logger, config: { ...app.config, publicUrl: 'https://portal.example' } });
      cleanups.unshift(() => close(secure.server));
      httpsUrl = secure.url;
      conf = await partner(app, false);
    });
    after(() => runAll(cleanups));

    /** Runs `fn` with every statement failing, then lets the database answer again. */
    const failing = async <T>(f: Exclude<Failure, null>, fn: () => Promise<T>, only?: (sql: string, params: readonly SqlValue[]) => boolean): Promise<T> => {
      store.set(f, only);
      try {
        return await fn();
      } finally {
        store.set(null);
      }
    };
    const errorLines = () => lines.filter((l) => l.msg === 'WorkOS request failed');

    it('a failure that is no outage: 500, logged once with its cause, method and path; the page says server_error and nothing more', async () => {
      lines.length = 0;
      const res = await failing('bug', () => fetch(`${url}/user_management/authorize?client_id=${conf.clientId}`, { redirect: 'manual' }));
      assert.equal(res.status, 500);
      assert.match(String(res.headers.get('content-type')), /^text\/html/);
      const page = await res.text();
      assert.match(page, /Error: <code>server_error<\/code><\/p>/);
      assert.doesNotMatch(page, /injected/);
      const logged = errorLines();
      assert.equal(logged.length, 1);
      assert.deepEqual(
        [logged[0]!.level, logged[0]!.method, logged[0]!.path, logged[0]!.err?.type, logged[0]!.err?.message],
        [50, 'GET', '/user_management/authorize', 'Error', 'an injected failure that is no outage'],
      );
      // The API answers JSON, and logs the same way.
      const api = await failing('bug', () =>
        fetch(`${url}/user_management/authenticate`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ grant_type: 'authorization_code', client_id: conf.clientId, client_secret: conf.secret, code: 'x' }),
        }),
      );
      assert.equal(api.status, 500);
      assert.equal(((await api.json()) as { error: string }).error, 'server_error');
      assert.deepEqual(
        errorLines().map((l) => [l.method, l.path, l.err?.message]),
        [
          ['GET', '/user_management/authorize', 'an injected failure that is no outage'],
          ['POST', '/user_management/authenticate', 'an injected failure that is no outage'],
        ],
      );
    });

    it('an outage: 503 + Retry-After, logged; a page for the browser at the sign-out link and authorize, JSON for the API', async () => {
      lines.length = 0;
      const browser = await failing('outage', () => fetch(`${url}/user_management/sessions/logout?session_id=grant-looked-up`, { redirect: 'manual' }));
      assert.equal(browser.status, 503);
      assert.equal(browser.headers.get('retry-after') !== null, true);
      assert.match(String(browser.headers.get('content-type')), /^text\/html/);
      assert.match(await browser.text(), /Error: <code>temporarily_unavailable<\/code>/);
      const authorize = await failing('outage', () => fetch(`${url}/user_management/authorize?client_id=${conf.clientId}`, { redirect: 'manual' }));
      assert.equal(authorize.status, 503);
      assert.match(String(authorize.headers.get('content-type')), /^text\/html/);
      await authorize.arrayBuffer();
      // The partner's server (it sends its key) gets JSON at the same link.
      const api = await failing('outage', () =>
        fetch(`${url}/user_management/sessions/logout?session_id=grant-looked-up`, { headers: { authorization: `Bearer ${conf.secret}` } }),
      );
      assert.equal(api.status, 503);
      assert.match(String(api.headers.get('content-type')), /^application\/json/);
      assert.equal(((await api.json()) as { error: string }).error, 'temporarily_unavailable');
      assert.deepEqual(
        errorLines().map((l) => [l.method, l.path]),
        [
          ['GET', '/user_management/sessions/logout'],
          ['GET', '/user_management/authorize'],
          ['GET', '/user_management/sessions/logout'],
        ],
      );
    });

    it('a refusal (4xx) is answered, not logged', async () => {
      lines.length = 0;
      const refused = await fetch(`${url}/user_management/authorize?connection_id=conn_nobody`, { redirect: 'manual' });
      assert.equal(refused.status, 400);
      await refused.arrayBuffer();
      const wrong = await fetch(`${url}/user_management/authenticate`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ grant_type: 'authorization_code', client_id: conf.clientId, client_secret: 'wrong', code: 'x' }),
      });
      assert.equal(wrong.status, 401);
      await wrong.arrayBuffer();
      assert.deepEqual(errorLines(), []);
    });

    it('HSTS on the pages only when the portal is served over https; the signed-out page is HTML', async () => {
      const secure = await fetch(`${httpsUrl}/user_management/sessions/logout`);
      assert.equal(secure.status, 400);
      assert.equal(secure.headers.get('strict-transport-security'), 'max-age=31536000; includeSubDomains');
      const plain = await fetch(`${url}/user_management/sessions/logout`);
      assert.equal(plain.status, 400);
      assert.equal(plain.headers.get('strict-transport-security'), null);
      assert.match(String(plain.headers.get('content-security-policy')), /default-src/, 'the page headers are there');

      const user = await createAccount(app.store, { email: `out-${db}@example.com`, password: PASSWORD }, Date.now());
      const { code } = await signIn(app, conf, user.email);
      const auth = await fetch(`${url}/user_management/authenticate`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ grant_type: 'authorization_code', client_id: conf.clientId, client_secret: conf.secret, code }),
      });
      assert.equal(auth.status, 200, await auth.clone().text());
      const { access_token } = (await auth.json()) as { access_token: string };
      const sid = JSON.parse(Buffer.from(access_token.split('.')[1]!, 'base64url').toString()).sid as string;
      const out = await fetch(`${url}/user_management/sessions/logout?session_id=${sid}`, { headers: { authorization: `Bearer ${conf.secret}` } });
      assert.equal(out.status, 200);
      assert.match(String(out.headers.get('content-type')), /^text\/html; charset=utf-8$/);
      assert.match(await out.text(), /You are signed out/);
    });

    it('an RSA key in the store: /sso/jwks lists its public members, n and e included, and none of its private ones', async () => {
      const { privateKey } = await generateKeyPair('RS256', { extractable: true });
      const jwk = await exportJWK(privateKey);
      assert.ok(jwk.d && jwk.p && jwk.q && jwk.dp && jwk.dq && jwk.qi, 'a private RSA JWK');
      const kid = `rsa-${db}`;
      // Activating in a year: published, never used to sign by these tests.
      await app.store.keys.insert({ kid, alg: 'RS256', jwk: { ...jwk, kid, alg: 'RS256', use: 'sig' }, createdAt: Date.now() + 365 * 86_400_000 });
      const res = await fetch(`${url}/sso/jwks/${conf.clientId}`);
      assert.equal(res.status, 200);
      const { keys } = (await res.json()) as { keys: Array<Record<string, unknown>> };
      assert.deepEqual(
        keys.find((k) => k.kid === kid),
        { kty: 'RSA', n: jwk.n, e: jwk.e, kid, alg: 'RS256', use: 'sig' },
      );
    });

    it('a session whose partner app was deleted: the sign-out link is refused as any other (401 page, 401 JSON), never a 500', async () => {
      const gone = await partner(app, false);
      const user = await createAccount(app.store, { email: `gone-${db}@example.com`, password: PASSWORD }, Date.now());
      const { code } = await signIn(app, gone, user.email);
      const auth = await fetch(`${url}/user_management/authenticate`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ grant_type: 'authorization_code', client_id: gone.clientId, client_secret: gone.secret, code }),
      });
      assert.equal(auth.status, 200, await auth.clone().text());
      const { access_token } = (await auth.json()) as { access_token: string };
      const sid = JSON.parse(Buffer.from(access_token.split('.')[1]!, 'base64url').toString()).sid as string;
      assert.equal(await app.store.clients.delete(gone.clientId), true);
      assert.ok(await app.provider.Grant.find(sid), 'the grant outlives its client');
      const browser = await fetch(`${url}/user_management/sessions/logout?session_id=${sid}`);
      assert.equal(browser.status, 401);
      assert.match(await browser.text(), /Error: <code>login_required<\/code>/);
      const api = await fetch(`${url}/user_management/sessions/logout?session_id=${sid}`, { headers: { authorization: `Bearer ${gone.secret}` } });
      assert.equal(api.status, 401);
      assert.equal(((await api.json()) as { error: string }).error, 'invalid_client');
    });

    it('an invitation that lapses at this very millisecond prefills no login_hint; one a millisecond younger does', async () => {
      const now = Date.now();
      const org = await createOrganization(app.store, `Lapsing Org ${db}`, now);
      const { invitation, token } = await createInvitation(app.store, { organizationId: org.id, email: `lapse-${db}@example.com`, role: 'member' }, now);
      const hintAt = async (at: number) => {
        const frozen = await mount({ ...app.deps, now: () => at });
        try {
          const res = await fetch(`${frozen.url}/user_management/authorize?client_id=${conf.clientId}&invitation_token=${token}`, { redirect: 'manual' });
          assert.equal(res.status, 302);
          return new URL(String(res.headers.get('location'))).searchParams.get('login_hint');
        } finally {
          await close(frozen.server);
        }
      };
      assert.equal(await hintAt(invitation.expiresAt - 1), `lapse-${db}@example.com`);
      assert.equal(await hintAt(invitation.expiresAt), null);
    });

    it('authorize for a machine client (resource scopes only, no openid): the scope asked is openid alone', async () => {
      const identifier = `https://orders-${db}.example`;
      await createResource(app.store, { identifier, scopes: ['orders:read'] }, Date.now());
      const { client } = await registerMachineClient(app.store, { name: 'Machine', scopes: ['orders:read'] }, Date.now());
      assert.deepEqual(client.scopes, ['orders:read']);
      const res = await fetch(`${url}/user_management/authorize?client_id=${client.clientId}&response_type=code`, { redirect: 'manual' });
      assert.equal(res.status, 302);
      assert.equal(new URL(String(res.headers.get('location'))).searchParams.get('scope'), 'openid');
    });

    it("the browser's portal session unreadable at the sign-out link: no proof of the browser; with the key the session still ends", async () => {
      const user = await createAccount(app.store, { email: `unread-${db}@example.com`, password: PASSWORD }, Date.now());
      const sidOf = async () => {
        const mine = await signIn(app, conf, user.email);
        const auth = await fetch(`${url}/user_management/authenticate`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ grant_type: 'authorization_code', client_id: conf.clientId, client_secret: conf.secret, code: mine.code }),
        });
        assert.equal(auth.status, 200, await auth.clone().text());
        const { access_token } = (await auth.json()) as { access_token: string };
        return { agent: mine.agent, sid: JSON.parse(Buffer.from(access_token.split('.')[1]!, 'base64url').toString()).sid as string };
      };
      const sessionRows = (_sql: string, params: readonly SqlValue[]) => params[0] === 'Session';
      const first = await sidOf();
      const browser = await failing(
        'bug',
        () => fetch(`${url}/user_management/sessions/logout?session_id=${first.sid}`, { headers: { cookie: first.agent.cookieHeader() } }),
        sessionRows,
      );
      assert.equal(browser.status, 401);
      assert.match(await browser.text(), /Error: <code>login_required<\/code>/);
      assert.ok(await app.provider.Grant.find(first.sid), 'the session goes on');
      const withKey = await failing(
        'bug',
        () =>
          fetch(`${url}/user_management/sessions/logout?session_id=${first.sid}`, {
            headers: { cookie: first.agent.cookieHeader(), authorization: `Bearer ${conf.secret}` },
          }),
        sessionRows,
      );
      assert.equal(withKey.status, 200);
      assert.match(await withKey.text(), /You are signed out/);
      assert.equal(await app.provider.Grant.find(first.sid), undefined, 'the session ended');
    });

    it('a router mounted without mail: the password grant fails loudly (500, logged with the reason), it does not sign in', async () => {
      lines.length = 0;
      const user = await createAccount(app.store, { email: `nomail-${db}@example.com`, password: PASSWORD }, Date.now());
      const res = await fetch(`${url}/user_management/authenticate`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ grant_type: 'password', client_id: conf.clientId, client_secret: conf.secret, email: user.email, password: PASSWORD }),
      });
      assert.equal(res.status, 500);
      assert.equal(((await res.json()) as { error: string }).error, 'server_error');
      assert.deepEqual(
        errorLines().map((l) => [l.path, l.err?.message]),
        [['/user_management/authenticate', 'the WorkOS adapter was mounted without mail']],
      );
    });
  });
}
