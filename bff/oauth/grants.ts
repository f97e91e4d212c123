/**
 * Grants and remembered consent. A user's decision for a partner is kept in
 * the store per user and partner, so the same or fewer scopes skip the consent
 * screen, across sessions and instances. The grant itself belongs to one
 * sign-in session (the provider session): revoking it (a replayed code, a late
 * refresh-token reuse) signs the user out of that partner on that device only.
 */
import type { KoaContextWithOIDC, Grant } from 'oidc-provider';
import type { Consent, Store } from '../store/store.ts';
import { PORTAL_RESOURCE } from './resource.ts';
import { clientMetadataOf } from './client-settings.ts';

/** Declined scopes are remembered too, marked with a leading '!'. */
export function splitConsent(c: Consent | null): { allowed: string[]; declined: string[] } {
  const scopes = c?.scopes ?? [];
  return {
    allowed: scopes.filter((s) => !s.startsWith('!')),
    declined: scopes.filter((s) => s.startsWith('!')).map((s) => s.slice(1)),
  };
}

export function joinConsent(allowed: string[], declined: string[]): string[] {
  const a = [...new Set(allowed)];
  return [...a, ...[...new Set(declined)].filter((s) => !a.includes(s)).map((s) => `!${s}`)];
}

/** Puts exactly `allowed` on the grant (OIDC and resource scopes), and marks `declined` as rejected. */
export function applyScopes(grant: Grant, allowed: string[], declined: string[]): void {
  if (allowed.length) {
    grant.addOIDCScope(allowed.join(' '));
    grant.addResourceScope(PORTAL_RESOURCE, allowed.join(' '));
    // oidc-provider leaves out a rejected scope even when it is added again: one declined before
    // and allowed now is taken off the rejected lists, or the grant keeps refusing it.
    const rejected = grant.rejected;
    const keep = (scope: string | undefined) =>
      (scope ?? '')
        .split(' ')
        .filter((s) => s && !allowed.includes(s))
        .join(' ');
    if (rejected?.openid?.scope) rejected.openid.scope = keep(rejected.openid.scope);
    if (rejected?.resources?.[PORTAL_RESOURCE]) rejected.resources[PORTAL_RESOURCE] = keep(rejected.resources[PORTAL_RESOURCE]);
  }
  if (declined.length) {
    grant.rejectOIDCScope(declined.join(' '));
    grant.rejectResourceScope(PORTAL_RESOURCE, declined.join(' '));
  }
}

function requested(ctx: KoaContextWithOIDC): string[] {
  return String(ctx.oidc.params?.scope ?? '')
    .split(' ')
    .filter(Boolean);
}

/** This sign-in session's grant for the client, or a new one: another session's grant is never shared. */
async function sessionGrant(ctx: KoaContextWithOIDC, accountId: string, clientId: string): Promise<Grant> {
  const { provider, session } = ctx.oidc;
  const existing = session?.grantIdFor(clientId);
  const found = existing ? await provider.Grant.find(existing) : undefined;
  return found && found.accountId === accountId && found.clientId === clientId ? found : new provider.Grant({ accountId, clientId });
}

export async function loadExistingGrant(ctx: KoaContextWithOIDC, store: Store): Promise<Grant | undefined> {
  const { provider, client, session } = ctx.oidc;
  if (!client || !session?.accountId) return undefined;
  const accountId = session.accountId;

  const fromResult = ctx.oidc.result?.consent?.grantId;
  if (fromResult) return provider.Grant.find(fromResult);

  let allowed = requested(ctx);
  let declined: string[] = [];
  // The portal's own BFF is first-party: it never asks for consent.
  const firstParty = (client as unknown as { portalFirstParty?: boolean }).portalFirstParty || clientMetadataOf(client).portal_first_party === true;
  if (!firstParty) {
    const consent = await store.consents.find(accountId, client.clientId);
    if (!consent) return undefined;
    ({ allowed, declined } = splitConsent(consent));
  }
  const grant = await sessionGrant(ctx, accountId, client.clientId);
  applyScopes(grant, allowed, declined);
  await grant.save();
  return grant;
}
