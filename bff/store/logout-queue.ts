/**
 * Which partners must hear that a person's session ended (OpenID Connect
 * Back-Channel Logout 1.0), queued in the Store's logout outbox; the provider
 * core (oauth/backchannel.ts) signs and delivers them with retries, so nothing
 * here waits for a partner. Every door that ends sessions calls this: the
 * portal's sign-out and an ended device session (session/login.ts endSession),
 * RP-initiated logout (oauth/provider.ts), a password change or reset and an
 * admin disabling the account (accounts/revoke.ts), an admin's "sign out everywhere".
 * It lives beside the Store because every layer that ends sessions, the
 * provider core included, needs it, and it is made of Store calls only.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { Store } from './store.ts';

/** What a provider (oidc-provider) Session row says about who signed in where. */
export interface ProviderSessionFacts {
  accountId?: unknown;
  /** Per client: the `sid` it was given, and its grant. */
  authorizations?: unknown;
}

type Authorizations = Record<string, { sid?: unknown; grantId?: unknown }>;

/** One logout per (partner, session), whichever door ends the session first. */
function sessionLogoutId(clientId: string, sid: string): string {
  return createHash('sha256').update(`${clientId}\n${sid}`).digest('base64url');
}

/**
 * Queues a logout token for the partner when it registered a back-channel logout URI; with `sid`
 * the token names that session, without it every session of `sub` (not sent to a partner that
 * requires `sid`). True when queued.
 */
export async function queuePartnerLogout(store: Store, clientId: string, sub: string, sid: string | null, now: number): Promise<boolean> {
  const client = await store.clients.find(clientId);
  if (!client?.backchannelLogoutUri || client.firstParty) return false;
  if (sid === null && client.backchannelLogoutSessionRequired) return false;
  const id = sid === null ? randomUUID() : sessionLogoutId(clientId, sid);
  return store.logoutOutbox.enqueue({ id, clientId, sub, sid, createdAt: now });
}

/** Queues a logout for every partner the provider session signed in; returns the clients queued. */
export async function queueSessionLogouts(store: Store, session: ProviderSessionFacts, now: number): Promise<string[]> {
  if (typeof session.accountId !== 'string') return [];
  const queued: string[] = [];
  for (const [clientId, a] of Object.entries((session.authorizations ?? {}) as Authorizations)) {
    const sid = typeof a?.sid === 'string' ? a.sid : null;
    if (await queuePartnerLogout(store, clientId, session.accountId, sid, now)) queued.push(clientId);
  }
  return queued;
}

/** Queues logouts for the provider session stored under `id` (the session cookie's value). */
export async function queueStoredSessionLogouts(store: Store, id: string, now: number): Promise<string[]> {
  const row = await store.oidc.find('Session', id);
  return row ? queueSessionLogouts(store, row.payload, now) : [];
}

/**
 * Every partner session of the person: their provider sessions (except `keepSessionUid`), and
 * partners holding a grant outside those sessions (a token that outlives the browser session),
 * which get a logout for every session of `sub`. Call before the sessions and grants are gone.
 */
export async function queueUserLogouts(store: Store, userId: string, now: number, keep: { sessionUid?: string; grantId?: string } = {}): Promise<void> {
  const covered = new Set<string>();
  for (const s of await store.oidcOwners.sessions(userId)) {
    if (keep.sessionUid && s.uid === keep.sessionUid) continue;
    const row = await store.oidc.find('Session', s.id);
    if (!row) continue;
    for (const clientId of await queueSessionLogouts(store, row.payload, now)) covered.add(clientId);
  }
  const withGrant = new Set<string>();
  for (const grantId of await store.oidcOwners.grantIds(userId)) {
    if (grantId === keep.grantId) continue;
    const clientId = (await store.oidc.find('Grant', grantId))?.payload.clientId;
    if (typeof clientId === 'string' && !covered.has(clientId)) withGrant.add(clientId);
  }
  for (const clientId of withGrant) await queuePartnerLogout(store, clientId, userId, null, now);
}
