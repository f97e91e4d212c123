/**
 * Minting single-use inputs ahead of a timed phase, on the running app's own
 * provider: codes through the portal's core (issueCode, as every front door
 * does) and refresh tokens shaped exactly as oidc-provider's code exchange
 * issues them (grant_common.js issueTokens), each on its own grant.
 */
import type Provider from 'oidc-provider';
import type { Deps } from '../bff/deps.ts';
import { issueCode } from '../bff/oauth/core.ts';
import { applyScopes } from '../bff/oauth/grants.ts';
import { PORTAL_RESOURCE } from '../bff/oauth/resource.ts';

export interface MintTarget {
  clientId: string;
  accountId: string;
  redirectUri: string;
  scopes: string[];
}

export async function mintCodes(provider: Provider, t: MintTarget, n: number, codeChallenge: string): Promise<{ codes: string[]; ms: number }> {
  // issueCode only reads deps.provider.
  const deps = { provider } as unknown as Deps;
  const codes: string[] = [];
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    const { code } = await issueCode(deps, { ...t, amr: ['pwd'], codeChallenge, codeChallengeMethod: 'S256' });
    codes.push(code);
  }
  return { codes, ms: performance.now() - t0 };
}

export async function mintRefreshTokens(provider: Provider, t: MintTarget, n: number): Promise<{ tokens: string[]; ms: number }> {
  const client = await provider.Client.find(t.clientId);
  if (!client) throw new Error(`unknown client ${t.clientId}`);
  const tokens: string[] = [];
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    const grant = new provider.Grant({ accountId: t.accountId, clientId: t.clientId });
    applyScopes(grant, t.scopes, []);
    const grantId = await grant.save();
    const rt = new provider.RefreshToken({
      accountId: t.accountId,
      client,
      grantId,
      gty: 'authorization_code',
      amr: ['pwd'],
      authTime: Math.floor(Date.now() / 1000),
      resource: PORTAL_RESOURCE,
      rotations: 0,
      scope: t.scopes.join(' '),
    } as ConstructorParameters<typeof provider.RefreshToken>[0]);
    tokens.push(await rt.save());
  }
  return { tokens, ms: performance.now() - t0 };
}
