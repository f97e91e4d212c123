/**
 * What other domains may use from federation: the sign-in screen's additions
 * (interaction routes), the upstream tokens for the compatibility APIs, and
 * the connection an `acr` or a provider name selects.
 */
import type { Request, Response } from 'express';
import type { Deps } from '../deps.ts';
import { kindOf } from './connections.ts';
import { pendingLinkFor } from './linking.ts';
export { completePendingLink } from './linking.ts';
export { upstreamTokensFor, type UpstreamTokens } from './tokens.ts';
export { acrFor, connectionByProvider, connectionForAcr, kindOf } from './connections.ts';
export type { Connection } from '../store/federation.ts';

/** What GET /bff/interaction/:uid adds for the sign-in screen. */
export async function federationInteractionInfo(deps: Deps, req: Request, res: Response, uid: string) {
  const connections = await deps.store.federation.listConnections();
  return {
    connections: connections.map((c) => ({ id: c.id, name: c.name, kind: kindOf(c) })),
    /** Whether POST /bff/interaction/:uid/discover can route an email anywhere. */
    homeRealmDiscovery: connections.some((c) => c.domains.length > 0),
    pendingLink: await pendingLinkFor(deps, req, res, uid),
  };
}
