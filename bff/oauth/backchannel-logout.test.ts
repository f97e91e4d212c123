/**
 * OpenID Connect Back-Channel Logout 1.0 (issue 15, decision 0025), on SQLite
 * and PostgreSQL. A real partner endpoint (an in-process HTTP server) receives
 * logout tokens and validates each as the specification's section 2.6 asks
 * (jose against the portal's JWKS: signature, typ logout+jwt, iss, aud, iat,
 * exp, jti, the events member, sub and/or sid, no nonce). Every door that ends
 * a person's session queues one: the portal's sign-out, RP-initiated logout, an
 * admin disabling the account, a password reset, an admin's "sign out
 * everywhere", an impersonation ending. Delivery is from the outbox only, driven
 * here by its tick with a clock: the sign-out itself never calls the partner;
 * a failing partner is retried with backoff, then given up, logged and audited.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { spawnSync } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import * as oidc from 'openid-client';
import { createRemoteJWKSet, jwtVerify, type JWTPayload } from 'jose';
import { startTestApp, TEST_SECRETS_ENV, type TestApp } from '../testing/test-app.ts';
import { Agent, authorizeThrough, signedInAgent } from '../testing/agent.ts';
import { PARTNER_REDIRECT } from '../testing/partner.ts';
import { impersonate } from '../impersonation/test-helpers.ts';
import { createAccount } from '../accounts/accounts.ts';
import { issueResetLink } from '../accounts/password-reset.ts';
import { createLogger } from '../http/logger.ts';
import type { User } from '../store/store.ts';
import { registerClient } from './clients.ts';
import { updateClient } from './client-update.ts';
import { validateClientOptions } from './client-options.ts';
import { BACKCHANNEL_LOGOUT_EVENT, LOGOUT_MAX_ATTEMPTS, createLogoutDelivery, logoutBackoffMs, type LogoutDelivery } from './backchannel.ts';

const PASSWORD = 'correct horse battery staple';

/** The partner's back-channel logout endpoint: validates every logout token it receives. */
interface PartnerEndpoint {
  uri: string;
  /** Validated logout tokens' claims, in arrival order. */
  received: JWTPayload[];
  /** Requests that arrived at all (valid or not). */
  requests: number;
  /** How many of the next requests to answer 503. */
  failNext: number;
  server: Server;
}

async function partnerEndpoint(app: TestApp, clientId: () => string): Promise<PartnerEndpoint> {
  const jwks = createRemoteJWKSet(new URL(`${app.config.issuer}/jwks`));
  const ep: PartnerEndpoint = { uri: '', received: [], requests: 0, failNext: 0, server: createServer() };
  ep.server.on('request', (req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      ep.requests++;
      if (ep.failNext > 0) {
        ep.failNext--;
        res.writeHead(503).end();
        return;
      }
      void (async () => {
        try {
          assert.equal(req.method, 'POST');
          assert.match(req.headers['content-type'] ?? '', /^application\/x-www-form-urlencoded/);
          const token = new URLSearchParams(body).get('logout_token');
          assert.ok(token, 'a logout_token parameter');
          // Back-Channel Logout 1.0 §2.6: signature, iss, aud, iat (and exp), typ, events, sub or sid, no nonce.
          const { payload, protectedHeader } = await jwtVerify(token, jwks, {
            issuer: app.config.issuer,
            audience: clientId(),
            typ: 'logout+jwt',
            requiredClaims: ['iat', 'exp', 'jti', 'events'],
          });
          assert.equal(protectedHeader.alg, 'ES256');
          const events = payload.events as Record<string, unknown>;
          assert.deepEqual(events[BACKCHANNEL_LOGOUT_EVENT], {});
          assert.ok(payload.sub || payload.sid, 'sub or sid');
          assert.equal(payload.nonce, undefined);
          ep.received.push(payload);
          res.writeHead(200, { 'cache-control': 'no-store' }).end();
        } catch (err) {
          res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'invalid_request', error_description: String(err) }));
        }
      })();
    });
  });
  await new Promise<void>((r) => ep.server.listen(0, '127.0.0.1', r));
  ep.uri = `http://127.0.0.1:${(ep.server.address() as AddressInfo).port}/backchannel-logout`;
  return ep;
}

/** `portal …` as an operator runs it, against the app's database. */
function portal(app: TestApp, args: string[]) {
  const r = spawnSync(process.execPath, ['bin/portal.js', ...args], {
    env: { ...process.env, ...TEST_SECRETS_ENV, DATABASE_URL: app.config.databaseUrl, NODE_ENV: 'test' },
    encoding: 'utf8',
  });
  return { status: r.status, json: r.status === 0 ? (JSON.parse(r.stdout) as unknown) : null, stderr: r.stderr };
}

for (const db of ['sqlite', 'postgres'] as const) {
  describe(`back-channel logout (${db})`, () => {
    let app: TestApp;
    let ep: PartnerEndpoint;
    let partner: { clientId: string; config: oidc.Configuration };
    let quiet: { clientId: string; config: oidc.Configuration };
    let admin: User;
    let adminAgent: Agent;
    let clock: number;
    let delivery: LogoutDelivery;
    let n = 0;

    /** A partner that registered a back-channel logout URI (or not), as an openid-client relying party. */
    async function rp(name: string, logoutUri: string | null) {
      const options = logoutUri ? { backchannelLogoutUri: logoutUri, backchannelLogoutSessionRequired: true } : {};
      const { client, secret } = await registerClient(
        app.store,
        { name, redirectUris: [PARTNER_REDIRECT], isPublic: false, scopes: ['openid', 'email'], options },
        Date.now(),
      );
      const config = await oidc.discovery(new URL(app.config.issuer), client.clientId, { client_secret: secret! }, oidc.ClientSecretBasic(secret!), {
        execute: [oidc.allowInsecureRequests],
      });
      return { clientId: client.clientId, config };
    }

    /** The person signs in at the partner in `agent`'s browser; returns the ID token's claims (sid included). */
    async function partnerSignIn(p: typeof partner, agent: Agent, email: string) {
      const verifier = oidc.randomPKCECodeVerifier();
      const state = oidc.randomState();
      const url = oidc.buildAuthorizationUrl(p.config, {
        redirect_uri: PARTNER_REDIRECT,
        scope: 'openid email',
        state,
        code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
      });
      const end = await authorizeThrough(agent, url.href, { email, password: PASSWORD });
      const tokens = await oidc.authorizationCodeGrant(p.config, end, { pkceCodeVerifier: verifier, expectedState: state });
      return { claims: tokens.claims()!, idToken: tokens.id_token! };
    }

    /** A new person signed in to the portal and, in the same browser, to both partners. */
    async function signedInEverywhere() {
      const email = `bcl-${db}-${++n}@example.com`;
      const user = await createAccount(app.store, { email, password: PASSWORD, emailVerified: true }, Date.now());
      const agent = await signedInAgent(app.url, email, PASSWORD);
      const { claims, idToken } = await partnerSignIn(partner, agent, email);
      await partnerSignIn(quiet, agent, email);
      assert.equal(typeof claims.sid, 'string', 'the ID token names the session (backchannel_logout_session_required)');
      return { user, email, agent, sid: claims.sid as string, idToken };
    }

    /**
     * One tick of the outbox; returns the logout tokens the partner validated during it. The clock
     * first catches up with real time (rows are queued at real time), unless `frozen`.
     */
    async function tick(frozen = false) {
      if (!frozen) clock = Math.max(clock, Date.now());
      const before = ep.received.length;
      const round = await delivery.runOnce();
      return { round, tokens: ep.received.slice(before) };
    }

    before(async () => {
      app = await startTestApp({ db });
      ep = await partnerEndpoint(app, () => partner.clientId);
      partner = await rp('Listening partner', ep.uri);
      quiet = await rp('Partner without back-channel logout', null);
      admin = await createAccount(app.store, { email: `root-${db}@example.com`, password: PASSWORD, role: 'admin' }, Date.now());
      adminAgent = await signedInAgent(app.url, admin.email, PASSWORD);
      clock = Date.now();
      // The app's own worker does not run in tests; this one is driven by its tick, on its own clock.
      delivery = createLogoutDelivery({ store: app.store, provider: app.provider, audit: app.audit, logger: createLogger('silent'), now: () => clock });
    });
    after(async () => {
      await delivery.stop();
      await app.close();
      await new Promise((r) => ep.server.close(r));
    });

    it('discovery advertises back-channel logout with sessions', async () => {
      const meta = (await (await fetch(`${app.config.issuer}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
      assert.equal(meta.backchannel_logout_supported, true);
      assert.equal(meta.backchannel_logout_session_supported, true);
    });

    it('the portal sign-out queues a logout token; the sign-out itself never calls the partner', async () => {
      await tick();
      const { user, agent, sid } = await signedInEverywhere();
      const requests = ep.requests;
      assert.equal((await agent.api('POST', '/bff/logout', {})).status, 200);
      assert.equal(ep.requests, requests, 'nothing was posted while the person signed out');
      const { round, tokens } = await tick();
      assert.deepEqual(round, { delivered: 1, retrying: 0, failed: 0 }, 'one token, for the partner that listens only');
      assert.equal(tokens[0]!.sub, user.id);
      assert.equal(tokens[0]!.sid, sid);
      assert.deepEqual((await tick()).round, { delivered: 0, retrying: 0, failed: 0 }, 'delivered once');
    });

    it('RP-initiated logout (/oauth/logout, confirmed) queues instead of posting at once', async () => {
      const { user, agent, sid, idToken } = await signedInEverywhere();
      const page = await (await agent.get(`/oauth/logout?id_token_hint=${idToken}`)).text();
      const form =
        /<form[^>]*id="op\.logoutForm"[^>]*action="([^"]+)"[^>]*>([\s\S]*?)<\/form>/.exec(page) ??
        /<form[^>]*action="([^"]+)"[^>]*id="op\.logoutForm"[^>]*>([\s\S]*?)<\/form>/.exec(page);
      assert.ok(form, 'the confirmation form');
      const body = new URLSearchParams({ logout: 'yes' });
      for (const m of form[2]!.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)"/g)) body.set(m[1]!, m[2]!);
      const requests = ep.requests;
      const confirmed = await fetch(new URL(form[1]!, app.url), {
        method: 'POST',
        redirect: 'manual',
        headers: { cookie: agent.cookieHeader(), 'content-type': 'application/x-www-form-urlencoded', origin: app.url },
        body,
      });
      assert.ok(confirmed.status === 303 || confirmed.status === 200, String(confirmed.status));
      assert.equal(ep.requests, requests, 'oidc-provider did not post it itself');
      const { tokens } = await tick();
      assert.deepEqual(
        tokens.map((t) => [t.sub, t.sid]),
        [[user.id, sid]],
      );
    });

    it('an admin disabling the account queues a logout for its partner sessions', async () => {
      const { user, sid } = await signedInEverywhere();
      const shown = (await (await adminAgent.api('GET', `/bff/admin/users/${user.id}`)).json()) as { user: { updatedAt: number } };
      const res = await adminAgent.api('PATCH', `/bff/admin/users/${user.id}`, { updatedAt: shown.user.updatedAt, disabled: true });
      assert.equal(res.status, 200, await res.clone().text());
      const { tokens } = await tick();
      assert.deepEqual(
        tokens.map((t) => [t.sub, t.sid]),
        [[user.id, sid]],
      );
    });

    it('`portal user disable` queues a logout too, and ends the partner grants as the admin screen does', async () => {
      const { user, sid, email } = await signedInEverywhere();
      const grantsBefore = await app.store.oidcOwners.grantIds(user.id);
      assert.equal(grantsBefore.length, 3, 'the BFF and both partners');
      const res = portal(app, ['user', 'disable', '--email', email]);
      assert.equal(res.status, 0, res.stderr);
      const { tokens } = await tick();
      assert.deepEqual(
        tokens.map((t) => [t.sub, t.sid]),
        [[user.id, sid]],
      );
      assert.deepEqual(await app.store.oidcOwners.grantIds(user.id), []);
      assert.deepEqual(await app.store.oidcOwners.sessions(user.id), []);
      const audit = await app.store.audit.list({ kind: 'sessions_revoked', subjectId: user.id });
      assert.equal(audit.length, 1);
      assert.deepEqual(audit[0]!.data, { reason: 'user_disabled', via: 'cli', bffSessions: 1, grants: 3, providerSessions: 1 });
    });

    it('a password reset, which ends every session, queues a logout', async () => {
      const { user, sid } = await signedInEverywhere();
      const { link } = await issueResetLink(app.deps, user, Date.now());
      const token = new URL(link).hash.replace('#token=', '');
      const done = await new Agent(app.url).api('POST', '/bff/password-reset/complete', { token, password: `${PASSWORD} renewed` });
      assert.equal(done.status, 200, await done.clone().text());
      const { tokens } = await tick();
      assert.deepEqual(
        tokens.map((t) => [t.sub, t.sid]),
        [[user.id, sid]],
      );
    });

    it('an admin\'s "sign out everywhere" queues a logout', async () => {
      const { user, sid } = await signedInEverywhere();
      const res = await adminAgent.api('POST', `/bff/admin/users/${user.id}/sessions/sign-out-everywhere`, {});
      assert.equal(res.status, 200, await res.clone().text());
      const { tokens } = await tick();
      assert.deepEqual(
        tokens.map((t) => [t.sub, t.sid]),
        [[user.id, sid]],
        'once, though two doors ended the session',
      );
    });

    it("an admin ending one of the person's sessions queues a logout for that session", async () => {
      const { user, sid } = await signedInEverywhere();
      const shown = (await (await adminAgent.api('GET', `/bff/admin/users/${user.id}`)).json()) as { sessions: Array<{ handle: string }> };
      assert.equal(shown.sessions.length, 1);
      const res = await adminAgent.api('DELETE', `/bff/admin/users/${user.id}/sessions/${shown.sessions[0]!.handle}`);
      assert.equal(res.status, 200, await res.clone().text());
      const { tokens } = await tick();
      assert.deepEqual(
        tokens.map((t) => [t.sub, t.sid]),
        [[user.id, sid]],
      );
    });

    it('an impersonation ending queues a logout for the partners opened during it', async () => {
      const email = `imp-${db}@example.com`;
      const user = await createAccount(app.store, { email, password: PASSWORD, emailVerified: true }, Date.now());
      // The person connected the partner earlier, so the impersonating admin passes without consent.
      await partnerSignIn(partner, new Agent(app.url), email);
      await tick();
      const agent = await signedInAgent(app.url, admin.email, PASSWORD);
      assert.equal((await impersonate(agent, { userId: user.id, reason: 'Helping with a support ticket #4411', durationMinutes: 30 })).status, 200);
      const { claims } = await partnerSignIn(partner, agent, email);
      assert.equal((await agent.api('POST', '/bff/impersonation/stop')).status, 200);
      const { tokens } = await tick();
      assert.deepEqual(
        tokens.map((t) => [t.sub, t.sid]),
        [[user.id, claims.sid]],
      );
    });

    it('two instances ticking at once post each logout once', async () => {
      const { agent } = await signedInEverywhere();
      await agent.api('POST', '/bff/logout', {});
      clock = Math.max(clock, Date.now());
      const other = createLogoutDelivery({ store: app.store, provider: app.provider, audit: app.audit, logger: createLogger('silent'), now: () => clock });
      const before = ep.received.length;
      const rounds = await Promise.all([delivery.runOnce(), other.runOnce()]);
      assert.equal(rounds[0].delivered + rounds[1].delivered, 1);
      assert.equal(ep.received.length - before, 1);
    });

    it('a failing partner is retried with exponential backoff, then receives it', async () => {
      const { agent } = await signedInEverywhere();
      await agent.api('POST', '/bff/logout', {});
      ep.failNext = 2;
      assert.deepEqual((await tick()).round, { delivered: 0, retrying: 1, failed: 0 });
      assert.deepEqual((await tick(true)).round, { delivered: 0, retrying: 0, failed: 0 }, 'not due before its backoff');
      clock += logoutBackoffMs(1) - 1;
      assert.deepEqual((await tick(true)).round, { delivered: 0, retrying: 0, failed: 0 }, 'not a millisecond early');
      clock += 1;
      assert.deepEqual((await tick(true)).round, { delivered: 0, retrying: 1, failed: 0 }, 'second attempt, fails too');
      clock += logoutBackoffMs(1);
      assert.deepEqual((await tick(true)).round, { delivered: 0, retrying: 0, failed: 0 }, 'the second wait is longer');
      clock += logoutBackoffMs(2) - logoutBackoffMs(1);
      const { round, tokens } = await tick(true);
      assert.deepEqual(round, { delivered: 1, retrying: 0, failed: 0 });
      assert.equal(tokens.length, 1);
    });

    it('a partner that never accepts is given up after the last attempt: logged and audited', async () => {
      const { user, agent, sid } = await signedInEverywhere();
      await agent.api('POST', '/bff/logout', {});
      ep.failNext = 1000;
      for (let attempt = 1; attempt < LOGOUT_MAX_ATTEMPTS; attempt++) {
        assert.deepEqual((await tick()).round, { delivered: 0, retrying: 1, failed: 0 }, `attempt ${attempt}`);
        clock += logoutBackoffMs(attempt);
      }
      assert.deepEqual((await tick()).round, { delivered: 0, retrying: 0, failed: 1 });
      clock += 24 * 3_600_000;
      assert.deepEqual((await tick()).round, { delivered: 0, retrying: 0, failed: 0 }, 'never tried again');
      ep.failNext = 0;
      const [entry] = await app.store.audit.list({ kind: 'backchannel_logout_failed', subjectId: user.id });
      assert.ok(entry, 'audited');
      assert.deepEqual(
        [entry.data.clientId, entry.data.sid, entry.data.attempts, entry.data.reason],
        [partner.clientId, sid, LOGOUT_MAX_ATTEMPTS, 'the partner answered 503'],
      );
    });

    it('registration and changes: https outside loopback, no fragment; shown in the client list', async () => {
      const bad = ['http://partner.example/logout', 'https://partner.example/logout#x', 'javascript:alert(1)'];
      for (const uri of bad) {
        assert.throws(() => validateClientOptions({ backchannelLogoutUri: uri }, false), /back-channel logout URI/, uri);
        await assert.rejects(updateClient(app.store, quiet.clientId, { backchannelLogoutUri: uri }), /back-channel logout URI/, uri);
      }
      assert.throws(() => validateClientOptions({ backchannelLogoutSessionRequired: true }, false), /needs a back-channel logout URI/);
      const { client } = await updateClient(app.store, quiet.clientId, {
        backchannelLogoutUri: 'https://quiet.example/bcl',
        backchannelLogoutSessionRequired: true,
      });
      assert.deepEqual([client.backchannelLogoutUri, client.backchannelLogoutSessionRequired], ['https://quiet.example/bcl', true]);
      const listed = (await (await adminAgent.api('GET', '/bff/admin/clients')).json()) as {
        clients: Array<{ clientId: string; backchannelLogoutUri: string | null; backchannelLogoutSessionRequired: boolean }>;
      };
      const shown = listed.clients.find((c) => c.clientId === quiet.clientId)!;
      assert.deepEqual([shown.backchannelLogoutUri, shown.backchannelLogoutSessionRequired], ['https://quiet.example/bcl', true]);
      const { client: cleared } = await updateClient(app.store, quiet.clientId, { backchannelLogoutUri: null });
      assert.deepEqual([cleared.backchannelLogoutUri, cleared.backchannelLogoutSessionRequired], [null, false]);
    });

    it('the CLI registers, lists, changes and clears it', async () => {
      const refused = portal(app, [
        'client',
        'create',
        '--name',
        'CLI partner',
        '--redirect-uri',
        PARTNER_REDIRECT,
        '--backchannel-logout-uri',
        'http://partner.example/bcl',
      ]);
      assert.notEqual(refused.status, 0);
      assert.match(refused.stderr, /back-channel logout URI must use https/);
      const created = portal(app, [
        'client',
        'create',
        '--name',
        'CLI partner',
        '--redirect-uri',
        PARTNER_REDIRECT,
        '--backchannel-logout-uri',
        'https://partner.example/bcl',
        '--backchannel-logout-session-required',
      ]);
      assert.equal(created.status, 0, created.stderr);
      const id = (created.json as { client_id: string }).client_id;
      const listed = (portal(app, ['client', 'list']).json as unknown as Array<Record<string, unknown>>).find((c) => c.clientId === id)!;
      assert.deepEqual([listed.backchannelLogoutUri, listed.backchannelLogoutSessionRequired], ['https://partner.example/bcl', true]);
      const cleared = portal(app, ['client', 'update', '--client-id', id, '--backchannel-logout-uri', '']);
      assert.equal(cleared.status, 0, cleared.stderr);
      assert.deepEqual(
        [(cleared.json as Record<string, unknown>).backchannelLogoutUri, (cleared.json as Record<string, unknown>).changed],
        [null, ['backchannelLogoutUri', 'backchannelLogoutSessionRequired']],
      );
    });
  });
}
