import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { decodeJwt } from 'jose';
import { startTestApp, TEST_SECRETS_ENV, type TestApp } from '../testing/test-app.ts';
import { Agent, authorizeThrough, signedInAgent } from '../testing/agent.ts';
import { rawSql } from '../testing/raw-sql.ts';
import { createAccount } from '../accounts/accounts.ts';
import { registerClient } from '../oauth/clients.ts';
import { verifyChain } from '../audit/verify.ts';
import { expireImpersonations } from './impersonation.ts';
import type { User } from '../store/store.ts';
import { impersonate, sessionRow } from './test-helpers.ts';
import { refreshWith } from '../testing/partner.ts';
import { BFF_CLIENT_ID, bffClientSecret } from '../session/oidc-client.ts';

const PASSWORD = 'correct horse battery staple';
const REASON = 'Customer asked for help with billing settings';

const signIn = (app: TestApp, email: string): Promise<Agent> => signedInAgent(app.url, email, PASSWORD);

for (const db of ['sqlite', 'postgres'] as const) {
  describe(`impersonation (${db})`, () => {
    let app: TestApp;
    let admin: User;
    let user: User;
    let otherAdmin: User;
    before(async () => {
      app = await startTestApp({ db });
      admin = await createAccount(app.store, { email: 'root@example.com', password: PASSWORD, name: 'Root', role: 'admin' }, Date.now());
      otherAdmin = await createAccount(app.store, { email: 'root2@example.com', password: PASSWORD, role: 'admin' }, Date.now());
      user = await createAccount(app.store, { email: 'uma@example.com', password: PASSWORD, name: 'Uma' }, Date.now());
    });
    after(() => app.close());

    it('an admin impersonates with a reason, is restricted, stops, and is back as the admin', async () => {
      const agent = await signIn(app, admin.email);
      const start = await impersonate(agent, { userId: user.id, reason: REASON, durationMinutes: 30 });
      assert.equal(start.status, 200);
      const session = await (await agent.api('GET', '/bff/session')).json();
      assert.equal(session.user.email, user.email);
      assert.equal(session.impersonation.impersonator.email, admin.email);
      assert.equal(session.impersonation.reason, REASON);

      // Tokens minted during it carry act and impersonator.
      const row = await sessionRow(app, agent);
      const tokens = await app.sessions.tokens(row);
      const claims = decodeJwt(tokens.access_token);
      assert.deepEqual(claims.act, { sub: admin.id });
      assert.deepEqual(claims.impersonator, { email: admin.email, reason: REASON });
      assert.equal(claims.sub, user.id);

      // Restrictions, each with a reason.
      const adminScreen = await agent.api('GET', '/bff/admin/clients');
      assert.equal(adminScreen.status, 403);
      assert.equal((await adminScreen.json()).error, 'impersonation_forbidden');
      const pw = await agent.api('POST', '/bff/account/password', { currentPassword: PASSWORD, newPassword: 'another long password 1' });
      assert.equal(pw.status, 403);
      const nested = await agent.api('POST', '/bff/impersonation/start', { userId: user.id, reason: REASON });
      assert.equal(nested.status, 403);
      assert.match((await nested.json()).message, /nested|already/i);

      const captured = agent.cookieHeader();
      const stop = await agent.api('POST', '/bff/impersonation/stop');
      assert.deepEqual(await stop.json(), { redirectTo: '/admin/impersonate' });
      const back = await (await agent.api('GET', '/bff/session')).json();
      assert.equal(back.user.email, admin.email);
      assert.equal(back.impersonation, null);

      // The impersonation cookie and tokens no longer work.
      const replay = await fetch(`${app.url}/bff/session`, { headers: { cookie: captured } });
      assert.deepEqual(await replay.json(), { authenticated: false });
      const ui = await fetch(`${app.config.issuer}/userinfo`, { headers: { authorization: `Bearer ${tokens.access_token}` } });
      assert.equal(ui.status, 401);
      // Authenticated as the portal's own client, so only the token itself can be refused.
      const rt = await refreshWith(app, { clientId: BFF_CLIENT_ID, secret: bffClientSecret(app.config) }, tokens.refresh_token!);
      assert.deepEqual([rt.status, rt.body.error], [400, 'invalid_grant'], 'the impersonation refresh token is refused');
      assert.equal(await app.provider.RefreshToken.find(tokens.refresh_token!), undefined, 'and revoked, not only refused by the claims hook');

      // The user sees it on their account screen; the audit log has both ends.
      const u = await signIn(app, user.email);
      const account = await (await u.api('GET', '/bff/account')).json();
      assert.equal(account.impersonations[0].admin.email, admin.email);
      assert.equal(account.impersonations[0].reason, REASON);
      const kinds = (await app.store.audit.list({ subjectId: user.id })).map((e) => e.kind);
      assert.ok(kinds.includes('impersonation_started') && kinds.includes('impersonation_stopped'));
    });

    it('partner apps opened while impersonating see the user, marked as impersonated; no new consent; nothing after stop', async () => {
      const REDIRECT = 'https://partner.example/cb';
      const { client, secret } = await registerClient(
        app.store,
        { name: 'Partner', redirectUris: [REDIRECT], isPublic: false, scopes: ['openid', 'email'] },
        Date.now(),
      );
      const { client: other } = await registerClient(
        app.store,
        { name: 'Other', redirectUris: [REDIRECT], isPublic: false, scopes: ['openid', 'email'] },
        Date.now(),
      );
      const authorizeUrl = (clientId: string) =>
        `/oauth/authorize?client_id=${clientId}&redirect_uri=${encodeURIComponent(REDIRECT)}&response_type=code&scope=openid%20email&state=s`;
      // The user connected Partner earlier, on their own.
      const own = new Agent(app.url);
      const first = await authorizeThrough(own, authorizeUrl(client.clientId), { email: user.email, password: PASSWORD });
      assert.ok(first.searchParams.get('code'));

      const agent = await signIn(app, admin.email);
      assert.equal((await impersonate(agent, { userId: user.id, reason: REASON, durationMinutes: 30 })).status, 200);
      const { url: back } = await agent.follow(authorizeUrl(client.clientId), (u) => u.pathname.startsWith('/interaction/'));
      assert.equal(back.origin + back.pathname, REDIRECT, 'no password, no consent screen: straight back to the partner');
      const token = await fetch(`${app.config.issuer}/token`, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          authorization: `Basic ${Buffer.from(`${client.clientId}:${secret}`).toString('base64')}`,
        },
        body: new URLSearchParams({ grant_type: 'authorization_code', code: back.searchParams.get('code')!, redirect_uri: REDIRECT }),
      });
      const t = await token.json();
      const claims = decodeJwt(t.access_token);
      assert.equal(claims.sub, user.id);
      assert.deepEqual(claims.act, { sub: admin.id });
      assert.deepEqual(claims.impersonator, { email: admin.email, reason: REASON });

      // A partner the user never allowed: the consent screen, and consent is refused.
      const { url: inter } = await agent.follow(authorizeUrl(other.clientId), (u) => u.pathname.startsWith('/interaction/'));
      const uid = inter.pathname.split('/')[2]!;
      assert.equal((await (await agent.api('GET', `/bff/interaction/${uid}`)).json()).prompt, 'consent');
      const refused = await agent.api('POST', `/bff/interaction/${uid}/consent`, { scopes: ['openid'] });
      assert.equal(refused.status, 403);
      assert.match((await refused.json()).message, /on their behalf/);

      // After stop, the partner's refresh token of that session is refused.
      await agent.api('POST', '/bff/impersonation/stop');
      const refresh = await fetch(`${app.config.issuer}/token`, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          authorization: `Basic ${Buffer.from(`${client.clientId}:${secret}`).toString('base64')}`,
        },
        body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: t.refresh_token }),
      });
      assert.equal(refresh.status, 400);
      assert.equal((await refresh.json()).error, 'invalid_grant');
    });

    it('refuses non-admins, bad reasons and forbidden targets, and audits each refusal', async () => {
      const refused = async (actorId: string) =>
        (await app.store.audit.list({ kind: 'impersonation_refused', actorId })).map((e) => ({ seq: e.seq, code: e.data.code as string }));
      const userBefore = await refused(user.id);
      const adminBefore = await refused(admin.id);
      const newCodes = async (actorId: string, before: Array<{ seq: number }>) =>
        (await refused(actorId))
          .filter((e) => !before.some((b) => b.seq === e.seq))
          .map((e) => e.code)
          .sort();
      const plain = await signIn(app, user.email);
      const denied = await plain.api('POST', '/bff/impersonation/start', { userId: admin.id, reason: REASON });
      assert.equal(denied.status, 403);
      assert.equal(denied.headers.getSetCookie().length, 0, 'no new cookie on refusal');
      const a = await signIn(app, admin.email);
      const disabled = await createAccount(app.store, { email: `off-${Date.now()}@example.com`, password: PASSWORD }, Date.now());
      await app.store.users.setDisabled(disabled.id, true, Date.now());
      const cases: Array<[Record<string, unknown>, number, string]> = [
        [{ userId: user.id, reason: '' }, 400, 'reason_required'],
        [{ userId: user.id, reason: '   too short ' }, 400, 'reason_required'],
        [{ userId: user.id }, 400, 'invalid_request'],
        [{ userId: user.id, reason: REASON, durationMinutes: 61 }, 400, 'invalid_duration'],
        [{ userId: admin.id, reason: REASON }, 400, 'cannot_impersonate_self'],
        [{ userId: otherAdmin.id, reason: REASON }, 403, 'target_is_admin'],
        [{ userId: disabled.id, reason: REASON }, 400, 'target_disabled'],
        [{ userId: 'no-such-user', reason: REASON }, 404, 'target_not_found'],
      ];
      for (const [body, status, code] of cases) {
        const res = await a.api('POST', '/bff/impersonation/start', body);
        assert.equal(res.status, status, JSON.stringify(body));
        assert.equal((await res.json()).error, code);
      }
      const stillAdmin = await (await a.api('GET', '/bff/session')).json();
      assert.equal(stillAdmin.user.email, admin.email);
      // Every refusal that reached the policy is audited once; the malformed body never got there.
      const audited = cases
        .filter(([, , code]) => code !== 'invalid_request')
        .map(([, , code]) => code)
        .sort();
      assert.deepEqual(await newCodes(admin.id, adminBefore), audited);
      assert.deepEqual(await newCodes(user.id, userBefore), ['admin_required']);
      const xsite = await a.api(
        'POST',
        '/bff/impersonation/start',
        { userId: user.id, reason: REASON },
        { 'sec-fetch-site': 'cross-site', origin: 'https://evil.example' },
      );
      assert.equal(xsite.status, 403);
      assert.equal((await xsite.json()).error, 'csrf_rejected');
      assert.deepEqual(await newCodes(admin.id, adminBefore), audited, 'a cross-site request is refused before the policy');
    });

    it('ends by itself at the time limit, server-side, and refresh cannot extend it', async () => {
      const agent = await signIn(app, admin.email);
      const start = await impersonate(agent, { userId: user.id, reason: REASON, durationMinutes: 15 });
      assert.equal(start.status, 200);
      const row = await sessionRow(app, agent);
      const tokens = await app.sessions.tokens(row);
      const impId = (row.data.impersonation as { id: string }).id;
      try {
        // Ten minutes in, the BFF refreshes (the access token nears expiry) and stays impersonating.
        app.clock.offset = row.accessExpiresAt - Date.now() - 1000;
        const mid = await (await agent.api('GET', '/bff/session')).json();
        assert.equal(mid.user.email, user.email);
        assert.equal((await app.store.bffSessions.find(row.id))!.version, row.version + 1, 'refreshed once');
        // Past the limit: the server ends it; the next request is the admin again.
        app.clock.offset = 16 * 60_000;
        assert.equal(await expireImpersonations(app.deps), 1);
        const after1 = await (await agent.api('GET', '/bff/session')).json();
        assert.equal(after1.user.email, admin.email);
        assert.equal(after1.impersonation, null);
        const imp = await app.store.impersonations.find(impId);
        assert.equal(imp?.endReason, 'expired');
        const expired = await app.store.audit.list({ kind: 'impersonation_expired', subjectId: user.id });
        assert.equal(expired.filter((e) => e.data.impersonationId === impId).length, 1);
        const ui = await fetch(`${app.config.issuer}/userinfo`, { headers: { authorization: `Bearer ${tokens.access_token}` } });
        assert.equal(ui.status, 401);
      } finally {
        app.clock.offset = 0;
      }
    });

    it('the audit chain verifies, and detects an edited and a deleted row (also through the CLI)', async () => {
      for (let i = 0; i < 3; i++) await app.audit.record('secrets_reencrypted', { data: { i } });
      assert.equal((await verifyChain(app.store, app.config.auditKeys)).ok, true);
      const cli = () =>
        spawnSync(process.execPath, ['bff/cli.ts', 'audit', 'verify'], {
          env: { ...process.env, ...TEST_SECRETS_ENV, DATABASE_URL: app.config.databaseUrl },
          encoding: 'utf8',
        });
      assert.equal(cli().status, 0);
      const [last] = await app.store.audit.list({ kind: 'secrets_reencrypted', limit: 1 });
      const victim = last!.seq - 1;
      await rawSql(app.config.databaseUrl, `UPDATE audit_log SET data = $1 WHERE seq = $2`, ['{"i":42}', victim]);
      const edited = await verifyChain(app.store, app.config.auditKeys);
      assert.equal(edited.ok, false);
      assert.equal(!edited.ok && edited.badSeq, victim);
      const out = cli();
      assert.equal(out.status, 1);
      assert.match(out.stderr, new RegExp(`entry ${victim}`));
      // Deleting a row breaks it too (a hole in the sequence).
      await rawSql(app.config.databaseUrl, `DELETE FROM audit_log WHERE seq = $1`, [victim]);
      const deleted = await verifyChain(app.store, app.config.auditKeys);
      assert.equal(deleted.ok, false);
      assert.equal(!deleted.ok && deleted.badSeq, victim);
    });
  });
}
