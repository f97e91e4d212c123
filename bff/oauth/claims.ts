/**
 * Extra access-token claims, from several features (impersonation, WorkOS
 * organizations…), merged in order. A contributor may throw oidc-provider's
 * InvalidGrant to refuse issuing (e.g. an impersonation that has ended), which
 * is how a refresh is prevented from outliving it.
 */
import type { KoaContextWithOIDC } from 'oidc-provider';

export interface TokenFacts {
  grantId?: string;
  accountId?: string;
  sessionUid?: string;
  clientId?: string;
}

export type ClaimsContributor = (ctx: KoaContextWithOIDC, token: TokenFacts) => Promise<Record<string, unknown> | undefined>;

export function composeClaims(contributors: ClaimsContributor[]): ClaimsContributor {
  return async (ctx, token) => {
    let out: Record<string, unknown> | undefined;
    for (const c of contributors) {
      const extra = await c(ctx, token);
      if (extra) out = { ...out, ...extra };
    }
    return out;
  };
}
