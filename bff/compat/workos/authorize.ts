/**
 * `GET /user_management/authorize`'s WorkOS-only parameters that pick the
 * identity provider: `connection_id`, `organization_id` (that organization's
 * connection) and `provider` (`authkit`: the portal's own sign-in screen;
 * `GoogleOAuth`, `MicrosoftOAuth`, `GitHubOAuth`, `AppleOAuth`: the connection
 * whose issuer is that provider's; or a connection's name). The answer is the
 * connection id the provider core then jumps to (oauth/client-settings.ts).
 */
import type { Store } from '../../store/store.ts';
import { authenticationMethod } from '../../oauth/core.ts';
import { WorkOSError } from './map.ts';

const refuse = (message: string, code: string) => new WorkOSError(400, 'invalid_request', message, { code });

function single(query: URLSearchParams, name: string): string | null {
  const all = query.getAll(name);
  if (all.length > 1) throw refuse(`${name} must be given once.`, 'invalid_request_parameters');
  return all[0] || null;
}

/** The connection the request names, null for the sign-in screen; unknown ones are refused. */
export async function requestedConnection(store: Store, query: URLSearchParams): Promise<string | null> {
  const connectionId = single(query, 'connection_id');
  const organizationId = single(query, 'organization_id');
  const provider = single(query, 'provider');
  const connections = await store.federation.listConnections();
  if (connectionId) {
    if (!connections.some((c) => c.id === connectionId)) throw refuse(`No connection with the id ${connectionId.slice(0, 100)}.`, 'connection_not_found');
    return connectionId;
  }
  // An organization without a connection of its own signs in on the portal's screen.
  if (organizationId) return connections.find((c) => c.orgId === organizationId)?.id ?? null;
  if (!provider || provider === 'authkit') return null;
  const social = connections.filter((c) => !c.orgId);
  const match = social.find((c) => authenticationMethod(['fed'], `social:${c.name}`, c.issuer) === provider) ?? social.find((c) => c.name === provider);
  if (!match) throw refuse(`The provider ${provider.slice(0, 100)} is not configured on this portal.`, 'provider_not_configured');
  return match.id;
}
