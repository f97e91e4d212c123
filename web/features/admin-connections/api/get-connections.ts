import { queryOptions, useQuery } from '@tanstack/react-query';
import { apiGet } from '../../../lib/api-client.ts';
import type { ConnectionKind } from '../../federation/api/types.ts';

/** A connection as the admin API shows it: never its client secret. */
export interface AdminConnection {
  id: string;
  name: string;
  kind: ConnectionKind;
  issuer: string;
  clientId: string;
  scopes: string[];
  orgId: string | null;
  domains: string[];
  createdAt: number;
}

export const connectionsQueryKey = ['admin', 'connections'] as const;

export function getConnections(signal?: AbortSignal): Promise<{ connections: AdminConnection[] }> {
  return apiGet<{ connections: AdminConnection[] }>('/bff/admin/connections', { signal });
}

export function connectionsQueryOptions() {
  return queryOptions({ queryKey: connectionsQueryKey, queryFn: ({ signal }) => getConnections(signal) });
}

export function useConnections() {
  return useQuery(connectionsQueryOptions());
}
