/**
 * Partner apps end to end: openid-client 6 as a real relying party
 * (confidential and public), and the negative cases sent with raw fetch so no
 * client-library check hides a server bug.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as oidc from 'openid-client';
import { startTestApp, type TestApp } from '../testing/test-app.ts';
import { Agent, authorizeThrough } from '../testing/agent.ts';
import { createAccount } from '../accounts/accounts.ts';
import { registerClient } from './clients.ts';

const PASSWORD = 'correct horse battery staple';
const REDIRECT = 'https://partner.example/cb';

interface Partner {
  clientId: string;
  secret: string | null;
  config: oidc.Configuration;
}

async function partner(app: TestApp, isPublic: boolean, scopes = ['openid', 'profile', 'email', 'offline_access']): Promise<Partner> {
  const { client, secret } = await registerClient(
    app.store,
    { name: isPublic ? 'Public App' : 'Trading Parrot', redirectUris: [REDIRECT], isPublic, scopes },
    Date.now(),
  );
  const config = await oidc.discovery(
    new URL(app.config.issuer),
    client.clientId,
    secret ? { client_secret: secret } : {},
    secret ? oidc.ClientSecretBasic(secret) : oidc.None(),
    { execute: [oidc.allowInsecureRequests] },
  );
  return { clientId: client.clientId, secret, config };
}

async function getCode(app: TestApp, p: Partner, opts: { scope?: string; pkce?: boolean; email?: string; consent?: string[] | 'deny'; agent?: Agent } = {}) {
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const params: Record<string, string> = { redirect_uri: REDIRECT, scope: opts.scope ?? 'openid profile email offline_access', state };
  if (opts.pkce !== false) {
    params.code_challenge = await oidc.calculatePKCECodeChallenge(verifier);
    params.code_challenge_method = 'S256';
  }
  const url = oidc.buildAuthorizationUrl(p.config, params);
  const agent = opts.agent ?? new Agent(app.url);
  const end = await authorizeThrough(agent, url.href, { email: opts.email ?? 'pat@example.com', password: PASSWORD, consent: opts.consent });
  return { end, verifier, state, agent };
}

async function rawToken(app: TestApp, body: Record<string, string>, basic?: [string, string]): Promise<Response> {
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
  if (basic) headers.authorization = `Basic ${Buffer.from(`${encodeURIComponent(basic[0])}:${encodeURIComponent(basic[1])}`).toString('base64')}`;
  return fetch(`${app.config.issuer}/token`, { method: 'POST', headers, body: new URLSearchParams(body) });
}

for (const db of ['sqlite', 'postgres'] as const) {
  describe(`partner apps (${db})`, () => {
    let app: TestApp;
    let conf: Partner;
    let pub: Partner;
    before(async () => {
      app = await startTestApp({ db, env: { REFRESH_REUSE_WINDOW: '0' } });
      await createAccount(app.store, { email: 'pat@example.com', password: PASSWORD, name: 'Pat Doe', emailVerified: true }, Date.now());
      conf = await partner(app, false);
      pub = await partner(app, true);
    });
    after(() => app.close());

    it('a confidential partner completes sign-in, consent, exchange, userinfo and refresh', async () => {
      const { end, verifier, state } = await getCode(app, conf);
      assert.equal(end.origin + end.pathname, REDIRECT);
      assert.equal(end.searchParams.get('iss'), app.config.issuer, 'RFC 9207 iss on the response');
      const tokens = await oidc.authorizationCodeGrant(conf.config, end, { pkceCodeVerifier: verifier, expectedState: state });
      assert.equal(tokens.token_type.toLowerCase(), 'bearer');
      assert.ok(tokens.refresh_token);
      assert.ok(tokens.id_token);
      assert.equal(tokens.access_token.split('.').length, 3, 'the access token is a JWT');
      assert.equal(tokens.claims()!.email, 'pat@example.com');
      const info = await oidc.fetchUserInfo(conf.config, tokens.access_token, tokens.claims()!.sub);
      assert.equal(info.name, 'Pat Doe');
      const refreshed = await oidc.refreshTokenGrant(conf.config, tokens.refresh_token!);
      assert.notEqual(refreshed.refresh_token, tokens.refresh_token, 'refresh tokens rotate');
      const intro = await oidc.tokenIntrospection(conf.config, refreshed.access_token);
      assert.equal(intro.active, true);
    });

    it('a public partner must use PKCE S256; plain and missing are refused', async () => {
      const { end, verifier, state } = await getCode(app, pub);
      const tokens = await oidc.authorizationCodeGrant(pub.config, end, { pkceCodeVerifier: verifier, expectedState: state });
      assert.ok(tokens.access_token);
      const base = `${app.config.issuer}/authorize?client_id=${pub.clientId}&redirect_uri=${encodeURIComponent(REDIRECT)}&response_type=code&scope=openid&state=s1`;
      for (const extra of ['', '&code_challenge=abcdefghijabcdefghijabcdefghijabcdefghijabc&code_challenge_method=plain']) {
        const res = await fetch(base + extra, { redirect: 'manual' });
        assert.equal(res.status, 303);
        const loc = new URL(res.headers.get('location')!);
        assert.equal(loc.searchParams.get('error'), 'invalid_request');
        assert.equal(loc.searchParams.get('state'), 's1');
        assert.equal(loc.searchParams.get('iss'), app.config.issuer);
      }
    });

    it('the token response is no-store and shaped as the seed says', async () => {
      const { end, verifier } = await getCode(app, conf);
      const res = await rawToken(app, {
        grant_type: 'authorization_code',
        code: end.searchParams.get('code')!,
        redirect_uri: REDIRECT,
        code_verifier: verifier,
        client_id: conf.clientId,
        client_secret: conf.secret!,
      });
      assert.equal(res.status, 200);
      assert.match(res.headers.get('cache-control')!, /no-store/);
      const body = await res.json();
      for (const k of ['access_token', 'token_type', 'expires_in', 'scope', 'refresh_token', 'id_token']) assert.ok(k in body, `response has ${k}`);
    });

    it('refuses unknown clients and every redirect URI variant with an error page, never a redirect', async () => {
      const variants = [
        'https://partner.example/cb/',
        'https://PARTNER.example/cb',
        'https://partner.example/CB',
        'https://partner.example/cb?x=1',
        'https://partner.example.evil.com/cb',
        'https://partner.example@evil.com/cb',
        'http://partner.example/cb',
        'https://partner.example/cb#f',
        'https://evil.com/cb',
        'https://partner.example/cb/..;/x',
      ];
      for (const v of variants) {
        const res = await fetch(
          `${app.config.issuer}/authorize?client_id=${conf.clientId}&redirect_uri=${encodeURIComponent(v)}&response_type=code&scope=openid&state=x`,
          { redirect: 'manual' },
        );
        assert.equal(res.status, 400, v);
        assert.equal(res.headers.get('location'), null, v);
        const html = await res.text();
        assert.match(html, /redirect/i);
      }
      const unknown = await fetch(
        `${app.config.issuer}/authorize?client_id=nope&redirect_uri=${encodeURIComponent(REDIRECT)}&response_type=code&scope=openid`,
        { redirect: 'manual' },
      );
      assert.equal(unknown.status, 400);
      assert.equal(unknown.headers.get('location'), null);
      const reflected = await fetch(`${app.config.issuer}/authorize?client_id=%3Cscript%3Ealert(1)%3C/script%3E&response_type=code`, { redirect: 'manual' });
      assert.doesNotMatch(await reflected.text(), /<script>alert/);
    });

    it('a code is single use: reuse fails and revokes what it issued', async () => {
      const { end, verifier } = await getCode(app, conf);
      const code = end.searchParams.get('code')!;
      const body = { grant_type: 'authorization_code', code, redirect_uri: REDIRECT, code_verifier: verifier };
      const first = await rawToken(app, body, [conf.clientId, conf.secret!]);
      assert.equal(first.status, 200);
      const { access_token } = await first.json();
      const second = await rawToken(app, body, [conf.clientId, conf.secret!]);
      assert.equal(second.status, 400);
      assert.equal((await second.json()).error, 'invalid_grant');
      const ui = await fetch(`${app.config.issuer}/userinfo`, { headers: { authorization: `Bearer ${access_token}` } });
      assert.equal(ui.status, 401, 'tokens from a reused code are revoked');
    });

    it('20 concurrent redemptions of one code: exactly one succeeds, no 5xx', async () => {
      const { end, verifier } = await getCode(app, conf);
      const body = { grant_type: 'authorization_code', code: end.searchParams.get('code')!, redirect_uri: REDIRECT, code_verifier: verifier };
      const results = await Promise.all(Array.from({ length: 20 }, () => rawToken(app, body, [conf.clientId, conf.secret!])));
      const statuses = results.map((r) => r.status);
      assert.equal(statuses.filter((s) => s === 200).length, 1, `statuses: ${statuses}`);
      assert.equal(statuses.filter((s) => s >= 500).length, 0);
      for (const r of results.filter((x) => x.status !== 200)) assert.equal((await r.json()).error, 'invalid_grant');
    });

    it('refuses wrong client, wrong or missing verifier, wrong redirect URI, wrong secret', async () => {
      const other = await partner(app, false);
      const { end, verifier } = await getCode(app, conf);
      const code = end.searchParams.get('code')!;
      const base = { grant_type: 'authorization_code', code, redirect_uri: REDIRECT };
      const cases: Array<[Record<string, string>, [string, string], number, string]> = [
        [{ ...base, code_verifier: verifier }, [other.clientId, other.secret!], 400, 'invalid_grant'],
        [{ ...base, code_verifier: 'x'.repeat(43) }, [conf.clientId, conf.secret!], 400, 'invalid_grant'],
        [{ ...base }, [conf.clientId, conf.secret!], 400, 'invalid_grant'],
        [{ ...base, code_verifier: 'short' }, [conf.clientId, conf.secret!], 400, 'invalid_request'],
        [{ ...base, code_verifier: verifier, redirect_uri: 'https://partner.example/other' }, [conf.clientId, conf.secret!], 400, 'invalid_grant'],
        [{ ...base, code_verifier: verifier }, [conf.clientId, 'wrong-secret'], 401, 'invalid_client'],
      ];
      for (const [body, auth, status, error] of cases) {
        const res = await rawToken(app, body, auth);
        assert.equal(res.status, status, JSON.stringify(body));
        assert.equal((await res.json()).error, error);
        if (status === 401) assert.ok(res.headers.get('www-authenticate'));
      }
      const both = await rawToken(app, { ...base, code_verifier: verifier, client_secret: conf.secret! }, [conf.clientId, conf.secret!]);
      assert.equal((await both.json()).error, 'invalid_request', 'Basic and client_secret together');
      const pwd = await rawToken(app, { grant_type: 'password', username: 'a', password: 'b' }, [conf.clientId, conf.secret!]);
      assert.equal((await pwd.json()).error, 'unsupported_grant_type');
    });

    it('guessing a client secret is slowed with 429 and Retry-After, for the guessing address only', async () => {
      const victim = await partner(app, false);
      const statuses: number[] = [];
      for (let i = 0; i < 22; i++) {
        const res = await rawToken(app, { grant_type: 'refresh_token', refresh_token: 'x' }, [victim.clientId, `guess-${i}`]);
        statuses.push(res.status);
        if (res.status === 429) {
          assert.ok(Number(res.headers.get('retry-after')) > 0);
          assert.equal((await res.json()).error, 'invalid_client');
        }
      }
      assert.deepEqual(statuses.slice(0, 20), Array(20).fill(401));
      assert.deepEqual(statuses.slice(20), [429, 429]);
      // The right secret is never refused, even from the guessing address (client-throttle.test.ts covers the rest).
      assert.equal((await rawToken(app, { grant_type: 'refresh_token', refresh_token: 'x' }, [victim.clientId, victim.secret!])).status, 400);
      assert.equal((await rawToken(app, { grant_type: 'refresh_token', refresh_token: 'x' }, [conf.clientId, conf.secret!])).status, 400);
    });

    it('an expired code fails with invalid_grant', async () => {
      const short = await startTestApp({ db, env: { CODE_TTL: '1' } });
      try {
        await createAccount(short.store, { email: 'pat@example.com', password: PASSWORD }, Date.now());
        const p = await partner(short, false);
        const { end, verifier } = await getCode(short, p);
        await new Promise((r) => setTimeout(r, 2100));
        const res = await rawToken(
          short,
          { grant_type: 'authorization_code', code: end.searchParams.get('code')!, redirect_uri: REDIRECT, code_verifier: verifier },
          [p.clientId, p.secret!],
        );
        assert.equal(res.status, 400);
        assert.equal((await res.json()).error, 'invalid_grant');
      } finally {
        await short.close();
      }
    });

    it('reuse of a rotated refresh token revokes the grant', async () => {
      const { end, verifier, state } = await getCode(app, conf);
      const t = await oidc.authorizationCodeGrant(conf.config, end, { pkceCodeVerifier: verifier, expectedState: state });
      const r1 = await oidc.refreshTokenGrant(conf.config, t.refresh_token!);
      const replay = await rawToken(app, { grant_type: 'refresh_token', refresh_token: t.refresh_token! }, [conf.clientId, conf.secret!]);
      assert.equal(replay.status, 400);
      assert.equal((await replay.json()).error, 'invalid_grant');
      const newest = await rawToken(app, { grant_type: 'refresh_token', refresh_token: r1.refresh_token! }, [conf.clientId, conf.secret!]);
      assert.equal((await newest.json()).error, 'invalid_grant', 'the whole grant is gone');
      assert.equal((await oidc.tokenIntrospection(conf.config, r1.access_token)).active, false);
    });

    it('within the reuse window, two refreshes racing with one token do not revoke the grant', async () => {
      const win = await startTestApp({ db, env: { REFRESH_REUSE_WINDOW: '5' } });
      try {
        await createAccount(win.store, { email: 'pat@example.com', password: PASSWORD }, Date.now());
        const p = await partner(win, false);
        const { end, verifier, state } = await getCode(win, p);
        const t = await oidc.authorizationCodeGrant(p.config, end, { pkceCodeVerifier: verifier, expectedState: state });
        const race = await Promise.all(
          [0, 1].map(() => rawToken(win, { grant_type: 'refresh_token', refresh_token: t.refresh_token! }, [p.clientId, p.secret!])),
        );
        const statuses = race.map((r) => r.status).sort();
        assert.deepEqual(statuses, [200, 400], 'one wins, the other is refused');
        const winner = await race.find((r) => r.status === 200)!.json();
        const loser = await race.find((r) => r.status === 400)!.json();
        assert.equal(loser.error, 'invalid_grant');
        // The grant survived: the winner's new refresh token still works.
        const next = await rawToken(win, { grant_type: 'refresh_token', refresh_token: winner.refresh_token }, [p.clientId, p.secret!]);
        assert.equal(next.status, 200);
      } finally {
        await win.close();
      }
    });

    it('remembers consent, asks only for new scopes, and honours an unticked scope', async () => {
      const email = `c-${Date.now()}@example.com`;
      await createAccount(app.store, { email, password: PASSWORD, emailVerified: true }, Date.now());
      const p = await partner(app, false);
      const agent = new Agent(app.url);
      await getCode(app, p, { email, scope: 'openid profile', agent });
      const authorize = async (scope: string) => {
        const verifier = oidc.randomPKCECodeVerifier();
        const state = oidc.randomState();
        const url = oidc.buildAuthorizationUrl(p.config, {
          redirect_uri: REDIRECT,
          scope,
          state,
          code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
          code_challenge_method: 'S256',
        });
        const { url: landed } = await agent.follow(url.href, (u) => u.pathname.startsWith('/interaction/'));
        return { landed, verifier, state };
      };
      // The same scopes again: no consent screen, straight back to the partner.
      const same = await authorize('openid profile');
      assert.equal(same.landed.origin + same.landed.pathname, REDIRECT);
      // More scopes: the consent screen, with only the new one marked new.
      const more = await authorize('openid profile email');
      assert.match(more.landed.pathname, /^\/interaction\//);
      const uid = more.landed.pathname.split('/')[2]!;
      const info = await (await agent.api('GET', `/bff/interaction/${uid}`)).json();
      assert.equal(info.prompt, 'consent');
      assert.deepEqual(
        info.scopes.filter((s: { previouslyGranted: boolean }) => !s.previouslyGranted).map((s: { name: string }) => s.name),
        ['email'],
      );
      // Untick email: the grant holds only openid and profile.
      const res = await agent.api('POST', `/bff/interaction/${uid}/consent`, { scopes: ['openid'] });
      const { url: back } = await agent.follow((await res.json()).redirectTo, (u) => u.pathname.startsWith('/interaction/'));
      assert.equal(back.origin + back.pathname, REDIRECT);
      const t = await oidc.authorizationCodeGrant(p.config, back, { pkceCodeVerifier: more.verifier, expectedState: more.state });
      assert.deepEqual(t.scope!.split(' ').sort(), ['openid', 'profile']);
      assert.equal(t.claims()!.email, undefined);
      // The decision is remembered: asking again for email does not show the screen.
      const again = await authorize('openid profile email');
      assert.equal(again.landed.origin + again.landed.pathname, REDIRECT);
    });

    it('RP-initiated logout confirms before ending the session and refuses unregistered return addresses', async () => {
      const { end, verifier, state, agent } = await getCode(app, conf);
      const t = await oidc.authorizationCodeGrant(conf.config, end, { pkceCodeVerifier: verifier, expectedState: state });
      // With the user's provider session: a confirmation page (no logout by a cross-site GET alone).
      const good = await agent.get(
        `${app.config.issuer}/logout?id_token_hint=${t.id_token}&post_logout_redirect_uri=${encodeURIComponent('https://partner.example/')}&state=bye`,
      );
      assert.equal(good.status, 200);
      const page = await good.text();
      assert.match(page, /Sign out/);
      assert.match(page, /op\.logoutForm/);
      for (const bad of ['https://evil.example/', 'https://partner.example/?foo=bar']) {
        const res = await fetch(`${app.config.issuer}/logout?id_token_hint=${t.id_token}&post_logout_redirect_uri=${encodeURIComponent(bad)}`, {
          redirect: 'manual',
        });
        assert.equal(res.status, 400, bad);
        assert.equal(res.headers.get('location'), null);
      }
    });

    it('deny returns access_denied to the registered redirect URI with state and iss', async () => {
      const email = `d-${Date.now()}@example.com`;
      await createAccount(app.store, { email, password: PASSWORD }, Date.now());
      const { end, state } = await getCode(app, conf, { email, consent: 'deny' });
      assert.equal(end.origin + end.pathname, REDIRECT);
      assert.equal(end.searchParams.get('error'), 'access_denied');
      assert.equal(end.searchParams.get('state'), state);
      assert.equal(end.searchParams.get('iss'), app.config.issuer);
    });

    it('revoking a connected app stops its tokens at once', async () => {
      const email = `r-${Date.now()}@example.com`;
      await createAccount(app.store, { email, password: PASSWORD }, Date.now());
      const { end, verifier, state } = await getCode(app, conf, { email });
      const t = await oidc.authorizationCodeGrant(conf.config, end, { pkceCodeVerifier: verifier, expectedState: state });
      const user = new Agent(app.url);
      const landed = await authorizeThrough(user, '/bff/login', { email, password: PASSWORD });
      assert.equal(landed.pathname, '/account');
      const account = await (await user.api('GET', '/bff/account')).json();
      assert.deepEqual(
        account.connectedApps.map((a: { clientId: string }) => a.clientId),
        [conf.clientId],
      );
      const del = await user.api('DELETE', `/bff/account/apps/${conf.clientId}`);
      assert.equal(del.status, 200);
      assert.equal((await fetch(`${app.config.issuer}/userinfo`, { headers: { authorization: `Bearer ${t.access_token}` } })).status, 401);
      const rt = await rawToken(app, { grant_type: 'refresh_token', refresh_token: t.refresh_token! }, [conf.clientId, conf.secret!]);
      assert.equal((await rt.json()).error, 'invalid_grant');
      assert.equal((await oidc.tokenIntrospection(conf.config, t.access_token)).active, false);
    });

    it('the consent interaction cannot be framed and refuses cross-site posts', async () => {
      const email = `x-${Date.now()}@example.com`;
      await createAccount(app.store, { email, password: PASSWORD }, Date.now());
      const agent = new Agent(app.url);
      const url = oidc.buildAuthorizationUrl(conf.config, {
        redirect_uri: REDIRECT,
        scope: 'openid',
        state: 's',
        code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()),
        code_challenge_method: 'S256',
      });
      const { url: inter } = await agent.follow(url.href, (u) => u.pathname.startsWith('/interaction/'));
      const uid = inter.pathname.split('/')[2]!;
      const login = await agent.api('POST', `/bff/interaction/${uid}/login`, { email, password: PASSWORD });
      const { url: consent } = await agent.follow((await login.json()).redirectTo, (u) => u.pathname.startsWith('/interaction/'));
      const cuid = consent.pathname.split('/')[2]!;
      const forged = await agent.api(
        'POST',
        `/bff/interaction/${cuid}/consent`,
        { scopes: ['openid'] },
        { 'sec-fetch-site': 'cross-site', origin: 'https://evil.example', 'x-portal-csrf': '' },
      );
      assert.equal(forged.status, 403);
      const page = await agent.get(`/oauth/authorize?client_id=${conf.clientId}`);
      assert.match(page.headers.get('content-security-policy')!, /frame-ancestors 'none'/);
      const stranger = new Agent(app.url);
      const replay = await stranger.api('GET', `/bff/interaction/${cuid}`);
      assert.equal(replay.status, 404, 'an interaction uid from another browser is unknown');
    });
  });
}
