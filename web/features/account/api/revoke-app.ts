import { useMutation, useQueryClient } from '@tanstack/react-query';
import { apiDelete, segment } from '../../../lib/api-client.ts';
import type { ApiError } from '../../../lib/api-client.ts';
import { accountQueryKey } from './get-account.ts';

export function revokeApp(clientId: string): Promise<{ ok: true }> {
  return apiDelete<{ ok: true }>(`/bff/account/apps/${segment(clientId)}`);
}

export function useRevokeApp() {
  const queryClient = useQueryClient();
  return useMutation<{ ok: true }, ApiError, string>({
    mutationFn: revokeApp,
    // A 404 means it was already gone: refetch either way so the list is true.
    onSettled: () => queryClient.invalidateQueries({ queryKey: accountQueryKey }),
  });
}
