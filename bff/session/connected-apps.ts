/** A person's connected partner apps (remembered consents), for the account screen and the admin user page. */
import type { Store } from '../store/store.ts';
import { describeScope } from '../oauth/scopes.ts';
import { splitConsent } from '../oauth/grants.ts';

export interface ConnectedApp {
  clientId: string;
  name: string;
  logoUrl: string | null;
  scopes: Array<{ name: string; description: string }>;
  grantedAt: number;
}

export async function listConnectedApps(store: Store, userId: string): Promise<ConnectedApp[]> {
  const apps: ConnectedApp[] = [];
  for (const c of await store.consents.listForUser(userId)) {
    const client = await store.clients.find(c.clientId);
    if (!client) continue;
    apps.push({
      clientId: c.clientId,
      name: client.name,
      logoUrl: client.logoUrl,
      scopes: splitConsent(c).allowed.map((s) => ({ name: s, description: describeScope(s).description })),
      grantedAt: c.grantedAt,
    });
  }
  return apps;
}

/**
 * Forgets the user's consent to the partner app and revokes every grant of it (one per sign-in
 * session), so its tokens stop working at once: rows gone, introspection inactive. Null when the
 * app was not connected.
 */
export async function revokeConnectedApp(store: Store, userId: string, clientId: string): Promise<{ clientId: string } | null> {
  const removed = await store.consents.delete(userId, clientId);
  if (!removed) return null;
  for (const grantId of await store.oidcOwners.grantIds(userId, removed.clientId)) {
    await store.oidc.revokeByGrantId(grantId);
    await store.oidc.destroy('Grant', grantId);
  }
  return { clientId: removed.clientId };
}
