/**
 * Checks shared by the database outage tests (bff/store/outage*.test.ts):
 * a seeded app with a signed-in browser and a partner, and one assertion per
 * endpoint family that it answers 503 + Retry-After in its own format. Every
 * request carries a client-side limit far above the configured timeout, so
 * a hang fails the test; nothing here measures time.
 */
import assert from 'node:assert/strict';
import * as oidc from 'openid-client';
import type { TestApp } from './test-app.ts';
import { Agent, authorizeThrough, signedInAgent } from './agent.ts';
import { createAccount } from '../accounts/accounts.ts';
import { registerClient } from '../oauth/clients.ts';
import { createApiRoute } from '../gateway/route-table.ts';
import { WebSocket } from 'ws';
import { createHash, randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';

const PASSWORD = 'correct horse battery staple';
const API_RESOURCE = 'https://orders.example';
const REDIRECT = 'https://partner.example/cb';
/** DATABASE_TIMEOUT_MS for these apps: short, so a test waits little for each failure. */
export const ENV = { DATABASE_TIMEOUT_MS: '300', SESSION_CACHE_MS: '0' };
/** A request still open after this is a hang: far beyond every configured timeout. */
const HANG_MS = 15_000;

export interface Fixture {
  app: TestApp;
  user: Agent;
  partner: { clientId: string; secret: string; config: oidc.Configuration };
}

export function call(url: string, init: RequestInit = {}): Promise<Response> {
  return fetch(url, { redirect: 'manual', signal: AbortSignal.timeout(HANG_MS), ...init });
}

export async function fixture(app: TestApp): Promise<Fixture> {
  await createAccount(app.store, { email: 'pat@example.com', password: PASSWORD, name: 'Pat Doe', emailVerified: true }, Date.now());
  const { client, secret } = await registerClient(
    app.store,
    { name: 'Trading Parrot', redirectUris: [REDIRECT], isPublic: false, scopes: ['openid', 'email'] },
    Date.now(),
  );
  const config = await oidc.discovery(new URL(app.config.issuer), client.clientId, { client_secret: secret! }, oidc.ClientSecretBasic(secret!), {
    execute: [oidc.allowInsecureRequests],
  });
  // The relying party gives up where the tests' own requests do, so a hang fails rather than waits.
  config[oidc.customFetch] = (url, options) => fetch(url, { ...(options as RequestInit), signal: AbortSignal.timeout(HANG_MS) });
  // A gateway route for signed-in people; its upstream is never reached during an outage.
  await app.store.resources.create({ identifier: API_RESOURCE, name: 'Orders', scopes: ['orders:read'], createdAt: Date.now() });
  await createApiRoute(app.store, { path: '/api/orders', upstream: 'http://127.0.0.1:9', resource: API_RESOURCE }, Date.now());
  const user = await signedInAgent(app.url, 'pat@example.com', PASSWORD);
  return { app, user, partner: { clientId: client.clientId, secret: secret!, config } };
}

/** A fresh authorization code for the partner (taken while the database is up). */
export async function partnerCode(f: Fixture): Promise<{ end: URL; verifier: string }> {
  const verifier = oidc.randomPKCECodeVerifier();
  const url = oidc.buildAuthorizationUrl(f.partner.config, {
    redirect_uri: REDIRECT,
    scope: 'openid email',
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
  });
  const end = await authorizeThrough(new Agent(f.app.url), url.href, { email: 'pat@example.com', password: PASSWORD });
  assert.ok(end.searchParams.get('code'), `a code, got ${end.href}`);
  return { end, verifier };
}

export function assertRetryAfter(res: Response, what: string): void {
  assert.match(res.headers.get('retry-after') ?? '', /^[1-9]\d*$/, `${what}: Retry-After in seconds`);
}

/** /healthz during the outage: 503 with a JSON reason naming the failing path. */
export async function assertHealthDown(f: Fixture, reasons: string[]): Promise<void> {
  const res = await call(`${f.app.url}/healthz`);
  assert.equal(res.status, 503, '/healthz');
  assertRetryAfter(res, '/healthz');
  const body = (await res.json()) as { status: string; reason: string };
  assert.equal(body.status, 'unavailable');
  assert.ok(reasons.includes(body.reason), `/healthz reason ${body.reason}, expected one of ${reasons.join(', ')}`);
}

/** /healthz, /bff/session, /oauth/token and /oauth/authorize while the database cannot answer. */
export async function assertEveryEndpointUnavailable(f: Fixture, code: { end: URL; verifier: string }, healthReasons: string[]): Promise<void> {
  await assertHealthDown(f, healthReasons);

  const session = await call(`${f.app.url}/bff/session`, { headers: { cookie: f.user.cookieHeader(), accept: 'application/json' } });
  assert.equal(session.status, 503, '/bff/session');
  assertRetryAfter(session, '/bff/session');
  assert.equal(((await session.json()) as { error: string }).error, 'temporarily_unavailable');
  await assertGatewayUnavailable(f);
  await assertUserinfoUnavailable(f);
  await assertOauthUnavailable(f, code);
}

/** A signed-in call and a WebSocket handshake through the gateway (/api): 503 in the gateway's JSON, with Retry-After. */
export async function assertGatewayUnavailable(f: Fixture): Promise<void> {
  const res = await call(`${f.app.url}/api/orders/me`, { headers: { cookie: f.user.cookieHeader(), accept: 'application/json' } });
  assert.equal(res.status, 503, '/api');
  assertRetryAfter(res, '/api');
  const body = (await res.json()) as { error: string; message: string; requestId: string };
  assert.equal(body.error, 'temporarily_unavailable', '/api');
  assert.equal(body.requestId, res.headers.get('x-request-id'));
  const upgrade = await new Promise<{ status?: number; retryAfter?: string | string[]; body: string }>((resolve, reject) => {
    const ws = new WebSocket(`${f.app.url.replace('http', 'ws')}/api/orders/live`, {
      headers: { cookie: f.user.cookieHeader(), origin: f.app.url },
      handshakeTimeout: HANG_MS,
    });
    ws.once('open', () => {
      ws.terminate();
      reject(new Error('the WebSocket opened during the outage'));
    });
    ws.once('unexpected-response', (_req, r) => {
      let text = '';
      r.on('data', (c: Buffer) => (text += c.toString()));
      r.on('end', () => resolve({ status: r.statusCode, retryAfter: r.headers['retry-after'], body: text }));
    });
    ws.once('error', reject);
  });
  assert.equal(upgrade.status, 503, '/api WebSocket');
  assert.match(String(upgrade.retryAfter), /^[1-9]\d*$/, '/api WebSocket: Retry-After in seconds');
  assert.equal((JSON.parse(upgrade.body) as { error: string }).error, 'temporarily_unavailable', '/api WebSocket');
}

/** /oauth/userinfo with a DPoP proof: the proof's replay check needs the store, so 503, not a 401 for the proof. */
export async function assertUserinfoUnavailable(f: Fixture): Promise<void> {
  const { privateKey, publicKey } = await generateKeyPair('ES256');
  const token = 'any-access-token';
  const proof = await new SignJWT({
    jti: randomUUID(),
    iat: Math.floor(Date.now() / 1000),
    htm: 'GET',
    htu: `${f.app.config.issuer}/userinfo`,
    ath: createHash('sha256').update(token).digest('base64url'),
  })
    .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk: await exportJWK(publicKey) })
    .sign(privateKey);
  const res = await call(`${f.app.config.issuer}/userinfo`, { headers: { authorization: `DPoP ${token}`, dpop: proof } });
  assert.equal(res.status, 503, '/oauth/userinfo with DPoP');
  assertRetryAfter(res, '/oauth/userinfo with DPoP');
  assert.equal(((await res.json()) as { error: string }).error, 'temporarily_unavailable');
}

/** /oauth/token (openid-client, and raw for the headers) and /oauth/authorize (a page) answer 503. */
export async function assertOauthUnavailable(f: Fixture, code: { end: URL; verifier: string }): Promise<void> {
  // oauth4webapi reads error bodies only from 400/401 answers; any other status comes back as the Response itself.
  await assert.rejects(oidc.authorizationCodeGrant(f.partner.config, code.end, { pkceCodeVerifier: code.verifier }), (e: Error & { cause?: unknown }) => {
    assert.ok(e.cause instanceof Response, `openid-client saw the HTTP answer, got ${e}`);
    assert.equal(e.cause.status, 503, '/oauth/token through openid-client');
    return true;
  });
  const token = await call(`${f.app.config.issuer}/token`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${Buffer.from(`${f.partner.clientId}:${f.partner.secret}`).toString('base64')}`,
    },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      code: code.end.searchParams.get('code')!,
      redirect_uri: REDIRECT,
      code_verifier: code.verifier,
    }),
  });
  assert.equal(token.status, 503, '/oauth/token');
  assertRetryAfter(token, '/oauth/token');
  const body = (await token.json()) as Record<string, unknown>;
  assert.deepEqual(Object.keys(body).sort(), ['error', 'error_description'], 'RFC 6749 error body');
  assert.equal(body.error, 'temporarily_unavailable');

  const authorize = await call(
    `${f.app.config.issuer}/authorize?${new URLSearchParams({ client_id: f.partner.clientId, redirect_uri: REDIRECT, response_type: 'code', scope: 'openid', code_challenge: 'x'.repeat(43), code_challenge_method: 'S256' })}`,
    { headers: { accept: 'text/html' } },
  );
  assert.equal(authorize.status, 503, '/oauth/authorize');
  assertRetryAfter(authorize, '/oauth/authorize');
  assert.match(authorize.headers.get('content-type') ?? '', /^text\/html/);
  assert.match(await authorize.text(), /temporarily_unavailable/);
}

/** The WorkOS code exchange, in the WorkOS JSON error format. */
export async function assertWorkosUnavailable(f: Fixture): Promise<void> {
  const creds = { client_id: f.partner.clientId, client_secret: f.partner.secret };
  const workos = await call(`${f.app.url}/user_management/authenticate`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify({ grant_type: 'authorization_code', code: 'a-code-the-database-would-look-up', ...creds }),
  });
  assert.equal(workos.status, 503, 'WorkOS authenticate');
  assertRetryAfter(workos, 'WorkOS authenticate');
  const w = (await workos.json()) as Record<string, unknown>;
  assert.equal(w.error, 'temporarily_unavailable');
  assert.equal(w.code, 'temporarily_unavailable');
  assert.equal(typeof w.message, 'string');
}

/** A SaG password sign-in (it stores a code), in the SaG envelope. */
export async function assertSagUnavailable(f: Fixture): Promise<void> {
  const sag = await call(`${f.app.url}/admin/login/auth_code`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
    body: new URLSearchParams({ ClientId: f.partner.clientId, ClientSecret: f.partner.secret, Username: 'pat@example.com', Password: PASSWORD }),
  });
  assert.equal(sag.status, 503, 'SaG AuthCodeRequest');
  assertRetryAfter(sag, 'SaG AuthCodeRequest');
  const envelope = (await sag.json()) as { Header: { ErrorId: string; Status: string }; Body: { AuthCode: unknown } };
  assert.equal(envelope.Header.ErrorId, 'temporarily_unavailable');
  assert.equal(envelope.Header.Status, 'Error');
  assert.equal(envelope.Body.AuthCode, null);
}

/** Starts an outage, runs the checks during it, ends it whatever happened, then checks the portal recovered. */
export async function duringOutage(f: Fixture, outage: { start(): unknown; end(): unknown }, checks: () => Promise<void>): Promise<void> {
  await outage.start();
  try {
    await checks();
  } finally {
    await outage.end();
  }
  await assertRecovered(f);
}

/** Once the database is back, the same process serves again (the pool reconnects on its own). */
export async function assertRecovered(f: Fixture): Promise<void> {
  let health = 0;
  // A probe already waiting on the stalled connection may still fail; the next ones must not.
  for (let i = 0; i < 20 && health !== 200; i++) {
    if (i) await new Promise((r) => setTimeout(r, 100));
    health = (await call(`${f.app.url}/healthz`)).status;
  }
  assert.equal(health, 200, '/healthz after recovery');
  const session = await call(`${f.app.url}/bff/session`, { headers: { cookie: f.user.cookieHeader(), accept: 'application/json' } });
  assert.equal(session.status, 200);
  assert.equal(((await session.json()) as { authenticated: boolean }).authenticated, true, 'the session survived the outage');
  const code = await partnerCode(f);
  const tokens = await oidc.authorizationCodeGrant(f.partner.config, code.end, { pkceCodeVerifier: code.verifier });
  assert.ok(tokens.access_token);
}

/** A browser that has reached the sign-in screen while the database was up. */
export async function atSignIn(app: TestApp): Promise<{ agent: Agent; uid: string }> {
  const agent = new Agent(app.url);
  const { url } = await agent.follow('/bff/login?returnTo=/account', (u) => u.pathname.startsWith('/interaction/'));
  assert.match(url.pathname, /^\/interaction\//);
  return { agent, uid: url.pathname.split('/')[2]! };
}

/** A browser signed in at the provider and sent back to /bff/callback, which it has not opened yet. */
export async function atCallback(app: TestApp): Promise<{ agent: Agent; url: string }> {
  const s = await atSignIn(app);
  const res = await postLogin(app, s);
  assert.equal(res.status, 200);
  const { redirectTo } = (await res.json()) as { redirectTo: string };
  const { url } = await s.agent.follow(redirectTo, (u) => u.pathname === '/bff/callback');
  assert.equal(url.pathname, '/bff/callback');
  return { agent: s.agent, url: url.href };
}

function postLogin(app: TestApp, s: { agent: Agent; uid: string }): Promise<Response> {
  return call(`${app.url}/bff/interaction/${s.uid}/login`, {
    method: 'POST',
    headers: {
      cookie: s.agent.cookieHeader(),
      accept: 'application/json',
      'content-type': 'application/json',
      'x-portal-csrf': '1',
      origin: app.url,
      'sec-fetch-site': 'same-origin',
    },
    body: JSON.stringify({ email: 'pat@example.com', password: PASSWORD }),
  });
}

export async function assertSignInUnavailable(app: TestApp, s: { agent: Agent; uid: string }): Promise<void> {
  const res = await postLogin(app, s);
  assert.equal(res.status, 503, 'sign-in');
  assertRetryAfter(res, 'sign-in');
  assert.equal(((await res.json()) as { error: string }).error, 'temporarily_unavailable');
}
