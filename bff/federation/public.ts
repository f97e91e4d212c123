/**
 * What other domains may use from federation: the sign-in screen's additions
 * (interaction routes), the upstream tokens for the compatibility APIs, and
 * the connection an `acr` or a provider name selects.
 */
export { federationInteractionInfo } from './routes.ts';
export { completePendingLink } from './linking.ts';
export { upstreamTokensFor, type UpstreamTokens } from './tokens.ts';
export { acrFor, connectionByProvider, connectionForAcr, kindOf } from './connections.ts';
export type { Connection } from './model.ts';
