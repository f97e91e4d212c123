/**
 * Who impersonates behind a token: the admin and the reason, found by the
 * source token's acr (`imp:<id>`) or, failing that, by its grant. The WorkOS
 * adapter puts this on its authenticate answers as `impersonator`.
 */
import type { Store } from '../store/store.ts';
import { impersonationIdFromAcr } from './impersonation.ts';

export interface ImpersonatorInfo {
  email: string;
  reason: string;
}

export function impersonatorLookup(store: Store): (grantId: string, acr?: string) => Promise<ImpersonatorInfo | null> {
  return async (grantId, acr) => {
    const byAcr = impersonationIdFromAcr(acr);
    const imp = byAcr ? await store.impersonations.find(byAcr) : await store.impersonations.findByGrant(grantId);
    if (!imp) return null;
    const admin = await store.users.findById(imp.adminId);
    return { email: admin?.email ?? 'unknown', reason: imp.reason };
  };
}
