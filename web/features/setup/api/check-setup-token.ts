import { queryOptions, useQuery } from '@tanstack/react-query';
import { apiGet } from '../../../lib/api-client.ts';

export function checkSetupToken(token: string, signal?: AbortSignal): Promise<{ valid: true }> {
  return apiGet<{ valid: true }>(`/bff/setup?token=${encodeURIComponent(token)}`, { signal });
}

export function setupTokenQueryOptions(token: string) {
  return queryOptions({
    queryKey: ['setup-token', token],
    queryFn: ({ signal }) => checkSetupToken(token, signal),
    staleTime: Infinity,
    refetchOnWindowFocus: false,
  });
}

export function useSetupToken(token: string | null) {
  return useQuery({ ...setupTokenQueryOptions(token ?? ''), enabled: token !== null });
}
