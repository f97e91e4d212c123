import { queryOptions, useQuery } from '@tanstack/react-query';
import { apiGet } from '../../../lib/api-client.ts';

export interface PartnerClient {
  clientId: string;
  name: string;
  redirectUris: string[];
  /** Where RP-initiated sign-out may send people back (exact match). */
  postLogoutRedirectUris: string[];
  public: boolean;
  scopes: string[];
  logoUrl: string | null;
  createdAt: string | number;
  defaultScope?: string | null;
  accessTokenTtl?: number | null;
  legacyRefresh?: boolean;
  /** OpenID Connect Back-Channel Logout: where logout tokens go, and whether they name the session. */
  backchannelLogoutUri?: string | null;
  backchannelLogoutSessionRequired?: boolean;
}

export const clientsQueryKey = ['admin', 'clients'] as const;

export function getClients(signal?: AbortSignal): Promise<{ clients: PartnerClient[] }> {
  return apiGet<{ clients: PartnerClient[] }>('/bff/admin/clients', { signal });
}

export function clientsQueryOptions() {
  return queryOptions({
    queryKey: clientsQueryKey,
    queryFn: ({ signal }) => getClients(signal),
  });
}

export function useClients(enabled = true) {
  return useQuery({ ...clientsQueryOptions(), enabled });
}
