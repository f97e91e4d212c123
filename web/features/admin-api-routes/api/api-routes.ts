import { queryOptions, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { apiDelete, apiGet, apiPost } from '../../../lib/api-client.ts';
import type { ApiError } from '../../../lib/api-client.ts';

/** A gateway route: browser calls below `path` go to `upstream` with a token for `resource`. */
export interface ApiRoute {
  path: string;
  upstream: string;
  resource: string | null;
  scopes: string[];
  requireRole: 'admin' | 'user' | null;
  anonymous: boolean;
  allowRedirects: boolean;
  maxBodyBytes: number;
  timeoutMs: number;
  createdAt: number;
}

/** What the form sends; the size limit and time limit keep their defaults (the CLI sets them). */
export type NewApiRoute = Omit<ApiRoute, 'maxBodyBytes' | 'timeoutMs' | 'createdAt'>;

export const apiRoutesQueryKey = ['admin', 'api-routes'] as const;

export function getApiRoutes(signal?: AbortSignal): Promise<{ routes: ApiRoute[] }> {
  return apiGet<{ routes: ApiRoute[] }>('/bff/admin/api-routes', { signal });
}

export function useApiRoutes() {
  return useQuery(queryOptions({ queryKey: apiRoutesQueryKey, queryFn: ({ signal }) => getApiRoutes(signal) }));
}

export function useCreateApiRoute() {
  const queryClient = useQueryClient();
  return useMutation<{ route: ApiRoute }, ApiError, NewApiRoute>({
    mutationFn: (input) => apiPost<{ route: ApiRoute }>('/bff/admin/api-routes', input),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: apiRoutesQueryKey }),
  });
}

export function useDeleteApiRoute() {
  const queryClient = useQueryClient();
  return useMutation<{ ok: true }, ApiError, string>({
    mutationFn: (path) => apiDelete<{ ok: true }>('/bff/admin/api-routes', { path }),
    onSettled: () => queryClient.invalidateQueries({ queryKey: apiRoutesQueryKey }),
  });
}
