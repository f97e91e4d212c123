/**
 * Shared by the WorkOS integration tests: the official SDK pointed at the
 * test app, partner clients, and codes obtained through the real sign-in.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { WorkOS } from '@workos-inc/node';
import type { TestApp } from '../../testing/test-app.ts';
import { Agent, authorizeThrough } from '../../testing/agent.ts';
import { registerClient } from '../../oauth/clients.ts';

export const PASSWORD = 'correct horse battery staple';
export const REDIRECT = 'https://partner.example/callback';
export const COOKIE_PASSWORD = 'a-cookie-password-at-least-32-characters-long';

export interface Partner {
  clientId: string;
  /** The client secret, used as the SDK's API key (null: a public client). */
  secret: string | null;
}

export async function partner(
  app: TestApp,
  isPublic: boolean,
  scopes = ['openid', 'profile', 'email', 'offline_access'],
  redirectUris = [REDIRECT],
): Promise<Partner> {
  const { client, secret } = await registerClient(
    app.store,
    { name: isPublic ? 'Public WorkOS App' : 'WorkOS App', redirectUris, isPublic, scopes },
    Date.now(),
  );
  return { clientId: client.clientId, secret };
}

/** The official SDK, as a partner would configure it, aimed at the test app. */
export function sdk(app: TestApp, p: Partner, withKey = p.secret !== null): WorkOS {
  const port = Number(new URL(app.url).port);
  const options = { apiHostname: '127.0.0.1', port, https: false, clientId: p.clientId, maxRetries: 0 };
  return withKey ? new WorkOS(p.secret!, options) : new WorkOS(options);
}

export function pkcePair(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

export interface SignedIn {
  code: string;
  verifier: string | undefined;
  agent: Agent;
  end: URL;
}

/**
 * Builds the authorize URL with the SDK, drives the portal's real sign-in and
 * consent, and returns the code the partner's redirect URI receives.
 */
export async function signIn(
  app: TestApp,
  p: Partner,
  email: string,
  opts: { pkce?: boolean; agent?: Agent; invitationToken?: string } = {},
): Promise<SignedIn> {
  const pkce = (opts.pkce ?? p.secret === null) ? pkcePair() : undefined;
  const state = randomBytes(12).toString('base64url');
  const base = { provider: 'authkit', clientId: p.clientId, redirectUri: REDIRECT, state, invitationToken: opts.invitationToken };
  const um = sdk(app, p, false).userManagement;
  const url = pkce ? um.getAuthorizationUrl({ ...base, codeChallenge: pkce.challenge, codeChallengeMethod: 'S256' }) : um.getAuthorizationUrl(base);
  assert.ok(url.startsWith(`${app.url}/user_management/authorize?`), url);
  const agent = opts.agent ?? new Agent(app.url);
  const end = await authorizeThrough(agent, url, { email, password: PASSWORD });
  assert.equal(end.origin + end.pathname, REDIRECT, `expected the partner's redirect URI, got ${end.href}`);
  assert.equal(end.searchParams.get('state'), state);
  const code = end.searchParams.get('code');
  assert.ok(code, `no code in ${end.href}`);
  return { code, verifier: pkce?.verifier, agent, end };
}

export async function rawAuthenticate(app: TestApp, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${app.url}/user_management/authenticate`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

/** The seed's response fields (user.self), in sorted order. */
export const USER_FIELDS = [
  'created_at',
  'email',
  'email_verified',
  'external_id',
  'first_name',
  'id',
  'last_name',
  'last_sign_in_at',
  'locale',
  'metadata',
  'name',
  'object',
  'profile_picture_url',
  'updated_at',
];

/** What the SDK's exceptions carry that the tests look at. */
export interface Refusal {
  status: number;
  code?: string;
  pendingAuthenticationToken?: string;
  rawData: Record<string, unknown>;
}

/** The 6-digit code in a mail the portal sent. */
export const mailedCode = (text: string): string => /Your code: (\d{6})/.exec(text)?.[1] ?? assert.fail(`no code in ${text}`);
