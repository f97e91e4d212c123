/**
 * The WorkOS API's bad inputs, its authorize translation, JWKS and logout,
 * against the real app on SQLite and PostgreSQL. Each failure must be the
 * WorkOS JSON error with the status the SDK maps, and leave nothing behind.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { decodeJwt } from 'jose';
import { RateLimitExceededException } from '@workos-inc/node';
import { startTestApp, type TestApp } from '../../testing/test-app.ts';
import { Agent } from '../../testing/agent.ts';
import { createAccount } from '../../accounts/accounts.ts';
import { introspectAccessToken } from '../../oauth/core.ts';
import { createInvitation, createOrganization } from '../../orgs/orgs.ts';
import { partner, PASSWORD, rawAuthenticate, REDIRECT, sdk, signIn, type Partner } from './test-helpers.ts';
import { CLIENT_FAILURES_PER_SOURCE } from '../../oauth/client-throttle.ts';

/** An address as the trusted proxy reports it (TRUST_PROXY=1, X-Forwarded-For). */
const STRANGER = '203.0.113.31';

async function errorOf(res: Response, status: number): Promise<Record<string, unknown>> {
  assert.equal(res.status, status);
  assert.match(res.headers.get('content-type') ?? '', /application\/json/);
  const body = (await res.json()) as Record<string, unknown>;
  for (const k of ['error', 'error_description', 'code', 'message']) assert.equal(typeof body[k], 'string', `${k} in ${JSON.stringify(body)}`);
  return body;
}

for (const db of ['sqlite', 'postgres'] as const) {
  describe(`WorkOS user management, refusals (${db})`, () => {
    let app: TestApp;
    let conf: Partner;
    let pub: Partner;
    before(async () => {
      app = await startTestApp({ db, env: { TRUST_PROXY: '1' } });
      await createAccount(app.store, { email: 'cy@example.com', password: PASSWORD, name: 'Cy' }, Date.now());
      await createAccount(app.store, { email: 'dee@example.com', password: PASSWORD, name: 'Dee' }, Date.now());
      conf = await partner(app, false);
      pub = await partner(app, true);
    });
    after(() => app.close());

    it('malformed JSON, a non-object body, an oversized body: 400/413 JSON errors', async () => {
      const bad = await errorOf(await rawAuthenticate(app, '{"grant_type": "authorization_code",'), 400);
      assert.equal(bad.error, 'invalid_request');
      assert.equal(bad.code, 'invalid_json');
      assert.equal((await errorOf(await rawAuthenticate(app, '[1,2]'), 400)).code, 'invalid_body');
      const big = await errorOf(await rawAuthenticate(app, { grant_type: 'authorization_code', code: 'x'.repeat(70 * 1024) }), 413);
      assert.equal(big.code, 'body_too_large', 'the same code as every other door (http/body-errors.ts)');
      const text = await fetch(`${app.url}/user_management/authenticate`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'hello' });
      assert.equal((await errorOf(text, 400)).code, 'invalid_body');
    });

    it('missing or mistyped fields → 422 with errors; an unknown grant_type → 400 unsupported_grant_type', async () => {
      const missing = await errorOf(await rawAuthenticate(app, { grant_type: 'authorization_code', client_id: conf.clientId }), 422);
      assert.equal(missing.code, 'invalid_request_parameters');
      assert.ok(Array.isArray(missing.errors) && (missing.errors as Array<{ field: string }>).some((e) => e.field === 'code'));
      await errorOf(await rawAuthenticate(app, { grant_type: 'refresh_token', client_id: conf.clientId, refresh_token: 42 }), 422);
      await errorOf(await rawAuthenticate(app, { client_id: conf.clientId, code: 'c' }), 422);
      assert.equal(
        (await errorOf(await rawAuthenticate(app, { grant_type: 'client_credentials', client_id: conf.clientId }), 400)).error,
        'unsupported_grant_type',
      );
      await errorOf(await rawAuthenticate(app, { grant_type: 'password', client_id: conf.clientId }), 422);
    });

    it('unknown client, a public client sending a secret, and disagreeing credentials → 401 invalid_client', async () => {
      const { code } = await signIn(app, conf, 'cy@example.com');
      const unknown = await errorOf(await rawAuthenticate(app, { grant_type: 'authorization_code', client_id: 'app_nope', client_secret: 's', code }), 401);
      assert.equal(unknown.error, 'invalid_client');
      await errorOf(await rawAuthenticate(app, { grant_type: 'authorization_code', client_id: pub.clientId, client_secret: 'guess', code }), 401);
      await errorOf(
        await rawAuthenticate(
          app,
          { grant_type: 'authorization_code', client_id: conf.clientId, client_secret: conf.secret, code },
          { authorization: 'Bearer something-else' },
        ),
        401,
      );
      // The header alone is enough (what the SDK sends with an API key).
      const viaHeader = await rawAuthenticate(
        app,
        { grant_type: 'authorization_code', client_id: conf.clientId, code },
        { authorization: `Bearer ${conf.secret}` },
      );
      assert.equal(viaHeader.status, 200);
    });

    it('another client’s code → 400 invalid_grant', async () => {
      const other = await partner(app, false);
      const { code } = await signIn(app, conf, 'cy@example.com');
      const res = await errorOf(
        await rawAuthenticate(app, { grant_type: 'authorization_code', client_id: other.clientId, client_secret: other.secret, code }),
        400,
      );
      assert.equal(res.error, 'invalid_grant');
    });

    it('guessing a client secret slows the guessing address (429 + Retry-After); the right secret still works', async () => {
      const target = await partner(app, false);
      const { code } = await signIn(app, target, 'cy@example.com');
      const from = { 'x-forwarded-for': STRANGER };
      const guess = (i: number) =>
        rawAuthenticate(app, { grant_type: 'authorization_code', client_id: target.clientId, client_secret: `wrong-${i}`, code }, from);
      for (let i = 0; i < CLIENT_FAILURES_PER_SOURCE; i++) assert.equal((await errorOf(await guess(i), 401)).error, 'invalid_client');
      const limited = await guess(-1);
      const body = await errorOf(limited, 429);
      assert.ok(Number(limited.headers.get('retry-after')) > 0);
      assert.equal(body.error, 'rate_limit_exceeded');
      // The right secret from the guesser's own address (a shared NAT) is not refused.
      const shared = await rawAuthenticate(app, { grant_type: 'authorization_code', client_id: target.clientId, client_secret: target.secret, code }, from);
      assert.equal(shared.status, 200, await shared.clone().text());
      // The SDK sees the 429 as RateLimitExceededException; the partner's own key through the SDK still works.
      const guesser = sdk(app, { clientId: target.clientId, secret: 'a wrong api key' });
      const second = await signIn(app, target, 'cy@example.com');
      for (let i = 0; i < CLIENT_FAILURES_PER_SOURCE; i++)
        await assert.rejects(guesser.userManagement.authenticateWithCode({ code: second.code, clientId: target.clientId }));
      await assert.rejects(
        guesser.userManagement.authenticateWithCode({ code: second.code, clientId: target.clientId }),
        (e: unknown) => e instanceof RateLimitExceededException,
      );
      const auth = await sdk(app, target).userManagement.authenticateWithCode({ code: second.code, clientId: target.clientId });
      assert.ok(auth.accessToken);
    });

    it('refresh with an organization the user is not in → 400, and the refresh token survives', async () => {
      const org = await createOrganization(app.store, `Initech ${db} ${Date.now()}`, Date.now());
      const workos = sdk(app, conf);
      const { code } = await signIn(app, conf, 'cy@example.com');
      const auth = await workos.userManagement.authenticateWithCode({ code, clientId: conf.clientId });
      const res = await errorOf(
        await rawAuthenticate(app, {
          grant_type: 'refresh_token',
          client_id: conf.clientId,
          client_secret: conf.secret,
          refresh_token: auth.refreshToken,
          organization_id: org.id,
        }),
        400,
      );
      assert.equal(res.code, 'organization_membership_not_found');
      await app.store.orgs.addMembership({ userId: auth.user.id, organizationId: org.id, role: 'member' }, Date.now());
      const switched = await workos.userManagement.authenticateWithRefreshToken({
        refreshToken: auth.refreshToken,
        clientId: conf.clientId,
        organizationId: org.id,
      });
      assert.equal(switched.organizationId, org.id);
      assert.equal(decodeJwt(switched.accessToken).role, 'member');
    });

    it('authorize translates onto /oauth/authorize: scopes the client may have, login_hint from an invitation', async () => {
      const narrow = await partner(app, false, ['openid', 'email']);
      const org = await createOrganization(app.store, `Hooli ${db} ${Date.now()}`, Date.now());
      const { token } = await createInvitation(app.store, { organizationId: org.id, email: 'Dee@Example.com' }, Date.now());
      const q = new URLSearchParams({
        client_id: narrow.clientId,
        redirect_uri: REDIRECT,
        response_type: 'code',
        state: 's1',
        provider: 'authkit',
        invitation_token: token,
        screen_hint: 'sign-up',
      });
      const res = await fetch(`${app.url}/user_management/authorize?${q}`, { redirect: 'manual' });
      assert.equal(res.status, 302);
      const loc = new URL(res.headers.get('location')!);
      assert.equal(loc.origin + loc.pathname, `${app.config.issuer}/authorize`);
      assert.equal(loc.searchParams.get('scope'), 'openid email');
      assert.equal(loc.searchParams.get('login_hint'), 'dee@example.com');
      assert.equal(loc.searchParams.get('state'), 's1');
      for (const gone of ['provider', 'invitation_token', 'screen_hint']) assert.equal(loc.searchParams.has(gone), false, gone);
    });

    it('authorize with an unknown client or a foreign redirect_uri ends on the provider’s error page, never the partner', async () => {
      for (const q of [
        { client_id: 'app_unknown', redirect_uri: REDIRECT, response_type: 'code', provider: 'authkit' },
        { client_id: conf.clientId, redirect_uri: 'https://evil.example/callback', response_type: 'code', provider: 'authkit' },
      ]) {
        const { res, url } = await new Agent(app.url).follow(`/user_management/authorize?${new URLSearchParams(q)}`);
        assert.equal(url.origin, app.url, `stayed on the portal, not ${url.href}`);
        assert.equal(res.status, 400);
        assert.match(await res.text(), /We could not continue/);
      }
    });

    it('JWKS: public keys only, 404 JSON for an unknown client', async () => {
      const res = await fetch(`${app.url}/sso/jwks/${conf.clientId}`);
      assert.equal(res.status, 200);
      const { keys } = (await res.json()) as { keys: Array<Record<string, unknown>> };
      // Exactly the keys the issuer publishes (the ones that verify its access tokens), public parts only.
      const issuer = (await (await fetch(`${app.config.issuer}/jwks`)).json()) as { keys: Array<Record<string, unknown>> };
      assert.deepEqual(keys, issuer.keys);
      assert.equal(keys.length, (await app.store.keys.list()).length);
      assert.notEqual(keys.length, 0);
      for (const k of keys) assert.equal(k.d, undefined, 'no private key material');
      assert.equal((await errorOf(await fetch(`${app.url}/sso/jwks/app_unknown`), 404)).code, 'client_not_found');
    });

    it('logout revokes the session named by sid, ends the portal sign-in, and redirects only to a registered origin', async () => {
      const workos = sdk(app, conf);
      const { code, agent } = await signIn(app, conf, 'cy@example.com');
      const auth = await workos.userManagement.authenticateWithCode({ code, clientId: conf.clientId });
      const sid = String(decodeJwt(auth.accessToken).sid);
      assert.ok(await introspectAccessToken(app.deps, auth.accessToken));
      const logoutUrl = workos.userManagement.getLogoutUrl({ sessionId: sid, returnTo: 'https://partner.example/bye?x=1' });
      const out = await agent.get(logoutUrl, { authorization: `Bearer ${conf.secret}` });
      assert.equal(out.status, 302);
      assert.equal(out.headers.get('location'), 'https://partner.example/bye?x=1');
      assert.equal(await introspectAccessToken(app.deps, auth.accessToken), null, 'the access token is dead');
      await errorOf(
        await rawAuthenticate(app, { grant_type: 'refresh_token', client_id: conf.clientId, client_secret: conf.secret, refresh_token: auth.refreshToken }),
        400,
      );
      const again = await agent.follow(
        `/user_management/authorize?${new URLSearchParams({ client_id: conf.clientId, redirect_uri: REDIRECT, response_type: 'code', provider: 'authkit' })}`,
        (u) => u.pathname.startsWith('/interaction/'),
      );
      const uid = again.url.pathname.split('/')[2]!;
      const info = (await (await agent.api('GET', `/bff/interaction/${uid}`)).json()) as { prompt: string };
      assert.equal(info.prompt, 'login', 'the portal sign-in ended too');

      const second = await signIn(app, conf, 'cy@example.com');
      const auth2 = await workos.userManagement.authenticateWithCode({ code: second.code, clientId: conf.clientId });
      const foreign = await fetch(
        workos.userManagement.getLogoutUrl({ sessionId: String(decodeJwt(auth2.accessToken).sid), returnTo: 'https://evil.example/' }),
        {
          redirect: 'manual',
          headers: { authorization: `Bearer ${conf.secret}` },
        },
      );
      assert.equal(foreign.status, 200);
      assert.equal(foreign.headers.get('location'), null);
      assert.match(await foreign.text(), /You are signed out/);
      assert.equal(await introspectAccessToken(app.deps, auth2.accessToken), null);

      // An unknown session has no owner to authenticate as: the same 401 as a wrong key.
      const unknown = await fetch(`${app.url}/user_management/sessions/logout?session_id=nope&return_to=${encodeURIComponent(REDIRECT)}`, {
        redirect: 'manual',
        headers: { authorization: `Bearer ${conf.secret}` },
      });
      assert.equal((await errorOf(unknown, 401)).error, 'invalid_client');
      assert.equal(unknown.headers.get('location'), null);
      assert.equal((await fetch(`${app.url}/user_management/sessions/logout`)).status, 400);
    });

    it('logout from the SDK’s browser redirect works in the person’s own signed-in browser, and only there', async () => {
      const workos = sdk(app, conf);
      const mine = await signIn(app, conf, 'cy@example.com');
      const auth = await workos.userManagement.authenticateWithCode({ code: mine.code, clientId: conf.clientId });
      const url = workos.userManagement.getLogoutUrl({ sessionId: String(decodeJwt(auth.accessToken).sid), returnTo: REDIRECT });
      // Someone else's browser, signed in to the portal as another person, holding the id.
      const stranger = await signIn(app, conf, 'dee@example.com');
      const refused = await stranger.agent.get(url);
      assert.equal(refused.status, 401);
      assert.match(refused.headers.get('content-type') ?? '', /text\/html/);
      assert.equal(refused.headers.get('location'), null);
      assert.ok(await introspectAccessToken(app.deps, auth.accessToken), 'a stranger’s browser ends nothing');
      // The person's own browser: no key needed, as with WorkOS.
      const out = await mine.agent.get(url);
      assert.equal(out.status, 302);
      assert.equal(out.headers.get('location'), REDIRECT);
      assert.equal(await introspectAccessToken(app.deps, auth.accessToken), null, 'the session ended');
    });

    it('logout refuses a session id alone, another client’s key and a wrong key: the session lives on', async () => {
      const workos = sdk(app, conf);
      const { code } = await signIn(app, conf, 'cy@example.com');
      const auth = await workos.userManagement.authenticateWithCode({ code, clientId: conf.clientId });
      const url = workos.userManagement.getLogoutUrl({ sessionId: String(decodeJwt(auth.accessToken).sid), returnTo: REDIRECT });
      // A browser (or anyone) holding just the id: an HTML page, no redirect.
      const bare = await fetch(url, { redirect: 'manual' });
      assert.equal(bare.status, 401);
      assert.match(bare.headers.get('content-type') ?? '', /text\/html/);
      assert.equal(bare.headers.get('location'), null);
      const other = await partner(app, false);
      for (const key of [other.secret!, `${conf.secret}x`]) {
        const res = await fetch(url, { redirect: 'manual', headers: { authorization: `Bearer ${key}` } });
        assert.equal((await errorOf(res, 401)).error, 'invalid_client');
      }
      assert.ok(await introspectAccessToken(app.deps, auth.accessToken), 'the session is still live');
      const refreshed = await rawAuthenticate(app, {
        grant_type: 'refresh_token',
        client_id: conf.clientId,
        client_secret: conf.secret,
        refresh_token: auth.refreshToken,
      });
      assert.equal(refreshed.status, 200);
      const out = await fetch(url, { redirect: 'manual', headers: { authorization: `Bearer ${conf.secret}` } });
      assert.equal(out.status, 302);
      assert.equal(out.headers.get('location'), REDIRECT);
      assert.equal(await introspectAccessToken(app.deps, auth.accessToken), null);
    });
  });
}
