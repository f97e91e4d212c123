/** In the bench's portal process: the API resource, the gateway route and a machine client's token for the direct calls. */
import type { Store } from '../bff/store/store.ts';
import { createApiRoute } from '../bff/gateway/route-table.ts';
import { registerMachineClient } from '../bff/oauth/machine.ts';

export async function addBenchApiRoute(
  store: Store,
  portalUrl: string,
  r: { path: string; upstream: string; resource: string; scope: string },
): Promise<{ token: string }> {
  await store.resources.create({ identifier: r.resource, name: 'Bench API', scopes: [r.scope], createdAt: Date.now() });
  await createApiRoute(store, { path: r.path, upstream: r.upstream, resource: r.resource, scopes: [r.scope] }, Date.now());
  const { client, secret } = await registerMachineClient(store, { name: 'Bench direct caller', scopes: [r.scope] }, Date.now());
  const res = await fetch(`${portalUrl}/oauth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${client.clientId}:${secret}`).toString('base64')}` },
    body: new URLSearchParams({ grant_type: 'client_credentials', resource: r.resource, scope: r.scope }),
  });
  const body = (await res.json()) as { access_token?: string };
  if (!body.access_token) throw new Error(`no token for the direct calls: ${JSON.stringify(body)}`);
  return { token: body.access_token };
}
