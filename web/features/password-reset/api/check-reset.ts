import { queryOptions, useQuery } from '@tanstack/react-query';
import { apiPost } from '../../../lib/api-client.ts';

/** Who a reset link is for; 410 reset_link_invalid when it expired or was used. */
export function checkReset(token: string): Promise<{ email: string }> {
  return apiPost<{ email: string }>('/bff/password-reset/check', { token });
}

export function resetLinkQueryOptions(token: string) {
  return queryOptions({
    queryKey: ['password-reset', token],
    queryFn: () => checkReset(token),
    staleTime: Infinity,
    refetchOnWindowFocus: false,
    retry: false,
  });
}

export function useResetLink(token: string | null) {
  return useQuery({ ...resetLinkQueryOptions(token ?? ''), enabled: token !== null });
}
