/**
 * Ending a user's access everywhere but here: after a password change (and a
 * password reset), whoever else knew the old password or holds a token minted
 * with it must sign in again. The session that made the change stays signed in.
 */
import type { Store } from '../store/store.ts';
import { queueUserLogouts } from '../store/logout-queue.ts';

/** What stays: the BFF session that asked, its grant and its provider session. */
export interface KeepAccess {
  bffSessionId?: string;
  grantId?: string;
  providerSessionUid?: string;
}

export interface RevokedAccess {
  bffSessions: number;
  grants: number;
  providerSessions: number;
}

/**
 * Revokes every grant of the user (partner refresh and access tokens with it),
 * ends their provider sessions and, through `endBffSessions`, their BFF
 * sessions, except what `keep` names. Consent memory stays: signing in again
 * asks for no consent already given.
 */
export async function revokeOtherAccess(
  store: Store,
  userId: string,
  keep: KeepAccess,
  endBffSessions: (userId: string, exceptId?: string) => Promise<number>,
): Promise<RevokedAccess> {
  // Partners with a back-channel logout URI are told, from the outbox, while the sessions still say who they are.
  await queueUserLogouts(store, userId, Date.now(), { sessionUid: keep.providerSessionUid, grantId: keep.grantId });
  // BFF sessions first: from here on no other browser can use the session it had.
  const bffSessions = await endBffSessions(userId, keep.bffSessionId);
  let grants = 0;
  for (const grantId of await store.oidcOwners.grantIds(userId)) {
    if (grantId === keep.grantId) continue;
    await store.oidc.revokeByGrantId(grantId);
    await store.oidc.destroy('Grant', grantId);
    grants++;
  }
  let providerSessions = 0;
  for (const s of await store.oidcOwners.sessions(userId)) {
    if (keep.providerSessionUid && s.uid === keep.providerSessionUid) continue;
    await store.oidc.destroy('Session', s.id);
    providerSessions++;
  }
  return { bffSessions, grants, providerSessions };
}
