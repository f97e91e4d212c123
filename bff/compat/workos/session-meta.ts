/**
 * What WorkOS keeps on a session, recorded when the partner redeems the
 * grant's first code (exchange.ts); read by sessions.ts. Stored as a provider
 * row of its own model bound to the grant: deleted with it, swept with it.
 */
import type { Deps } from '../../deps.ts';
import { authenticationMethod } from '../../oauth/core.ts';

export const MODEL = 'WorkOSSession';

/** The SDK's `AuthMethod` for the portal's authentication method names. */
const AUTH_METHODS: Record<string, string> = { Password: 'password', MagicAuth: 'magic_code', Impersonation: 'impersonation', SSO: 'sso', Passkey: 'passkey' };

export interface SessionMeta {
  userId: string;
  clientId: string;
  ipAddress: string | null;
  userAgent: string | null;
  authMethod: string;
  createdAt: number;
}

/** Records who signed in, from where, when the partner redeems the grant's first code. */
export async function rememberSession(
  deps: Deps,
  grantId: string,
  src: { accountId?: string; amr?: string[]; acr?: string },
  clientId: string,
  where: { ip: string | null; userAgent: string | null },
  upstreamIssuer: string | null,
): Promise<void> {
  if (!src.accountId) return;
  const grant = (await deps.provider.Grant.find(grantId)) as { exp?: number } | undefined;
  if (!grant) return;
  const method = authenticationMethod(src.amr, src.acr, upstreamIssuer);
  const meta: SessionMeta = {
    userId: src.accountId,
    clientId,
    ipAddress: where.ip,
    userAgent: where.userAgent,
    // A social provider's name (GoogleOAuth, …) is an OAuth sign-in to WorkOS.
    authMethod: AUTH_METHODS[method] ?? (method.endsWith('OAuth') ? 'oauth' : 'unknown'),
    createdAt: deps.now(),
  };
  const expiresAt = typeof grant.exp === 'number' ? grant.exp * 1000 : null;
  await deps.store.oidc.upsert(MODEL, grantId, { ...meta }, expiresAt, { grantId });
}
