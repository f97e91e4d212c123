import { useMutation, useQueryClient } from '@tanstack/react-query';
import { apiDelete, segment } from '../../../lib/api-client.ts';
import type { ApiError } from '../../../lib/api-client.ts';
import { connectionsQueryKey } from './get-connections.ts';

export function deleteConnection(id: string): Promise<{ ok: true }> {
  return apiDelete<{ ok: true }>(`/bff/admin/connections/${segment(id)}`);
}

export function useDeleteConnection() {
  const queryClient = useQueryClient();
  return useMutation<{ ok: true }, ApiError, string>({
    mutationFn: deleteConnection,
    onSettled: () => queryClient.invalidateQueries({ queryKey: connectionsQueryKey }),
  });
}
