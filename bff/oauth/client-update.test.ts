/**
 * Post-logout redirect URIs (issue 15) and changing a partner app after
 * registration (issue 12), through both ways an app is managed: the `portal`
 * CLI (another process) and the admin API. RP-initiated logout returns only to
 * a registered address (exact match); an unregistered one gets a clear page.
 * A change is audited and takes effect on every instance without a restart.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import * as oidc from 'openid-client';
import { startTestApp, TEST_SECRETS_ENV, type TestApp } from '../testing/test-app.ts';
import { Agent, authorizeThrough, signedInAgent } from '../testing/agent.ts';
import { createAccount } from '../accounts/accounts.ts';
import { createResource, registerMachineClient } from './machine.ts';

const PASSWORD = 'correct horse battery staple';
const EMAIL = 'kim@example.com';
const APP = 'https://app.example';

/** The `portal client …` command in its own process; asynchronous, so the app in this process keeps serving meanwhile. */
function cli(app: TestApp, args: string[]): Promise<{ status: number; out: Record<string, any>; err: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['bff/cli.ts', 'client', ...args],
      { env: { ...process.env, ...TEST_SECRETS_ENV, DATABASE_URL: app.config.databaseUrl, NODE_ENV: 'test' }, encoding: 'utf8' },
      (e, stdout, stderr) => {
        const status = e ? Number((e as { code?: number }).code ?? 1) : 0;
        resolve({ status, out: status === 0 ? JSON.parse(stdout) : null, err: stderr });
      },
    );
  });
}

/** Signs in at the partner (public client, PKCE) through a browser agent; returns its tokens and the discovered configuration. */
async function signInAt(app: TestApp, clientId: string, agent: Agent) {
  const config = await oidc.discovery(new URL(app.config.issuer), clientId, {}, oidc.None(), { execute: [oidc.allowInsecureRequests] });
  const verifier = oidc.randomPKCECodeVerifier();
  const url = oidc.buildAuthorizationUrl(config, {
    redirect_uri: `${APP}/cb`,
    scope: 'openid email',
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
  });
  const end = await authorizeThrough(agent, url.href, { email: EMAIL, password: PASSWORD });
  return { config, tokens: await oidc.authorizationCodeGrant(config, end, { pkceCodeVerifier: verifier }) };
}

/** RP-initiated logout as a browser does it: the confirmation page, then "Yes, sign me out". Returns where it ends, or the page. */
async function rpLogout(agent: Agent, url: URL): Promise<{ location: string | null; page: string; status: number }> {
  const res = await agent.get(url.href, { accept: 'text/html' });
  const page = await res.text();
  const form = /<form id="op.logoutForm" method="post" action="([^"]+)">([\s\S]*?)<\/form>/.exec(page);
  if (res.status !== 200 || !form) return { location: res.headers.get('location'), page, status: res.status };
  const body = new URLSearchParams({ logout: 'yes' });
  for (const m of form[2]!.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)"\/>/g)) body.set(m[1]!, m[2]!);
  const posted = await fetch(new URL(form[1]!, agent.origin), {
    method: 'POST',
    redirect: 'manual',
    headers: { cookie: agent.cookieHeader(), 'content-type': 'application/x-www-form-urlencoded', origin: agent.origin },
    body,
  });
  agent.store(posted);
  return { location: posted.headers.get('location'), page: '', status: posted.status };
}

for (const db of ['sqlite', 'postgres'] as const) {
  describe(`post-logout redirect URIs and client update (${db})`, () => {
    let app: TestApp;
    let second: TestApp;
    let admin: Agent;
    let person: Agent;
    let clientId: string;

    before(async () => {
      app = await startTestApp({ db });
      await createAccount(app.store, { email: EMAIL, password: PASSWORD, name: 'Kim' }, Date.now());
      await createAccount(app.store, { email: 'root@example.com', password: PASSWORD, role: 'admin' }, Date.now());
      admin = await signedInAgent(app.url, 'root@example.com', PASSWORD);
      person = await signedInAgent(app.url, EMAIL, PASSWORD);
      // A second portal instance on the same database (last: at boot it registers the portal's own
      // client for its own address, so the portal sign-ins above happen first).
      second = await startTestApp({ databaseUrl: app.config.databaseUrl });
    });
    after(async () => {
      await second.close();
      await app.close();
    });

    it('the CLI registers post-logout redirect URIs (repeatable), refuses plain http outside loopback, and lists them', async () => {
      const bad = await cli(app, [
        'create',
        '--name',
        'Bad',
        '--public',
        '--redirect-uri',
        `${APP}/cb`,
        '--post-logout-redirect-uri',
        'http://app.example/bye',
      ]);
      assert.equal(bad.status, 1);
      assert.match(bad.err, /post-logout redirect URI "http:\/\/app\.example\/bye" must use https/);
      const made = await cli(app, [
        'create',
        '--name',
        'Spa',
        '--public',
        '--redirect-uri',
        `${APP}/cb`,
        '--post-logout-redirect-uri',
        `${APP}/bye`,
        '--post-logout-redirect-uri',
        'http://127.0.0.1:9/bye',
      ]);
      assert.equal(made.status, 0, made.err);
      assert.deepEqual(made.out.post_logout_redirect_uris, [`${APP}/bye`, 'http://127.0.0.1:9/bye']);
      clientId = made.out.client_id;
      const listed = (await cli(app, ['list'])).out as Array<{ clientId: string; postLogoutRedirectUris: string[] }>;
      assert.deepEqual(listed.find((c) => c.clientId === clientId)?.postLogoutRedirectUris, [`${APP}/bye`, 'http://127.0.0.1:9/bye']);
    });

    it('RP-initiated logout returns to a registered URI only (exact match); another gets a clear page and signs nobody out', async () => {
      const agent = new Agent(app.url);
      const { config, tokens } = await signInAt(app, clientId, agent);
      for (const wrong of [`${APP}/bye/`, `${APP}/bye?x=1`, `${APP}/`, 'https://evil.example/bye']) {
        const r = await rpLogout(agent, oidc.buildEndSessionUrl(config, { id_token_hint: tokens.id_token!, post_logout_redirect_uri: wrong }));
        assert.equal(r.status, 400, wrong);
        assert.match(r.page, /<h1>You were not signed out<\/h1>/);
        assert.match(r.page, /has not registered with the portal for sign-out/);
      }
      assert.equal((await agent.api('GET', '/bff/session')).status, 200);
      const state = 'st-1';
      const ok = await rpLogout(agent, oidc.buildEndSessionUrl(config, { id_token_hint: tokens.id_token!, post_logout_redirect_uri: `${APP}/bye`, state }));
      assert.equal(ok.location, `${APP}/bye?state=${state}`);
    });

    it('portal client update changes the settings, audits them, and a running instance applies them at once', async () => {
      const r = await cli(app, [
        'update',
        '--client-id',
        clientId,
        '--name',
        'Spa 2',
        '--access-token-ttl',
        '86400',
        '--default-scope',
        'openid email',
        '--legacy-refresh',
        '--post-logout-redirect-uri',
        `${APP}/signed-out`,
      ]);
      assert.equal(r.status, 0, r.err);
      assert.deepEqual(r.out.changed, ['name', 'postLogoutRedirectUris', 'defaultScope', 'accessTokenTtl', 'legacyRefresh']);
      assert.equal(r.out.name, 'Spa 2');
      assert.deepEqual(r.out.postLogoutRedirectUris, [`${APP}/signed-out`]);
      const entries = await app.store.audit.iterate(1, 1000);
      const audited = entries.filter((e) => e.kind === 'client_updated');
      assert.equal(audited.length, 1);
      assert.deepEqual(audited[0]!.data, {
        clientId,
        changed: r.out.changed,
        name: 'Spa 2',
        postLogoutRedirectUris: [`${APP}/signed-out`],
        defaultScope: 'openid email',
        accessTokenTtl: 86400,
        legacyRefresh: true,
        via: 'cli',
      });

      // Both instances, neither restarted: the new lifetime and the new post-logout URI.
      for (const instance of [app, second]) {
        const agent = new Agent(instance.url);
        const { config, tokens } = await signInAt(instance, clientId, agent);
        assert.equal(tokens.expires_in, 86400);
        const old = await rpLogout(agent, oidc.buildEndSessionUrl(config, { id_token_hint: tokens.id_token!, post_logout_redirect_uri: `${APP}/bye` }));
        assert.equal(old.status, 400);
        const ok = await rpLogout(agent, oidc.buildEndSessionUrl(config, { id_token_hint: tokens.id_token!, post_logout_redirect_uri: `${APP}/signed-out` }));
        assert.equal(ok.location, `${APP}/signed-out`);
      }

      const back = await cli(app, ['update', '--client-id', clientId, '--access-token-ttl', 'default', '--no-legacy-refresh', '--default-scope', '']);
      assert.deepEqual(back.out.changed, ['defaultScope', 'accessTokenTtl', 'legacyRefresh']);
      assert.deepEqual([back.out.defaultScope, back.out.accessTokenTtl, back.out.legacyRefresh], [null, null, false]);
      const same = await cli(app, ['update', '--client-id', clientId, '--name', 'Spa 2']);
      assert.deepEqual(same.out.changed, []);
      assert.equal((await app.store.audit.iterate(1, 1000)).filter((e) => e.kind === 'client_updated').length, 2);
    });

    it('portal client update refuses bad values and unknown apps with a clear message, changing nothing', async () => {
      const before = await app.store.clients.find(clientId);
      for (const [args, message] of [
        [['--redirect-uri', 'http://app.example/cb'], /must use https/],
        [['--access-token-ttl', 'soon'], /whole seconds/],
        [[], /nothing to change/],
      ] as Array<[string[], RegExp]>) {
        const r = await cli(app, ['update', '--client-id', clientId, ...args]);
        assert.equal(r.status, 1, args.join(' '));
        assert.match(r.err, message);
      }
      assert.match((await cli(app, ['update', '--client-id', 'app_nope', '--name', 'X'])).err, /No partner app with client id app_nope/);
      assert.deepEqual(await app.store.clients.find(clientId), before);
    });

    it('the admin API changes an app (audited with the admin), refuses bad values, other origins and non-admins', async () => {
      const res = await admin.api('PATCH', `/bff/admin/clients/${clientId}`, { postLogoutRedirectUris: [`${APP}/a`, `${APP}/b`], accessTokenTtl: 3600 });
      assert.equal(res.status, 200);
      const body = (await res.json()) as { client: { postLogoutRedirectUris: string[]; accessTokenTtl: number }; changed: string[] };
      assert.deepEqual(body.changed, ['postLogoutRedirectUris', 'accessTokenTtl']);
      assert.deepEqual(body.client.postLogoutRedirectUris, [`${APP}/a`, `${APP}/b`]);
      const listed = (await (await admin.api('GET', '/bff/admin/clients')).json()) as {
        clients: Array<{ clientId: string; postLogoutRedirectUris: string[]; accessTokenTtl: number }>;
      };
      const row = listed.clients.find((c) => c.clientId === clientId)!;
      assert.deepEqual([row.postLogoutRedirectUris, row.accessTokenTtl], [[`${APP}/a`, `${APP}/b`], 3600]);
      const [last] = (await app.store.audit.iterate(1, 1000)).filter((e) => e.kind === 'client_updated').reverse();
      const adminUser = await app.store.users.findByEmail('root@example.com');
      assert.equal(last!.actorId, adminUser!.id);
      assert.deepEqual(last!.data, {
        clientId,
        changed: ['postLogoutRedirectUris', 'accessTokenTtl'],
        postLogoutRedirectUris: [`${APP}/a`, `${APP}/b`],
        accessTokenTtl: 3600,
      });

      const bad = await admin.api('PATCH', `/bff/admin/clients/${clientId}`, { postLogoutRedirectUris: ['javascript:alert(1)'] });
      assert.equal(bad.status, 400);
      assert.deepEqual(Object.keys(((await bad.json()) as { fields: Record<string, string> }).fields), ['postLogoutRedirectUris']);
      for (const [patch, field] of [
        [{ accessTokenTtl: 90000 }, 'accessTokenTtl'],
        [{ defaultScope: ['admin'] }, 'defaultScope'],
        [{ name: ' ' }, 'name'],
        [{ redirectUris: [] }, 'redirectUris'],
      ] as const) {
        const r = await admin.api('PATCH', `/bff/admin/clients/${clientId}`, patch);
        assert.equal(r.status, 400);
        assert.deepEqual(Object.keys(((await r.json()) as { fields: Record<string, string> }).fields), [field]);
      }
      assert.equal((await admin.api('PATCH', `/bff/admin/clients/${clientId}`, { secret: 'x' })).status, 400);
      assert.equal((await admin.api('PATCH', '/bff/admin/clients/portal-bff', { name: 'X' })).status, 404);
      assert.equal((await admin.api('PATCH', '/bff/admin/clients/app_nope', { name: 'X' })).status, 404);
      const crossSite = await admin.api(
        'PATCH',
        `/bff/admin/clients/${clientId}`,
        { name: 'Evil' },
        { origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' },
      );
      assert.equal(crossSite.status, 403);
      assert.equal((await person.api('PATCH', `/bff/admin/clients/${clientId}`, { name: 'Mine' })).status, 403);
      assert.equal((await app.store.clients.find(clientId))?.name, 'Spa 2');
    });

    it('a machine client: its name and lifetime change, its resource scopes stay, sign-in settings are refused', async () => {
      await createResource(app.store, { identifier: 'https://api.example/', name: 'API', scopes: ['read'] }, Date.now());
      const { client } = await registerMachineClient(app.store, { name: 'Robot', scopes: ['read'] }, Date.now());
      const res = await admin.api('PATCH', `/bff/admin/clients/${client.clientId}`, { name: 'Robot 2', accessTokenTtl: 120 });
      assert.equal(res.status, 200);
      const stored = await app.store.clients.find(client.clientId);
      assert.deepEqual([stored?.name, stored?.accessTokenTtl, stored?.scopes, stored?.redirectUris, stored?.machine], ['Robot 2', 120, ['read'], [], true]);
      const refused = await admin.api('PATCH', `/bff/admin/clients/${client.clientId}`, { redirectUris: [`${APP}/cb`] });
      assert.equal(refused.status, 400);
      assert.deepEqual((await app.store.clients.find(client.clientId))?.redirectUris, []);
    });
  });
}
