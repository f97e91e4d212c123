/**
 * Federation seen by a WorkOS partner (issue 6, "Done when"): the official
 * @workos-inc/node SDK signs a user in through the portal, who continues with
 * a real upstream OpenID Provider (a second oidc-provider on its own port).
 * The partner receives the upstream's tokens as `oauth_tokens` and
 * `authentication_method: "SSO"` (or `<Name>OAuth` for a social connection),
 * and once the upstream access token really expires, a refresh at the portal
 * hands back a new upstream token that the portal fetched by itself.
 * SQLite and PostgreSQL.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { startTestApp, type TestApp } from '../../testing/test-app.ts';
import { startUpstreamOp, UPSTREAM_USERS, type UpstreamOp, type UpstreamUser } from '../../testing/upstream-op.ts';
import { Agent } from '../../testing/agent.ts';
import { createOrganization } from '../../orgs/orgs.ts';
import { createConnection } from '../../federation/connections.ts';
import type { Connection } from '../../store/federation.ts';
import { browse, submitUpstreamForm, upstreamLoginPage, type Stop } from '../../federation/test-helpers.ts';
import { partner, REDIRECT, sdk, type Partner } from './test-helpers.ts';

const ALICE = UPSTREAM_USERS[0]!;
/** Short enough to wait out for real; the portal refreshes 1 s before expiry (BFF_REFRESH_MARGIN). */
const UPSTREAM_TOKEN_TTL = 5;

/** What the upstream provider did, from its own events (not from the portal's word). */
interface UpstreamLog {
  /** `grant`: the grant type that minted it (oidc-provider's `gty` lists the chain, the last one minted it). */
  accessTokens: Array<{ value: string; grant: string | undefined; accountId: string | undefined; clientId: string | undefined }>;
  interactions: number;
  codes: number;
}

function watch(up: UpstreamOp): UpstreamLog {
  const log: UpstreamLog = { accessTokens: [], interactions: 0, codes: 0 };
  up.provider.on('access_token.saved', (t) => {
    log.accessTokens.push({ value: t.jti, grant: t.gty?.split(' ').at(-1), accountId: t.accountId, clientId: t.clientId });
  });
  up.provider.on('interaction.started', () => void log.interactions++);
  up.provider.on('authorization_code.saved', () => void log.codes++);
  return log;
}

/**
 * Whether `expiresAt` (epoch seconds) is the upstream token lifetime counted from a moment
 * inside [from, to] (ms), the span of the request that fetched the token: a bracket
 * around that request, not a time limit on it.
 */
function lifetimeFrom(expiresAt: number, from: number, to: number): boolean {
  return expiresAt >= Math.floor(from / 1000) + UPSTREAM_TOKEN_TTL && expiresAt <= Math.floor(to / 1000) + UPSTREAM_TOKEN_TTL;
}

/** The upstream's userinfo for this access token: 200 with the subject while it is valid. */
async function upstreamMe(up: UpstreamOp, token: string): Promise<{ status: number; sub?: string }> {
  const res = await fetch(`${up.issuer}/me`, { headers: { authorization: `Bearer ${token}` } });
  const body = res.status === 200 ? ((await res.json()) as { sub: string }) : (await res.body?.cancel(), undefined);
  return { status: res.status, sub: body?.sub };
}

for (const db of ['sqlite', 'postgres'] as const) {
  describe(`WorkOS partner through an upstream provider (${db})`, () => {
    let app: TestApp;
    let up: UpstreamOp;
    let log: UpstreamLog;
    let conf: Partner;
    let sso: Connection;
    let social: Connection;
    let orgId: string;

    const origin = () => new URL(app.url).origin;
    const atInteraction: Stop = (u) => u.origin === origin() && u.pathname.startsWith('/interaction/');
    const atPartner: Stop = (u) => u.origin === new URL(REDIRECT).origin;

    /**
     * The browser journey: the SDK's authorize URL → the portal's sign-in →
     * "Continue with <connection>" → the upstream's login form → back through
     * the portal (and its consent screen for this third-party partner) → the
     * partner's redirect URI with a code.
     */
    async function federatedCode(connection: Connection, user: Pick<UpstreamUser, 'email' | 'password'>): Promise<string> {
      const state = randomBytes(12).toString('base64url');
      const url = sdk(app, conf, false).userManagement.getAuthorizationUrl({ provider: 'authkit', clientId: conf.clientId, redirectUri: REDIRECT, state });
      const agent = new Agent(app.url);
      const { url: signIn } = await browse(agent, url, (u) => atInteraction(u) || atPartner(u));
      assert.ok(atInteraction(signIn), `expected the portal sign-in, got ${signIn.href}`);
      const uid = signIn.pathname.split('/')[2]!;
      const info = (await (await agent.api('GET', `/bff/interaction/${uid}`)).json()) as { prompt: string; connections: unknown[] };
      assert.equal(info.prompt, 'login');
      assert.ok(
        info.connections.some(
          (c) => JSON.stringify(c) === JSON.stringify({ id: connection.id, name: connection.name, kind: connection.orgId ? 'sso' : 'social' }),
        ),
        `the sign-in screen offers "Continue with ${connection.name}"`,
      );

      const { url: login } = await browse(agent, `/bff/federation/${connection.id}/start?uid=${uid}`, upstreamLoginPage(up.issuer));
      assert.equal(login.origin, up.issuer, `expected the upstream login page, got ${login.href}`);
      const afterForm = await submitUpstreamForm(agent, login, { email: user.email, password: user.password });
      let { url: end } = await browse(agent, afterForm, (u) => atInteraction(u) || atPartner(u));
      for (let step = 0; step < 3 && atInteraction(end); step++) {
        const consentUid = end.pathname.split('/')[2]!;
        const consent = (await (await agent.api('GET', `/bff/interaction/${consentUid}`)).json()) as { prompt: string; scopes: Array<{ name: string }> };
        assert.equal(consent.prompt, 'consent', `signed in upstream, the portal only asks for consent (got ${consent.prompt})`);
        const res = await agent.api('POST', `/bff/interaction/${consentUid}/consent`, { scopes: consent.scopes.map((s) => s.name) });
        assert.equal(res.status, 200);
        ({ url: end } = await browse(agent, ((await res.json()) as { redirectTo: string }).redirectTo, (u) => atInteraction(u) || atPartner(u)));
      }
      assert.equal(end.origin + end.pathname, REDIRECT, `expected the partner's redirect URI, got ${end.href}`);
      assert.equal(end.searchParams.get('state'), state);
      const code = end.searchParams.get('code');
      assert.ok(code, `no code in ${end.href}`);
      return code;
    }

    before(async () => {
      app = await startTestApp({ db, env: { BFF_REFRESH_MARGIN: '1', FEDERATION_ALLOW_PRIVATE: '1' } });
      up = await startUpstreamOp({ redirectUris: [`${app.url}/bff/federation/callback`], accessTokenTtl: UPSTREAM_TOKEN_TTL });
      log = watch(up);
      const org = await createOrganization(app.store, `Acme ${db}`, Date.now());
      orgId = org.id;
      const fed = { store: app.store, cookieSecrets: app.config.cookieSecrets, now: Date.now(), allowPrivate: app.config.federationAllowPrivate };
      const upstream = { issuer: up.issuer, clientId: up.clientId, clientSecret: up.clientSecret, scopes: ['openid', 'email', 'profile'] };
      sso = await createConnection(fed, { ...upstream, name: 'Acme SSO', org: org.id });
      social = await createConnection(fed, { ...upstream, name: 'Upstream' });
      conf = await partner(app, false);
    });
    after(async () => {
      await up?.close();
      await app?.close();
    });

    it('an organization connection: oauth_tokens from the upstream, SSO, refreshed upstream without the user', async () => {
      const redeemedBefore = log.accessTokens.length;
      const signInStarted = Date.now();
      const code = await federatedCode(sso, ALICE);
      const signInDone = Date.now();
      const atSignIn = log.accessTokens.length;
      assert.equal(atSignIn, redeemedBefore + 1, 'the portal redeemed one upstream code');
      const issued = log.accessTokens[atSignIn - 1]!;
      assert.deepEqual(
        { grant: issued.grant, accountId: issued.accountId, clientId: issued.clientId },
        { grant: 'authorization_code', accountId: ALICE.sub, clientId: up.clientId },
      );

      const workos = sdk(app, conf);
      const auth = await workos.userManagement.authenticateWithCode({ code, clientId: conf.clientId });
      assert.equal(auth.authenticationMethod, 'SSO');
      assert.equal(auth.user.email, ALICE.email);
      assert.equal(auth.user.name, ALICE.name);
      assert.equal(auth.user.emailVerified, true);
      assert.equal(auth.organizationId, orgId, 'the connection’s organization');
      const first = auth.oauthTokens;
      assert.ok(first, 'oauth_tokens is present');
      assert.equal(first.accessToken, issued.value, 'exactly the access token the upstream issued at sign-in');
      assert.ok(first.refreshToken, 'and its refresh token');
      assert.deepEqual([...first.scopes].sort(), ['email', 'openid', 'profile']);
      assert.ok(
        lifetimeFrom(first.expiresAt, signInStarted, signInDone),
        `expires_at ${first.expiresAt}: the upstream's lifetime from when the portal got the token`,
      );
      assert.deepEqual(await upstreamMe(up, first.accessToken), { status: 200, sub: ALICE.sub }, 'the upstream accepts it');
      const identity = (await app.store.federation.findIdentity(sso.id, ALICE.sub))!;
      assert.equal(identity.userId, auth.user.id);

      // Nobody touches the browser from here: the token dies at the upstream, for real.
      const deadline = Date.now() + (UPSTREAM_TOKEN_TTL + 5) * 1000;
      while ((await upstreamMe(up, first.accessToken)).status === 200 || Date.now() < first.expiresAt * 1000) {
        assert.ok(Date.now() < deadline, 'the upstream access token never expired');
        await new Promise((r) => setTimeout(r, 250));
      }
      assert.equal((await upstreamMe(up, first.accessToken)).status, 401, 'the stored upstream token is now expired upstream');
      const before = { tokens: log.accessTokens.length, interactions: log.interactions, codes: log.codes };

      const refreshStarted = Date.now();
      const refreshed = await workos.userManagement.authenticateWithRefreshToken({ refreshToken: auth.refreshToken, clientId: conf.clientId });
      const refreshDone = Date.now();
      assert.equal(refreshed.authenticationMethod, 'SSO', 'still the SSO sign-in');
      assert.equal(refreshed.user.id, auth.user.id);
      assert.notEqual(refreshed.refreshToken, auth.refreshToken, 'the portal’s own refresh token rotated');
      const next = refreshed.oauthTokens;
      assert.ok(next, 'oauth_tokens is present after the refresh');
      assert.notEqual(next.accessToken, first.accessToken, 'a NEW upstream access token');
      assert.equal(log.accessTokens.length, before.tokens + 1, 'the portal refreshed once at the upstream');
      const minted = log.accessTokens.at(-1)!;
      assert.deepEqual(
        minted,
        { value: next.accessToken, grant: 'refresh_token', accountId: ALICE.sub, clientId: up.clientId },
        'issued by the upstream through a refresh_token grant',
      );
      assert.deepEqual(
        { interactions: log.interactions, codes: log.codes },
        { interactions: before.interactions, codes: before.codes },
        'no new upstream sign-in: the user did nothing',
      );
      assert.notEqual(next.refreshToken, first.refreshToken, 'the upstream rotated its refresh token');
      assert.ok(lifetimeFrom(next.expiresAt, refreshStarted, refreshDone), `expires_at ${next.expiresAt}: a whole new lifetime from this refresh`);
      assert.deepEqual(await upstreamMe(up, next.accessToken), { status: 200, sub: ALICE.sub }, 'and the upstream accepts it');
      assert.equal((await app.store.federation.findIdentity(sso.id, ALICE.sub))!.version, identity.version + 1, 'the store kept the new tokens');

      // Still fresh: the next refresh hands the same upstream token back without calling the upstream.
      const again = await workos.userManagement.authenticateWithRefreshToken({ refreshToken: refreshed.refreshToken, clientId: conf.clientId });
      assert.equal(again.oauthTokens?.accessToken, next.accessToken);
      assert.equal(log.accessTokens.length, before.tokens + 1);
    });

    it('a social connection at an issuer WorkOS has no name for: SSO, with that identity’s upstream tokens', async () => {
      const sam: UpstreamUser = { sub: `up-sam-${db}`, email: `sam-${db}@social.test`, password: 'sam-upstream-pw', name: 'Sam Social', emailVerified: true };
      up.users.push(sam);
      const code = await federatedCode(social, sam);
      const issued = log.accessTokens.at(-1)!;
      assert.deepEqual({ grant: issued.grant, accountId: issued.accountId }, { grant: 'authorization_code', accountId: sam.sub });

      const auth = await sdk(app, conf).userManagement.authenticateWithCode({ code, clientId: conf.clientId });
      assert.equal(auth.authenticationMethod, 'SSO', 'inside WorkOS’s enum, never <Name>OAuth');
      assert.equal(auth.user.email, sam.email);
      assert.equal(auth.organizationId, undefined, 'a social sign-in joins no organization');
      assert.equal(auth.oauthTokens?.accessToken, issued.value, 'the upstream token of this sign-in');
      assert.deepEqual(await upstreamMe(up, auth.oauthTokens!.accessToken), { status: 200, sub: sam.sub });
    });
  });
}
