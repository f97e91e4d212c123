/**
 * Scenarios g and h (issue 18): the same API call through the portal's gateway (g: signed-in
 * cookie → /api/orders/…, token from the session) and straight to the API (h: the bearer token
 * in hand). Both answers are verified JWTs; g ÷ h is what the gateway costs (target ≥ 60 %).
 */
import type { Child } from './ipc.ts';
import type { LoadJob } from './load.ts';

export const GATEWAY_RESOURCE = 'https://orders.bench';
export const GATEWAY_SCOPE = 'orders:read';

type Job = Omit<LoadJob, 'connections' | 'duration'>;

/** Starts the API, registers the route in the portal, and returns the two load jobs. */
export async function gatewayJobs(
  start: (name: string, script: string) => Child,
  portal: Child,
  portalUrl: string,
  cookie: string,
): Promise<{ proxied: Job; direct: Job }> {
  const upstream = start('upstream', './servers/upstream.ts');
  const { url } = await upstream.call<{ url: string }>('setup', { issuer: `${portalUrl}/oauth`, audience: GATEWAY_RESOURCE, scope: GATEWAY_SCOPE });
  const { token } = await portal.call<{ token: string }>('addApiRoute', {
    path: '/api/orders',
    upstream: url,
    resource: GATEWAY_RESOURCE,
    scope: GATEWAY_SCOPE,
  });
  const expectBody = `"aud":"${GATEWAY_RESOURCE}"`;
  return {
    proxied: { origin: portalUrl, path: '/api/orders/items/7', method: 'GET', headers: { cookie, accept: 'application/json' }, expectBody },
    direct: { origin: url, path: '/items/7', method: 'GET', headers: { authorization: `Bearer ${token}`, accept: 'application/json' }, expectBody },
  };
}
