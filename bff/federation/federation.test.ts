import { describe, it, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { startTestApp, type TestApp } from '../testing/test-app.ts';
import { startUpstreamOp, UPSTREAM_USERS, type UpstreamOp, type Misbehaviour } from '../testing/upstream-op.ts';
import { Agent } from '../testing/agent.ts';
import { createAccount } from '../accounts/accounts.ts';
import { authenticationMethod } from '../oauth/core.ts';
import { createConnection } from './connections.ts';
import { clientSecretSealer } from './crypto.ts';
import { upstreamTokensFor } from './tokens.ts';
import { browse, federate, portalInteraction, portalStop, rawRows, upstreamConnection } from './test-helpers.ts';

const PASSWORD = 'correct horse battery staple';
const ALICE = UPSTREAM_USERS[0]!;
const UMA = UPSTREAM_USERS[1]!;

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address() as { port: number };
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

for (const db of ['sqlite', 'postgres'] as const) {
  describe(`federation (${db})`, () => {
    let app: TestApp;
    let up: UpstreamOp;
    let social: string;

    const reason = (u: URL) => (u.pathname === '/federation/error' ? u.searchParams.get('reason') : `not an error screen: ${u.pathname}`);
    const lastAudit = async (kind: string) => (await app.store.audit.list({ kind, limit: 1 }))[0];
    const sessionOf = async (agent: Agent) =>
      (await (await agent.api('GET', '/bff/session')).json()) as { authenticated: boolean; user?: { id: string; email: string } };
    /** The authentication the portal recorded for the user's BFF session (what a compat API's grant carries). */
    const signInOf = async (userId: string) => {
      const rows = await rawRows(app, `SELECT id FROM bff_sessions WHERE user_id = '${userId}' ORDER BY created_at DESC`);
      const s = (await app.store.bffSessions.find(String(rows[0]!.id)))!;
      const rt = await app.provider.RefreshToken.find((await app.deps.sessions.tokens(s)).refresh_token!);
      return { amr: rt?.amr, acr: rt?.acr };
    };

    before(async () => {
      app = await startTestApp({ db, env: { FEDERATION_ALLOW_PRIVATE: '1' } }); // the upstream OP listens on loopback
      up = await startUpstreamOp({ redirectUris: [`${app.url}/bff/federation/callback`] });
      social = await upstreamConnection(app, up);
    });
    after(async () => {
      await up?.close();
      await app?.close();
    });
    afterEach(() => {
      up.misbehave = 'none';
      app.clock.offset = 0;
    });

    it('continues with the provider, creates the user just in time, and signs in again as the same user', async () => {
      const agent = new Agent(app.url);
      const uid = await portalInteraction(app, agent);
      const info = await (await agent.api('GET', `/bff/interaction/${uid}`)).json();
      assert.deepEqual(
        info.connections.find((c: { id: string }) => c.id === social),
        { id: social, name: 'Upstream', kind: 'social' },
      );
      assert.equal(info.pendingLink, null);

      const { end } = await federate(app, agent, up.issuer, social, ALICE);
      assert.equal(end.pathname, '/account', `landed at ${end.href}`);
      const s = await sessionOf(agent);
      assert.equal(s.authenticated, true);
      assert.equal(s.user!.email, ALICE.email);
      const user = (await app.store.users.findByEmail(ALICE.email))!;
      assert.equal(user.passwordHash, null, 'a federated user has no password');
      assert.equal(user.emailVerified, true);
      assert.equal(user.name, ALICE.name);
      const signIn = await lastAudit('sign_in');
      assert.equal(signIn?.subjectId, user.id);
      assert.deepEqual({ method: signIn?.data.method, connection: signIn?.data.connection }, { method: 'federation', connection: social });
      const how = await signInOf(user.id);
      assert.deepEqual(how, { amr: ['fed'], acr: 'social:Upstream' });
      // Not a social provider WorkOS knows by its issuer: SSO (decision in docs/compat-workos.md).
      assert.equal(authenticationMethod(how.amr, how.acr, up.issuer), 'SSO');

      const again = await federate(app, new Agent(app.url), up.issuer, social, ALICE);
      assert.equal(again.end.pathname, '/account');
      assert.equal((await app.store.users.list({ query: ALICE.email })).length, 1, 'no second user');
    });

    it('never links an existing password account silently: the password, once, links it', async () => {
      const email = `bob-${db}@acme.test`;
      const bob = await createAccount(app.store, { email, password: PASSWORD, name: 'Bob' }, Date.now());
      up.users.push({ sub: `up-bob-${db}`, email, password: 'bob-upstream-pw', name: 'Bob Upstream', emailVerified: true });
      const agent = new Agent(app.url);
      const { uid, end } = await federate(app, agent, up.issuer, social, { email, password: 'bob-upstream-pw' });
      assert.equal(end.pathname, `/interaction/${uid}`, 'back to the portal sign-in, not signed in');
      assert.equal((await sessionOf(agent)).authenticated, false);
      assert.equal((await app.store.federation.findIdentity(social, `up-bob-${db}`))?.linkedAt, null, 'the link only waits');
      const info = await (await agent.api('GET', `/bff/interaction/${uid}`)).json();
      assert.deepEqual(info.pendingLink, { connection: { id: social, name: 'Upstream' }, email });

      // Another browser signing in through the upstream as Bob still does not get in.
      const other = await federate(app, new Agent(app.url), up.issuer, social, { email, password: 'bob-upstream-pw' });
      assert.equal(other.end.pathname, `/interaction/${other.uid}`);

      const login = await agent.api('POST', `/bff/interaction/${uid}/login`, { email, password: PASSWORD });
      assert.equal(login.status, 200);
      const { url } = await browse(agent, (await login.json()).redirectTo, portalStop(app));
      assert.equal(url.pathname, '/account');
      const identity = await app.store.federation.findIdentity(social, `up-bob-${db}`);
      assert.equal(identity?.userId, bob.id);
      assert.ok(identity?.linkedAt, 'linked after the password sign-in');
      assert.equal((await lastAudit('federation_linked'))?.subjectId, bob.id);

      const next = await federate(app, new Agent(app.url), up.issuer, social, { email, password: 'bob-upstream-pw' });
      assert.equal(next.end.pathname, '/account', 'linked: the upstream now signs Bob in');
    });

    it('does not link when a different account signs in with its password', async () => {
      const email = `dan-${db}@acme.test`;
      await createAccount(app.store, { email, password: PASSWORD }, Date.now());
      const eve = await createAccount(app.store, { email: `eve-${db}@example.com`, password: PASSWORD }, Date.now());
      up.users.push({ sub: `up-dan-${db}`, email, password: 'dan-upstream-pw', name: 'Dan', emailVerified: true });
      const agent = new Agent(app.url);
      const { uid } = await federate(app, agent, up.issuer, social, { email, password: 'dan-upstream-pw' });
      const login = await agent.api('POST', `/bff/interaction/${uid}/login`, { email: eve.email, password: PASSWORD });
      assert.equal(login.status, 200, 'Eve signs in as herself');
      assert.equal((await app.store.federation.findIdentity(social, `up-dan-${db}`))?.linkedAt, null);
      assert.deepEqual(await app.store.federation.listLinkedIdentities(eve.id), []);
    });

    it('routes an organization domain to its connection (home-realm discovery) and signs in as SSO', async () => {
      const org = await app.store.orgs.create({ id: `org_${db}fed`, name: `Corp ${db}` }, Date.now());
      const corp = await createConnection(
        { store: app.store, cookieSecrets: app.config.cookieSecrets, now: Date.now(), allowPrivate: app.config.federationAllowPrivate },
        {
          name: 'Corp SSO',
          issuer: up.issuer,
          clientId: up.clientId,
          clientSecret: up.clientSecret,
          org: org.name,
          domains: ['Corp.Test'],
        },
      );
      assert.deepEqual(corp.domains, ['corp.test']);
      up.users.push({ sub: `up-carol-${db}`, email: 'carol@corp.test', password: 'carol-upstream-pw', name: 'Carol', emailVerified: true });
      const agent = new Agent(app.url);
      const uid = await portalInteraction(app, agent);
      const found = await (await agent.api('POST', `/bff/interaction/${uid}/discover`, { email: 'Carol@CORP.test' })).json();
      assert.deepEqual(found, { connection: { id: corp.id, name: 'Corp SSO', kind: 'sso' } });
      assert.deepEqual(await (await agent.api('POST', `/bff/interaction/${uid}/discover`, { email: 'carol@elsewhere.test' })).json(), { connection: null });
      const gone = await agent.api('POST', '/bff/interaction/not-a-uid/discover', { email: 'carol@corp.test' });
      assert.equal(gone.status, 404);

      const { end } = await federate(
        app,
        agent,
        up.issuer,
        corp.id,
        { email: 'carol@corp.test', password: 'carol-upstream-pw' },
        { loginHint: 'carol@corp.test' },
      );
      assert.equal(end.pathname, '/account');
      const carol = (await app.store.users.findByEmail('carol@corp.test'))!;
      const how = await signInOf(carol.id);
      assert.equal(how.acr, `sso:${corp.id}`);
      assert.equal(authenticationMethod(how.amr, how.acr), 'SSO');
      assert.ok(await app.store.orgs.findMembership(carol.id, org.id), 'member of the connection’s organization');
    });

    it('shows a clear screen, audited, when the provider is down', async () => {
      const id = `conn_down_${db}`;
      await app.store.federation.createConnection({
        id,
        name: `Down ${db}`,
        issuer: `http://127.0.0.1:${await closedPort()}`,
        clientId: 'x',
        clientSecret: clientSecretSealer(app.config.cookieSecrets).seal('s', id),
        scopes: ['openid'],
        orgId: null,
        domains: [],
        createdAt: Date.now(),
        updatedAt: Date.now(),
      });
      const agent = new Agent(app.url);
      const uid = await portalInteraction(app, agent);
      const res = await agent.get(`/bff/federation/${id}/start?uid=${uid}`);
      assert.equal(res.status, 303);
      const to = new URL(res.headers.get('location')!, app.url);
      assert.equal(reason(to), 'provider_unavailable');
      assert.equal(to.searchParams.get('uid'), uid, 'the screen can lead back to the same sign-in');
      const audit = await lastAudit('federation_failed');
      assert.deepEqual({ reason: audit?.data.reason, connection: audit?.data.connection }, { reason: 'provider_unavailable', connection: id });
    });

    it('shows the same screen when the provider goes down after its discovery was cached', async () => {
      const flaky = await startUpstreamOp({ redirectUris: [`${app.url}/bff/federation/callback`] });
      const c = await createConnection(
        { store: app.store, cookieSecrets: app.config.cookieSecrets, now: Date.now(), allowPrivate: app.config.federationAllowPrivate },
        {
          name: `Flaky ${db}`,
          issuer: flaky.issuer,
          clientId: flaky.clientId,
          clientSecret: flaky.clientSecret,
        },
      );
      const agent = new Agent(app.url);
      const uid = await portalInteraction(app, agent);
      const first = await agent.get(`/bff/federation/${c.id}/start?uid=${uid}`);
      assert.equal(new URL(first.headers.get('location')!).origin, flaky.issuer, 'up: off to the provider');
      await flaky.close();
      const second = await agent.get(`/bff/federation/${c.id}/start?uid=${uid}`);
      assert.equal(reason(new URL(second.headers.get('location')!, app.url)), 'provider_unavailable');
    });

    it('refuses a tampered state, a replayed callback and a callback this browser never started', async () => {
      const agent = new Agent(app.url);
      let original: URL | undefined;
      const { end } = await federate(app, agent, up.issuer, social, ALICE, {
        beforeCallback: (u) => {
          original = new URL(u);
          const t = new URL(u);
          t.searchParams.set('state', `${u.searchParams.get('state')}x`);
          return t;
        },
      });
      assert.equal(reason(end), 'state_mismatch');
      assert.equal((await sessionOf(agent)).authenticated, false);
      assert.equal((await lastAudit('federation_failed'))?.data.reason, 'state_mismatch');
      const replay = await agent.get(original!.href);
      assert.equal(reason(new URL(replay.headers.get('location')!, app.url)), 'state_mismatch', 'the transaction is single use');
      const stranger = await new Agent(app.url).get(original!.href);
      assert.equal(reason(new URL(stranger.headers.get('location')!, app.url)), 'state_mismatch');
    });

    for (const [mode, why] of [
      ['wrong_nonce', 'an ID token with another nonce'],
      ['expired_id_token', 'an expired ID token'],
      ['wrong_audience', 'an ID token for another audience'],
      ['bad_signature', 'an ID token signed by an unpublished key'],
    ] as Array<[Misbehaviour, string]>) {
      it(`refuses ${why}`, async () => {
        up.misbehave = mode;
        const agent = new Agent(app.url);
        const { end } = await federate(app, agent, up.issuer, social, ALICE);
        assert.equal(reason(end), 'invalid_id_token');
        assert.equal((await sessionOf(agent)).authenticated, false);
        assert.equal((await lastAudit('federation_failed'))?.data.reason, 'invalid_id_token');
      });
    }

    it('creates a user whose email the upstream did not verify unverified, and waits for the emailed code (federation-verify.test.ts)', async () => {
      const { uid, end } = await federate(app, new Agent(app.url), up.issuer, social, UMA);
      assert.equal(end.pathname, `/interaction/${uid}`);
      assert.equal((await app.store.users.findByEmail(UMA.email))!.emailVerified, false);
    });

    it('explains a sign-in cancelled at the provider', async () => {
      const { end } = await federate(app, new Agent(app.url), up.issuer, social, 'cancel');
      assert.equal(reason(end), 'access_denied');
      assert.equal((await lastAudit('federation_failed'))?.data.reason, 'access_denied');
    });

    it('keeps the upstream tokens encrypted at rest and refreshes them once when expired', async () => {
      await federate(app, new Agent(app.url), up.issuer, social, ALICE);
      const alice = (await app.store.users.findByEmail(ALICE.email))!;
      const first = (await upstreamTokensFor(app.deps, alice.id, 'social:Upstream'))!;
      assert.ok(first.access_token && first.refresh_token);
      assert.equal(first.provider, 'Upstream');
      assert.deepEqual(first.scopes.sort(), ['email', 'openid', 'profile']);
      assert.ok(first.expires_at > Date.now() / 1000);
      const me = await fetch(`${up.issuer}/me`, { headers: { authorization: `Bearer ${first.access_token}` } });
      assert.equal((await me.json()).sub, ALICE.sub, 'a real upstream token');

      const raw = JSON.stringify(await rawRows(app, 'SELECT * FROM federated_identities'));
      assert.ok(!raw.includes(first.access_token) && !raw.includes(first.refresh_token), 'no plaintext token in the database');
      const secretsRaw = JSON.stringify(await rawRows(app, 'SELECT * FROM federation_connections'));
      assert.ok(!secretsRaw.includes(up.clientSecret), 'no plaintext client secret in the database');

      assert.equal(await upstreamTokensFor(app.deps, alice.id, undefined), null, 'a password sign-in has none');
      assert.equal(await upstreamTokensFor(app.deps, alice.id, 'sso:conn_unknown'), null);

      const before = (await app.store.federation.findIdentity(social, ALICE.sub))!;
      // A second instance on the same database: the two race through the store's lock.
      const second = await startTestApp({ databaseUrl: app.config.databaseUrl, env: { FEDERATION_ALLOW_PRIVATE: '1' } });
      let many;
      try {
        app.clock.offset = second.clock.offset = first.expires_at * 1000 - Date.now() + 1000;
        many = await Promise.all(Array.from({ length: 6 }, (_, i) => upstreamTokensFor((i % 2 ? second : app).deps, alice.id, 'social:Upstream')));
      } finally {
        await second.close();
      }
      const after = (await app.store.federation.findIdentity(social, ALICE.sub))!;
      assert.equal(after.version, before.version + 1, 'exactly one refresh');
      assert.equal(new Set(many.map((t) => t?.access_token)).size, 1);
      const refreshed = many[0]!;
      assert.notEqual(refreshed.access_token, first.access_token);
      assert.notEqual(refreshed.refresh_token, first.refresh_token, 'the upstream rotated its refresh token');
      const me2 = await fetch(`${up.issuer}/me`, { headers: { authorization: `Bearer ${refreshed.access_token}` } });
      assert.equal(me2.status, 200);
      assert.ok(!JSON.stringify(await rawRows(app, 'SELECT * FROM federated_identities')).includes(refreshed.access_token));
    });
  });
}
