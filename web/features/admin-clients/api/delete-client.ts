import { useMutation, useQueryClient } from '@tanstack/react-query';
import { apiDelete, segment } from '../../../lib/api-client.ts';
import type { ApiError } from '../../../lib/api-client.ts';
import { clientsQueryKey } from './get-clients.ts';

export function deleteClient(clientId: string): Promise<{ ok: true }> {
  return apiDelete<{ ok: true }>(`/bff/admin/clients/${segment(clientId)}`);
}

export function useDeleteClient() {
  const queryClient = useQueryClient();
  return useMutation<{ ok: true }, ApiError, string>({
    mutationFn: deleteClient,
    onSettled: () => queryClient.invalidateQueries({ queryKey: clientsQueryKey }),
  });
}
