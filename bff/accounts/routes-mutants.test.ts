/**
 * The account routes (routes.ts, session-routes.ts, reset-routes.ts) and
 * first-run setup (setup.ts), pinned where mutation testing (docs/mutation.md)
 * found them unchecked: the setup link's answers (no token, an unknown or
 * lapsed one, the field checks and which code wins, the audit entry, a link
 * that still works after a failed creation, none once an admin exists); the
 * account's impersonation history exactly (with an admin since deleted); every
 * change refused while impersonating, with its sentence; an app that is not
 * connected; the user agent in the audit entries; the reset request's 202.
 * One app per database, SQLite and PostgreSQL, through real HTTP.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestApp, type TestApp } from '../testing/test-app.ts';
import { Agent, authorizeThrough, signedInAgent } from '../testing/agent.ts';
import { registerClient } from '../oauth/clients.ts';
import { impersonate } from '../impersonation/test-helpers.ts';
import { createAccount } from './accounts.ts';
import { createSetupLink } from './setup.ts';
import { RESET_REQUESTED_MESSAGE, issueResetLink } from './password-reset.ts';
import { inviteUser } from './invitations.ts';

const PASSWORD = 'correct horse battery staple';
const REDIRECT = 'https://notes.example/cb';
const UA = 'Routes test browser';
const SETUP_INVALID =
  'This setup link has already been used or has expired. Restart the portal, or run `npx portal setup-link`, to get a new link (only while no administrator exists).';
const T = { timeout: 60_000 };

async function body(res: Response, status: number): Promise<Record<string, unknown>> {
  const text = await res.text();
  assert.equal(res.status, status, text);
  return JSON.parse(text) as Record<string, unknown>;
}

for (const db of ['sqlite', 'postgres'] as const) {
  describe(`account routes and first-run setup, exactly (${db})`, () => {
    let app: TestApp;
    const adminEmail = `first-admin-${db}@example.com`;
    before(async () => {
      app = await startTestApp({ db });
    });
    after(() => app.close());

    const tokenOf = async () => new URL((await createSetupLink(app.store, app.url, Date.now()))!.replace('#', '?')).searchParams.get('token')!;
    const lastAudit = async (kind: string, subjectId: string) => (await app.store.audit.list({ kind, subjectId, limit: 1 }))[0];

    it('setup: the link is checked, the fields first (email before password), and it works once', T, async () => {
      const browser = new Agent(app.url);
      for (const q of ['', '?token=', '?token=unknown'])
        assert.deepEqual(await body(await browser.api('GET', `/bff/setup${q}`), 410), { error: 'setup_token_invalid', message: SETUP_INVALID }, q);
      const token = await tokenOf();
      assert.deepEqual(await body(await browser.api('GET', `/bff/setup?token=${token}`), 200), { valid: true });
      // A link works for 24 hours, then it is gone.
      app.clock.offset = 24 * 3600 * 1000 - 60_000;
      assert.deepEqual(await body(await browser.api('GET', `/bff/setup?token=${token}`), 200), { valid: true });
      app.clock.offset = 24 * 3600 * 1000 + 1000;
      assert.equal((await browser.api('GET', `/bff/setup?token=${token}`)).status, 410);
      app.clock.offset = 0;

      const weak = await body(await browser.api('POST', '/bff/setup', { token, email: adminEmail, password: 'short' }), 400);
      assert.equal(weak.error, 'weak_password');
      assert.deepEqual(Object.keys(weak.fields as object), ['password']);
      const both = await body(await browser.api('POST', '/bff/setup', { token, email: 'not an email', password: 'short' }), 400);
      assert.equal(both.error, 'invalid_email');
      assert.equal(both.message, (both.fields as Record<string, string>).email);
      assert.deepEqual(Object.keys(both.fields as object).sort(), ['email', 'password']);
      assert.deepEqual(await body(await browser.api('POST', '/bff/setup', { token: 'unknown', email: adminEmail, password: PASSWORD }), 410), {
        error: 'setup_token_invalid',
        message: SETUP_INVALID,
      });

      // A creation that fails (the email is taken) gives the link back.
      await createAccount(app.store, { email: `taken-${db}@example.com`, password: PASSWORD }, Date.now());
      const taken = await browser.api('POST', '/bff/setup', { token, email: `taken-${db}@example.com`, password: PASSWORD });
      assert.equal(taken.status, 409, await taken.text());
      assert.deepEqual(await body(await browser.api('GET', `/bff/setup?token=${token}`), 200), { valid: true });

      const other = await tokenOf();
      assert.deepEqual(
        await body(await browser.api('POST', '/bff/setup', { token, email: adminEmail, password: PASSWORD, name: 'First' }, { 'user-agent': UA }), 200),
        { ok: true },
      );
      const admin = (await app.store.users.findByEmail(adminEmail))!;
      assert.deepEqual({ role: admin.role, verified: admin.emailVerified, name: admin.name }, { role: 'admin', verified: true, name: 'First' });
      const entry = (await lastAudit('user_created', admin.id))!;
      assert.deepEqual(
        { actorId: entry.actorId, ip: entry.ip, userAgent: entry.userAgent, data: entry.data },
        { actorId: admin.id, ip: '127.0.0.1', userAgent: UA, data: { role: 'admin', via: 'setup' } },
      );
      // Used once; and with an admin in place no other link works either.
      assert.equal((await browser.api('POST', '/bff/setup', { token, email: `again-${db}@example.com`, password: PASSWORD })).status, 410);
      assert.equal((await browser.api('GET', `/bff/setup?token=${other}`)).status, 410);
      assert.equal((await browser.api('POST', '/bff/setup', { token: other, email: `again-${db}@example.com`, password: PASSWORD })).status, 410);
    });

    it('the account lists who impersonated the user, when, why and for how long; nothing can be changed while impersonating', T, async () => {
      const user = await createAccount(app.store, { email: `ada-${db}@example.com`, password: PASSWORD, name: 'Ada' }, Date.now());
      const own = await signedInAgent(app.url, user.email, PASSWORD);
      const plain = await body(await own.api('GET', '/bff/account'), 200);
      assert.deepEqual(plain, {
        user: { id: user.id, email: user.email, name: 'Ada', role: 'user', createdAt: user.createdAt },
        connectedApps: [],
        impersonations: [],
      });
      // Not connected: 404 with its sentence, and no audit entry.
      assert.deepEqual(await body(await own.api('DELETE', '/bff/account/apps/app_never', undefined), 404), {
        error: 'not_connected',
        message: 'That app is not connected to your account.',
      });
      assert.equal(await lastAudit('consent_revoked', user.id), undefined);

      const second = await createAccount(app.store, { email: `second-${db}@example.com`, password: PASSWORD, name: 'Second', role: 'admin' }, Date.now());
      for (const [email, reason, minutes] of [
        [second.email, 'Checking the billing screen for ticket 4711', 15],
        [adminEmail, 'Reproducing the sign-in problem in ticket 4712', 30],
      ] as const) {
        const agent = await signedInAgent(app.url, email, PASSWORD);
        assert.equal((await impersonate(agent, { userId: user.id, reason, durationMinutes: minutes })).status, 200);
        if (email !== adminEmail) {
          assert.equal((await agent.api('POST', '/bff/impersonation/stop', {})).status, 200);
          continue;
        }
        // While impersonating: every change is refused with its own sentence.
        const refused = (what: string) => ({ error: 'impersonation_forbidden', message: `You are impersonating this user: ${what} cannot be changed.` });
        assert.deepEqual(await body(await agent.api('DELETE', '/bff/account/apps/app_never'), 403), refused('their connected apps'));
        assert.deepEqual(
          await body(await agent.api('POST', '/bff/account/password', { currentPassword: PASSWORD, newPassword: 'another long passphrase' }), 403),
          refused('their password'),
        );
        assert.deepEqual(await body(await agent.api('DELETE', '/bff/account/sessions/anything'), 403), refused('their sessions'));
        assert.deepEqual(await body(await agent.api('POST', '/bff/account/sessions/sign-out-others', {}), 403), refused('their sessions'));
        const list = (await body(await agent.api('GET', '/bff/account/sessions'), 200)).sessions as Array<{ current: boolean }>;
        assert.ok(list.length >= 1);
        assert.deepEqual(
          list.filter((s) => s.current),
          [],
          'none of the list is "this device" while impersonating',
        );
        assert.equal((await agent.api('POST', '/bff/impersonation/stop', {})).status, 200);
      }
      await app.store.users.delete(second.id);
      const history = (await body(await own.api('GET', '/bff/account'), 200)).impersonations as Array<Record<string, unknown>>;
      const started = await app.store.audit.list({ kind: 'impersonation_started', subjectId: user.id, limit: 10 });
      assert.deepEqual(history, [
        {
          at: started[0]!.at,
          admin: { email: adminEmail, name: 'First' },
          reason: 'Reproducing the sign-in problem in ticket 4712',
          durationMinutes: 30,
        },
        { at: started[1]!.at, admin: { email: 'unknown', name: 'unknown' }, reason: 'Checking the billing screen for ticket 4711', durationMinutes: 15 },
      ]);
    });

    it('own sessions: an unknown one is 404 with its sentence; ending one and the others is audited with the browser', T, async () => {
      const user = await createAccount(app.store, { email: `grace-${db}@example.com`, password: PASSWORD }, Date.now());
      const here = await signedInAgent(app.url, user.email, PASSWORD);
      await signedInAgent(app.url, user.email, PASSWORD);
      await signedInAgent(app.url, user.email, PASSWORD);
      assert.deepEqual(await body(await here.api('DELETE', '/bff/account/sessions/not-a-handle'), 404), {
        error: 'session_not_found',
        message: 'That session has already ended.',
      });
      const list = (await body(await here.api('GET', '/bff/account/sessions'), 200)).sessions as Array<{ handle: string; current: boolean }>;
      assert.equal(list.length, 3);
      const other = list.find((s) => !s.current)!;
      assert.deepEqual(await body(await here.api('DELETE', `/bff/account/sessions/${other.handle}`, undefined, { 'user-agent': UA }), 200), {
        ok: true,
        signedOut: false,
      });
      const ended = (await lastAudit('session_ended', user.id))!;
      assert.deepEqual({ actor: ended.actorId, ua: ended.userAgent, data: ended.data }, { actor: user.id, ua: UA, data: { by: 'self', current: false } });
      assert.deepEqual(await body(await here.api('POST', '/bff/account/sessions/sign-out-others', {}, { 'user-agent': UA }), 200), { ok: true, ended: 1 });
      const revoked = (await lastAudit('sessions_revoked', user.id))!;
      assert.deepEqual(
        { actor: revoked.actorId, ua: revoked.userAgent, data: revoked.data },
        { actor: user.id, ua: UA, data: { reason: 'sign_out_others', bffSessions: 1 } },
      );
      const listed = await here.api('GET', '/bff/account/sessions');
      assert.equal(listed.headers.get('cache-control'), 'no-store');
      const [mine] = (await body(listed, 200)).sessions as Array<{ handle: string; current: boolean }>;
      assert.equal(mine!.current, true);
      // Ending this very session signs this browser out.
      assert.deepEqual(await body(await here.api('DELETE', `/bff/account/sessions/${mine!.handle}`), 200), { ok: true, signedOut: true });
      assert.deepEqual((await lastAudit('session_ended', user.id))!.data, { by: 'self', current: true });
      assert.equal(here.jar.has(app.deps.cookies.session.cookieName), false, 'the session cookie is cleared');
      assert.equal((await here.api('GET', '/bff/account/sessions')).status, 401);
    });

    it('a connected app removed, and a password changed, are audited with the browser; the other sessions end', T, async () => {
      const user = await createAccount(app.store, { email: `linus-${db}@example.com`, password: PASSWORD }, Date.now());
      const own = await signedInAgent(app.url, user.email, PASSWORD);
      const { client } = await registerClient(app.store, { name: 'Notes', redirectUris: [REDIRECT], isPublic: false, scopes: ['openid', 'email'] }, Date.now());
      const q = new URLSearchParams({ client_id: client.clientId, redirect_uri: REDIRECT, response_type: 'code', scope: 'openid email', state: 's' });
      const back = await authorizeThrough(own, `/oauth/authorize?${q}`, { email: user.email, password: PASSWORD });
      assert.ok(back.searchParams.get('code'), back.href);
      const apps = (await body(await own.api('GET', '/bff/account'), 200)).connectedApps as Array<{ clientId: string }>;
      assert.deepEqual(
        apps.map((a) => a.clientId),
        [client.clientId],
      );
      assert.deepEqual(await body(await own.api('DELETE', `/bff/account/apps/${client.clientId}`, undefined, { 'user-agent': UA }), 200), { ok: true });
      const revoked = (await lastAudit('consent_revoked', user.id))!;
      assert.deepEqual({ actor: revoked.actorId, ua: revoked.userAgent, data: revoked.data }, { actor: user.id, ua: UA, data: { clientId: client.clientId } });
      assert.deepEqual((await body(await own.api('GET', '/bff/account'), 200)).connectedApps, []);

      const elsewhere = await signedInAgent(app.url, user.email, PASSWORD);
      const change = { currentPassword: PASSWORD, newPassword: 'a brand new long passphrase' };
      assert.deepEqual(await body(await own.api('POST', '/bff/account/password', change, { 'user-agent': UA }), 200), { ok: true });
      const changed = (await lastAudit('password_changed', user.id))!;
      assert.deepEqual({ actor: changed.actorId, ua: changed.userAgent }, { actor: user.id, ua: UA });
      const ended = (await lastAudit('sessions_revoked', user.id))!;
      assert.deepEqual(
        { ua: ended.userAgent, reason: ended.data.reason, bffSessions: ended.data.bffSessions },
        { ua: UA, reason: 'password_changed', bffSessions: 1 },
      );
      assert.equal((await elsewhere.api('GET', '/bff/account')).status, 401);
      assert.equal((await own.api('GET', '/bff/account')).status, 200);
    });

    it('a reset request is 202 with its sentence, known address or not; its audit entry keeps the browser', T, async () => {
      const user = await createAccount(app.store, { email: `reset-${db}@example.com`, password: PASSWORD }, Date.now());
      const browser = new Agent(app.url);
      for (const email of [user.email, `nobody-${db}@example.com`])
        assert.deepEqual(await body(await browser.api('POST', '/bff/password-reset', { email }, { 'user-agent': UA }), 202), {
          ok: true,
          message: RESET_REQUESTED_MESSAGE,
        });
      const entry = (await lastAudit('password_reset_requested', user.id))!;
      assert.equal(entry.userAgent, UA);
    });

    it('completing a reset answers the email and whether everywhere was signed out; accepting an invitation answers the email', T, async () => {
      const user = await createAccount(app.store, { email: `complete-${db}@example.com`, password: PASSWORD }, Date.now());
      const tokenOf = (link: string) => /#token=([A-Za-z0-9_-]+)$/.exec(link)![1]!;
      const browser = new Agent(app.url);
      const everywhere = tokenOf((await issueResetLink({ store: app.store, config: app.config }, user, Date.now())).link);
      assert.deepEqual(
        await body(await browser.api('POST', '/bff/password-reset/complete', { token: everywhere, password: 'a first new long passphrase' }), 200),
        {
          ok: true,
          email: user.email,
          signedOutEverywhere: true,
        },
      );
      const only = tokenOf((await issueResetLink({ store: app.store, config: app.config }, user, Date.now())).link);
      assert.deepEqual(
        await body(
          await browser.api('POST', '/bff/password-reset/complete', { token: only, password: 'a second new long passphrase', signOutEverywhere: false }),
          200,
        ),
        { ok: true, email: user.email, signedOutEverywhere: false },
      );
      const invited = await inviteUser({ store: app.store, config: app.config }, `invited-${db}@example.com`, 'Ivo', Date.now());
      assert.deepEqual(
        await body(await browser.api('POST', '/bff/invitations/accept', { token: tokenOf(invited.link), password: 'an invited long passphrase' }), 200),
        {
          ok: true,
          email: `invited-${db}@example.com`,
        },
      );
    });
  });
}
