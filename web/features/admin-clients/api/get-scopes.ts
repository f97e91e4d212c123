import { queryOptions, useQuery } from '@tanstack/react-query';
import { apiGet } from '../../../lib/api-client.ts';

export interface CatalogueScope {
  name: string;
  description: string;
  required: boolean;
}

export function getScopes(signal?: AbortSignal): Promise<{ scopes: CatalogueScope[] }> {
  return apiGet<{ scopes: CatalogueScope[] }>('/bff/scopes', { signal });
}

export function scopesQueryOptions() {
  return queryOptions({
    queryKey: ['scopes'],
    queryFn: ({ signal }) => getScopes(signal),
    staleTime: 5 * 60_000,
  });
}

export function useScopes(enabled = true) {
  return useQuery({ ...scopesQueryOptions(), enabled });
}
