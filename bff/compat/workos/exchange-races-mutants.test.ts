/**
 * WorkOS's code grant (exchange.ts) when another request changes the data in
 * the middle of it, where mutation testing (docs/mutation.md) found the two
 * guards unchecked:
 * - an invitation accepted by a concurrent request after this one checked it
 *   and before it accepts it: invalid_grant `invitation_already_accepted`, and
 *   the code is left unredeemed;
 * - the account deleted after the token endpoint answered and before the
 *   answer is built: invalid_grant "The account behind this grant no longer
 *   exists."
 * - a code or refresh token whose row cannot be read the first time (a plain
 *   read error, no outage, so it counts as unknown) while the token endpoint,
 *   a moment later, redeems it: 500 server_error with its own sentence, never
 *   an answer built from nothing; for an app with two redirect URIs no
 *   redirect_uri can be guessed, so the token endpoint asks for one;
 * - organizations changed by another request meanwhile: a membership removed
 *   leaves one, which asks for no selection (the sign-in had several and
 *   chose none); the grant's organization dropped after an invitation joined
 *   it asks for none either; a refresh that names the grant's own organization
 *   and fails leaves whatever another request switched the grant to;
 * - (password.ts) the email-verification grant's pending token lapsing after
 *   the code was accepted and before the token is spent: "already used", the
 *   same code invalid_pending_authentication_token.
 * The interleaving is made exact, not timed: the real SQLite file or
 * PostgreSQL schema sits behind its real driver, wrapped so the test runs the
 * other request's change once, right after (or before) a given statement of
 * this one. Only statements outside a transaction are hooked.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestApp, runAll, type TestApp } from '../../testing/test-app.ts';
import { startInbox, type Inbox } from '../../testing/smtp-inbox.ts';
import { tempDatabase } from '../../testing/temp-store.ts';
import { openSqlite } from '../../store/sqlite/sqlite-driver.ts';
import { openPostgres } from '../../store/postgres/pg-driver.ts';
import { SqlStore } from '../../store/sql/sql-store.ts';
import type { Driver, SqlValue } from '../../store/sql/driver.ts';
import { createAccount } from '../../accounts/accounts.ts';
import { createInvitation, createOrganization } from '../../orgs/orgs.ts';
import { issueCode } from '../../oauth/core.ts';
import type { User } from '../../store/store.ts';
import { authenticateWithCode, authenticateWithRefreshToken, type RequestInfo } from './exchange.ts';
import { authorizationCodeGrant, refreshTokenGrant } from './schema.ts';
import { WorkOSError } from './map.ts';
import { mailedCode, partner, PASSWORD, rawAuthenticate, REDIRECT, type Partner } from './test-helpers.ts';

const INFO: RequestInfo = { ip: '10.4.4.4', userAgent: 'Partner-Server/3.0', bearer: null };

interface Hook {
  when: (sql: string, params: readonly SqlValue[]) => boolean;
  /** Before the statement runs, or after it returned. */
  at: 'before' | 'after';
  run: () => Promise<unknown>;
}

/** A real driver whose top-level statements can run one hook, once, next to the statement it matches. */
function hookable(driver: Driver): { driver: Driver; arm(h: Hook): void; fired(): boolean } {
  let hook: Hook | null = null;
  let fired = false;
  const around = async <T>(sql: string, params: readonly SqlValue[] | undefined, exec: () => Promise<T>): Promise<T> => {
    const h = hook && hook.when(sql, params ?? []) ? hook : null;
    if (!h) return exec();
    hook = null;
    fired = true;
    if (h.at === 'before') await h.run();
    const result = await exec();
    if (h.at === 'after') await h.run();
    return result;
  };
  return {
    driver: {
      ...driver,
      query: (sql, params) => around(sql, params, () => driver.query(sql, params)),
      run: (sql, params) => around(sql, params, () => driver.run(sql, params)),
    },
    arm: (h) => {
      hook = h;
      fired = false;
    },
    fired: () => fired,
  };
}

for (const db of ['sqlite', 'postgres'] as const) {
  describe(`WorkOS authenticate, another request in the middle (${db})`, { timeout: 120000 }, () => {
    let app: TestApp;
    let hooks: ReturnType<typeof hookable>;
    let conf: Partner;
    let inbox: Inbox;
    let n = 0;
    const cleanups: Array<() => unknown> = [];
    const account = async (): Promise<User> => createAccount(app.store, { email: `race${++n}-${db}@example.com`, password: PASSWORD }, Date.now());
    const mint = (user: User) =>
      issueCode(app.deps, { clientId: conf.clientId, accountId: user.id, scopes: ['openid', 'email', 'offline_access'], redirectUri: REDIRECT, amr: ['pwd'] });
    const codeGrant = (code: string, extra: Record<string, string> = {}) =>
      authorizationCodeGrant.parse({ grant_type: 'authorization_code', client_id: conf.clientId, client_secret: conf.secret, code, ...extra });

    before(async () => {
      const temp = await tempDatabase(db);
      cleanups.unshift(() => temp.remove());
      hooks = hookable(db === 'sqlite' ? openSqlite(temp.url.slice('sqlite:'.length)) : openPostgres(temp.url));
      const sql = new SqlStore(hooks.driver);
      cleanups.unshift(() => sql.close());
      await sql.migrate();
      inbox = await startInbox();
      cleanups.unshift(() => inbox.close());
      app = await startTestApp({ store: sql, databaseUrl: temp.url, env: { SMTP_URL: inbox.url } });
      cleanups.unshift(() => app.close());
      conf = await partner(app, false);
    });
    after(() => runAll(cleanups));

    it('an invitation accepted by another request between the check and the acceptance: invitation_already_accepted, the code kept', async () => {
      const now = Date.now();
      const user = await account();
      const org = await createOrganization(app.store, `Raced Org ${db}`, now);
      const { invitation, token } = await createInvitation(app.store, { organizationId: org.id, email: user.email, role: 'admin' }, now);
      const other = await mint(user);
      const { code, grantId } = await mint(user);
      // Right after this request read the (still open) invitation, another one accepts it for its own grant.
      hooks.arm({
        when: (sql) => /FROM invitations WHERE token_hash/.test(sql),
        at: 'after',
        run: async () => {
          const taken = await app.store.orgs.acceptInvitation({ invitationId: invitation.id, userId: user.id, grantId: other.grantId, now: Date.now() });
          assert.ok(taken, 'the other request accepted it');
        },
      });
      await assert.rejects(authenticateWithCode(app.deps, {}, codeGrant(code, { invitation_token: token }), INFO), (e: unknown) => {
        assert.ok(e instanceof WorkOSError, String(e));
        assert.deepEqual(
          [e.status, e.oauthError, e.code, e.message],
          [400, 'invalid_grant', 'invitation_already_accepted', 'The invitation has already been accepted or has expired.'],
        );
        return true;
      });
      assert.equal(hooks.fired(), true);
      // The other request's acceptance stands; this grant joined nothing and its code was not redeemed.
      assert.equal((await app.store.orgs.findGrantOrganization(other.grantId))!.organizationId, org.id);
      assert.equal(await app.store.orgs.findGrantOrganization(grantId), null);
      const body = await authenticateWithCode(app.deps, {}, codeGrant(code), INFO);
      assert.equal((body.user as { id: string }).id, user.id);
    });

    it('the account deleted after the token endpoint answered: invalid_grant, no answer built for nobody', async () => {
      const user = await account();
      const { code, grantId } = await mint(user);
      // Right before this request records the new session (after its tokens were issued), the account is deleted.
      hooks.arm({
        when: (sql, params) => /INSERT INTO oidc_payloads/.test(sql) && params[0] === 'WorkOSSession' && params[1] === grantId,
        at: 'before',
        run: async () => assert.equal((await app.store.users.delete(user.id)).ok, true),
      });
      await assert.rejects(authenticateWithCode(app.deps, {}, codeGrant(code), INFO), (e: unknown) => {
        assert.ok(e instanceof WorkOSError, String(e));
        assert.deepEqual(
          [e.status, e.oauthError, e.code, e.message],
          [400, 'invalid_grant', 'invalid_grant', 'The account behind this grant no longer exists.'],
        );
        return true;
      });
      assert.equal(hooks.fired(), true);
    });

    it('(password.ts) the pending token lapses after the emailed code was accepted, before it is spent: already used, sign in again', async () => {
      const email = `lapse${++n}-${db}@example.com`;
      await createAccount(app.store, { email, password: PASSWORD, emailVerified: false }, Date.now());
      const first = await rawAuthenticate(app, { grant_type: 'password', client_id: conf.clientId, client_secret: conf.secret, email, password: PASSWORD });
      assert.equal(first.status, 403);
      const token = String(((await first.json()) as { pending_authentication_token: string }).pending_authentication_token);
      const code = mailedCode((await inbox.waitForTo(email, 1))[0]!.mail.text ?? '');
      // Right after the code is consumed, the app's clock passes the pending token's ten minutes.
      hooks.arm({
        when: (sql) => /UPDATE one_time_tokens SET consumed_at/.test(sql),
        at: 'after',
        run: async () => {
          app.clock.offset = 11 * 60_000;
        },
      });
      try {
        const res = await rawAuthenticate(app, {
          grant_type: 'urn:workos:oauth:grant-type:email-verification:code',
          client_id: conf.clientId,
          client_secret: conf.secret,
          pending_authentication_token: token,
          code,
        });
        assert.equal(hooks.fired(), true);
        assert.equal(res.status, 400);
        const body = (await res.json()) as Record<string, unknown>;
        assert.deepEqual(
          [body.error, body.code, body.message],
          ['invalid_grant', 'invalid_pending_authentication_token', 'The pending authentication token was already used. Sign in again.'],
        );
      } finally {
        app.clock.offset = 0;
      }
    });

    it('a code, then a refresh token, unreadable once and redeemed a moment later by the token endpoint: 500 with its own sentence', async () => {
      const user = await account();
      const unreadableOnce = (model: string) =>
        hooks.arm({
          when: (sql, params) => /^\s*SELECT/i.test(sql) && params[0] === model,
          at: 'before',
          run: async () => {
            throw new Error(`an injected read error of a ${model} row`);
          },
        });
      const serverError = (message: string) => (e: unknown) => {
        assert.ok(e instanceof WorkOSError, String(e));
        assert.deepEqual([e.status, e.oauthError, e.message], [500, 'server_error', message]);
        return true;
      };
      const { code } = await mint(user);
      unreadableOnce('AuthorizationCode');
      await assert.rejects(authenticateWithCode(app.deps, {}, codeGrant(code), INFO), serverError('a code the provider accepted was not readable before'));
      assert.equal(hooks.fired(), true);
      // An app with two redirect URIs: the code's own cannot be read, none is guessed, and the token endpoint asks for it.
      const two = await partner(app, false, undefined, [REDIRECT, 'https://partner.example/other']);
      const twice = await issueCode(app.deps, { clientId: two.clientId, accountId: user.id, scopes: ['openid'], redirectUri: REDIRECT, amr: ['pwd'] });
      unreadableOnce('AuthorizationCode');
      await assert.rejects(
        authenticateWithCode(
          app.deps,
          {},
          authorizationCodeGrant.parse({ grant_type: 'authorization_code', client_id: two.clientId, client_secret: two.secret, code: twice.code }),
          INFO,
        ),
        (e: unknown) => {
          assert.ok(e instanceof WorkOSError, String(e));
          assert.deepEqual([e.status, e.oauthError], [400, 'invalid_request']);
          assert.match(e.message, /redirect_uri/);
          return true;
        },
      );
      assert.equal(hooks.fired(), true);

      const second = await mint(user);
      const start = await authenticateWithCode(app.deps, {}, codeGrant(second.code), INFO);
      unreadableOnce('RefreshToken');
      await assert.rejects(
        authenticateWithRefreshToken(
          app.deps,
          {},
          refreshTokenGrant.parse({
            grant_type: 'refresh_token',
            client_id: conf.clientId,
            client_secret: conf.secret,
            refresh_token: String(start.refresh_token),
          }),
          INFO,
        ),
        serverError('refresh token vanished'),
      );
      assert.equal(hooks.fired(), true);
    });

    it('organizations changed by another request in the middle: no selection asked where none was, nothing overwritten', async () => {
      const now = Date.now();
      const user = await account();
      const a = await createOrganization(app.store, `Middle A ${db}`, now);
      const b = await createOrganization(app.store, `Middle B ${db}`, now);
      const c = await createOrganization(app.store, `Middle C ${db}`, now);
      await app.store.orgs.addMembership({ userId: user.id, organizationId: a.id, role: 'member' }, now);
      await app.store.orgs.addMembership({ userId: user.id, organizationId: b.id, role: 'member' }, now);
      const beforeSessionRecord = (grantId: string, run: () => Promise<unknown>) =>
        hooks.arm({
          when: (sql, params) => /INSERT INTO oidc_payloads/.test(sql) && params[0] === 'WorkOSSession' && params[1] === grantId,
          at: 'before',
          run,
        });

      // Two memberships, none chosen; one is removed before the answer is built: one is left, nothing to choose.
      const first = await mint(user);
      beforeSessionRecord(first.grantId, () => app.store.orgs.removeMembership(user.id, b.id));
      const one = await authenticateWithCode(app.deps, {}, codeGrant(first.code), INFO);
      assert.equal(hooks.fired(), true);
      assert.equal((one.user as { id: string }).id, user.id);
      assert.equal('organization_id' in one, false);
      await app.store.orgs.addMembership({ userId: user.id, organizationId: b.id, role: 'member' }, now);

      // An invitation joined the grant to C; the link is dropped meanwhile: the invitation chose, nothing is asked.
      const { token } = await createInvitation(app.store, { organizationId: c.id, email: user.email, role: 'member' }, now);
      const second = await mint(user);
      beforeSessionRecord(second.grantId, () => app.store.orgs.deleteGrantOrganization(second.grantId));
      const invited = await authenticateWithCode(app.deps, {}, codeGrant(second.code, { invitation_token: token }), INFO);
      assert.equal(hooks.fired(), true);
      assert.equal('organization_id' in invited, false);
      assert.ok(await app.store.orgs.findMembership(user.id, c.id), 'the invitation was accepted');

      // A refresh naming the grant's own organization A fails; meanwhile another request switched the grant to B.
      const third = await mint(user);
      await app.store.orgs.setGrantOrganization(third.grantId, user.id, a.id, now);
      const start = await authenticateWithCode(app.deps, {}, codeGrant(third.code), INFO);
      assert.equal(start.organization_id, a.id);
      await app.store.users.setDisabled(user.id, true, now);
      hooks.arm({
        when: (sql) => /INSERT INTO grant_organizations/.test(sql),
        at: 'after',
        run: () => app.store.orgs.setGrantOrganization(third.grantId, user.id, b.id, Date.now()),
      });
      try {
        await assert.rejects(
          authenticateWithRefreshToken(
            app.deps,
            {},
            refreshTokenGrant.parse({
              grant_type: 'refresh_token',
              client_id: conf.clientId,
              client_secret: conf.secret,
              refresh_token: String(start.refresh_token),
              organization_id: a.id,
            }),
            INFO,
          ),
          (e: unknown) => e instanceof WorkOSError && e.status === 400 && e.oauthError === 'invalid_grant',
        );
      } finally {
        await app.store.users.setDisabled(user.id, false, now);
      }
      assert.equal(hooks.fired(), true);
      assert.equal((await app.store.orgs.findGrantOrganization(third.grantId))!.organizationId, b.id, "the other request's choice stands");
    });
  });
}
