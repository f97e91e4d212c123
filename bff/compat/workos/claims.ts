/**
 * The WorkOS claims contributor. The composition root merges contributors
 * with composeClaims (bff/oauth/claims.ts):
 *
 *   extraAccessTokenClaims: composeClaims([workosClaims(store), …])
 *
 * Contributors run in order; on a clashing key the later one wins.
 */
import type { ClaimsContributor } from '../../oauth/claims.ts';
import type { Store } from '../../store/store.ts';
import { permissionsFor } from '../../orgs/orgs.ts';

/**
 * What WorkOS clients read from an access token (the SDK's sealed sessions
 * decode these): `sid` (the grant id: `/user_management/sessions/logout?session_id=`
 * ends it), and, when the grant acts for an organization the user still
 * belongs to, `org_id`, `role` and `permissions`.
 */
export function workosClaims(store: Store): ClaimsContributor {
  return async (_ctx, token) => {
    if (!token.grantId) return undefined;
    const claims: Record<string, unknown> = { sid: token.grantId };
    const org = await store.orgs.findGrantOrganization(token.grantId);
    if (org && org.role !== null && org.userId === token.accountId) {
      claims.org_id = org.organizationId;
      claims.role = org.role;
      claims.permissions = permissionsFor(org.role);
    }
    return claims;
  };
}
