import { queryOptions, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { apiDelete, apiGet, apiPost } from '../../../lib/api-client.ts';
import type { ApiError } from '../../../lib/api-client.ts';

/** An API machine clients get tokens for (RFC 8707 resource). */
export interface ApiResource {
  identifier: string;
  name: string;
  scopes: string[];
  createdAt: number;
}

export const resourcesQueryKey = ['admin', 'resources'] as const;

export function getResources(signal?: AbortSignal): Promise<{ resources: ApiResource[] }> {
  return apiGet<{ resources: ApiResource[] }>('/bff/admin/resources', { signal });
}

export function useResources() {
  return useQuery(queryOptions({ queryKey: resourcesQueryKey, queryFn: ({ signal }) => getResources(signal) }));
}

export function useCreateResource() {
  const queryClient = useQueryClient();
  return useMutation<{ resource: ApiResource }, ApiError, { identifier: string; name: string; scopes: string[] }>({
    mutationFn: (input) => apiPost<{ resource: ApiResource }>('/bff/admin/resources', input),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: resourcesQueryKey }),
  });
}

export function useDeleteResource() {
  const queryClient = useQueryClient();
  return useMutation<{ ok: true }, ApiError, string>({
    mutationFn: (identifier) => apiDelete<{ ok: true }>('/bff/admin/resources', { identifier }),
    onSettled: () => queryClient.invalidateQueries({ queryKey: resourcesQueryKey }),
  });
}

export interface MachineClientCreated {
  client: { clientId: string; name: string; scopes: string[] };
  clientSecret?: string;
}

export function useCreateMachineClient() {
  const queryClient = useQueryClient();
  return useMutation<MachineClientCreated, ApiError, { name: string; scopes: string[] }>({
    mutationFn: (input) => apiPost<MachineClientCreated>('/bff/admin/machine-clients', input),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ['admin', 'clients'] }),
  });
}
