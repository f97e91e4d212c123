/**
 * `getAuthorizationUrl` with `connectionId`, `organizationId` or `provider`
 * (official SDK): the browser goes from the partner straight to that identity
 * provider's login page, never showing the portal's sign-in screen, and the
 * code it brings back authenticates; `provider: 'authkit'` shows the portal's
 * screen; an unknown connection or an unconfigured provider is a clear 400 page.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestApp, type TestApp } from '../../testing/test-app.ts';
import { startUpstreamOp, UPSTREAM_USERS, type UpstreamOp } from '../../testing/upstream-op.ts';
import { Agent } from '../../testing/agent.ts';
import { createOrganization } from '../../orgs/orgs.ts';
import { createConnection } from '../../federation/connections.ts';
import type { Connection } from '../../store/federation.ts';
import { browse, submitUpstreamForm, upstreamLoginPage } from '../../federation/test-helpers.ts';
import { partner, REDIRECT, sdk, type Partner } from './test-helpers.ts';

const ALICE = UPSTREAM_USERS[0]!;

for (const db of ['sqlite', 'postgres'] as const) {
  describe(`WorkOS authorize picks the identity provider (${db})`, () => {
    let app: TestApp;
    let up: UpstreamOp;
    let conf: Partner;
    let sso: Connection;
    let orgId: string;
    const visited: string[] = [];

    /** Follows the SDK's URL; records every portal page on the way; stops at the upstream login page or the partner. */
    async function go(agent: Agent, params: Record<string, string>) {
      const url = sdk(app, conf, false).userManagement.getAuthorizationUrl({ clientId: conf.clientId, redirectUri: REDIRECT, state: 's', ...params } as never);
      visited.length = 0;
      return browse(agent, url, (u) => {
        if (u.origin === new URL(app.url).origin) visited.push(u.pathname);
        return upstreamLoginPage(up.issuer)(u) || u.origin === new URL(REDIRECT).origin || u.pathname.startsWith('/interaction/');
      });
    }

    before(async () => {
      app = await startTestApp({ db, env: { FEDERATION_ALLOW_PRIVATE: '1' } });
      up = await startUpstreamOp({ redirectUris: [`${app.url}/bff/federation/callback`] });
      orgId = (await createOrganization(app.store, `Acme ${db}`, Date.now())).id;
      const fed = { store: app.store, cookieSecrets: app.config.cookieSecrets, now: Date.now(), allowPrivate: app.config.federationAllowPrivate };
      const upstream = { issuer: up.issuer, clientId: up.clientId, clientSecret: up.clientSecret, scopes: ['openid', 'email', 'profile'] };
      sso = await createConnection(fed, { ...upstream, name: 'Acme SSO', org: orgId });
      await createConnection(fed, { ...upstream, name: 'Upstream' });
      conf = await partner(app, false);
    });
    after(async () => {
      await up?.close();
      await app?.close();
    });

    it('connectionId: straight to the upstream login, and the code authenticates', async () => {
      const agent = new Agent(app.url);
      const { url } = await go(agent, { connectionId: sso.id });
      assert.equal(url.origin, up.issuer, `expected the upstream login page, got ${url.href}`);
      assert.ok(!visited.some((p) => p.startsWith('/interaction/')), `the portal sign-in screen was skipped: ${visited.join(' ')}`);
      const afterForm = await submitUpstreamForm(agent, url, { email: ALICE.email, password: ALICE.password });
      let { url: end } = await browse(agent, afterForm, (u) => u.origin === new URL(REDIRECT).origin || u.pathname.startsWith('/interaction/'));
      if (end.pathname.startsWith('/interaction/')) {
        const uid = end.pathname.split('/')[2]!;
        const consent = (await (await agent.api('GET', `/bff/interaction/${uid}`)).json()) as { prompt: string; scopes: Array<{ name: string }> };
        assert.equal(consent.prompt, 'consent');
        const res = await agent.api('POST', `/bff/interaction/${uid}/consent`, { scopes: consent.scopes.map((s) => s.name) });
        ({ url: end } = await browse(agent, ((await res.json()) as { redirectTo: string }).redirectTo, (u) => u.origin === new URL(REDIRECT).origin));
      }
      const code = end.searchParams.get('code');
      assert.ok(code, `no code in ${end.href}`);
      const auth = await sdk(app, conf).userManagement.authenticateWithCode({ code, clientId: conf.clientId });
      assert.equal(auth.user.email, ALICE.email);
      assert.equal(auth.authenticationMethod, 'SSO');
    });

    it('organizationId and a provider named by its connection go straight to the upstream too', async () => {
      assert.equal((await go(new Agent(app.url), { organizationId: orgId })).url.origin, up.issuer);
      assert.equal((await go(new Agent(app.url), { provider: 'Upstream' })).url.origin, up.issuer);
    });

    it('provider authkit shows the portal sign-in screen', async () => {
      const { url } = await go(new Agent(app.url), { provider: 'authkit' });
      assert.match(url.pathname, /^\/interaction\//);
    });

    it('an unknown connection or an unconfigured provider is a 400 page', async () => {
      for (const params of [{ connectionId: 'conn_nope' }, { provider: 'GoogleOAuth' }]) {
        const url = sdk(app, conf, false).userManagement.getAuthorizationUrl({ clientId: conf.clientId, redirectUri: REDIRECT, ...params } as never);
        const res = await fetch(url, { redirect: 'manual' });
        assert.equal(res.status, 400, JSON.stringify(params));
        assert.match(res.headers.get('content-type') ?? '', /text\/html/);
        assert.match(await res.text(), /not configured|No connection/);
      }
    });
  });
}
