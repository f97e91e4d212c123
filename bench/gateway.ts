/**
 * Scenarios i, j and k (issue 18): the same API call through the portal's gateway (i: signed-in
 * cookie → /api/orders/…, token from the session), straight to the API (j: the bearer token in
 * hand), and through a bare proxy with no checks at all (k: the floor a Node proxy costs here).
 * Every answer is a verified JWT; i ÷ j is what the gateway costs (target ≥ 60 %).
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
  bareProxy: boolean,
): Promise<{ proxied: Job; direct: Job; bare: (Job & { meter: Child }) | null; upstream: Child }> {
  const upstream = start('upstream', './servers/upstream.ts');
  const { url } = await upstream.call<{ url: string }>('setup', { issuer: `${portalUrl}/oauth`, audience: GATEWAY_RESOURCE, scope: GATEWAY_SCOPE });
  const { token } = await portal.call<{ token: string }>('addApiRoute', {
    path: '/api/orders',
    upstream: url,
    resource: GATEWAY_RESOURCE,
    scope: GATEWAY_SCOPE,
  });
  const expectBody = `"aud":"${GATEWAY_RESOURCE}"`;
  let bare: (Job & { meter: Child }) | null = null;
  if (bareProxy) {
    const proxy = start('bare-proxy', './servers/bare-proxy.ts');
    const { url: proxyUrl } = await proxy.call<{ url: string }>('setup', { upstream: url, token });
    bare = { meter: proxy, origin: proxyUrl, path: '/items/7', method: 'GET', headers: { accept: 'application/json' }, expectBody };
  }
  return {
    upstream,
    bare,
    proxied: { origin: portalUrl, path: '/api/orders/items/7', method: 'GET', headers: { cookie, accept: 'application/json' }, expectBody },
    direct: { origin: url, path: '/items/7', method: 'GET', headers: { authorization: `Bearer ${token}`, accept: 'application/json' }, expectBody },
  };
}
