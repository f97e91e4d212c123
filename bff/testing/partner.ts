/**
 * A partner app for integration tests: a registered client driven by
 * openid-client 6 as a real relying party, and raw token-endpoint calls for
 * the cases where no client library may hide a server answer.
 */
import * as oidc from 'openid-client';
import type { TestApp } from './test-app.ts';
import { Agent, authorizeThrough } from './agent.ts';
import { registerClient } from '../oauth/clients.ts';

export const PARTNER_REDIRECT = 'https://partner.example/cb';

export interface TestPartner {
  clientId: string;
  secret: string;
  config: oidc.Configuration;
}

/** Registers a confidential partner and discovers the test app's issuer for it. */
export async function testPartner(app: TestApp, name = 'Partner', scopes = ['openid', 'profile', 'email', 'offline_access']): Promise<TestPartner> {
  const { client, secret } = await registerClient(app.store, { name, redirectUris: [PARTNER_REDIRECT], isPublic: false, scopes }, Date.now());
  const config = await oidc.discovery(new URL(app.config.issuer), client.clientId, { client_secret: secret! }, oidc.ClientSecretBasic(secret!), {
    execute: [oidc.allowInsecureRequests],
  });
  return { clientId: client.clientId, secret: secret!, config };
}

/** Signs `email` in through the real authorize + interaction flow (or the agent's session) and redeems the code. */
export async function partnerTokens(app: TestApp, p: TestPartner, creds: { email: string; password: string; agent?: Agent }) {
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const url = oidc.buildAuthorizationUrl(p.config, {
    redirect_uri: PARTNER_REDIRECT,
    scope: 'openid email offline_access',
    state,
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
  });
  const end = await authorizeThrough(creds.agent ?? new Agent(app.url), url.href, creds);
  return oidc.authorizationCodeGrant(p.config, end, { pkceCodeVerifier: verifier, expectedState: state });
}

/** POST /oauth/token with HTTP Basic client authentication; the raw response. */
export function tokenEndpoint(app: TestApp, p: { clientId: string; secret: string }, body: Record<string, string>): Promise<Response> {
  const basic = Buffer.from(`${encodeURIComponent(p.clientId)}:${encodeURIComponent(p.secret)}`).toString('base64');
  return fetch(`${app.config.issuer}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${basic}` },
    body: new URLSearchParams(body),
  });
}

/** A refresh at the token endpoint: the status and the RFC 6749 body. */
export async function refreshWith(
  app: TestApp,
  p: { clientId: string; secret: string },
  refreshToken: string,
): Promise<{ status: number; body: Record<string, string> }> {
  const res = await tokenEndpoint(app, p, { grant_type: 'refresh_token', refresh_token: refreshToken });
  return { status: res.status, body: (await res.json()) as Record<string, string> };
}
