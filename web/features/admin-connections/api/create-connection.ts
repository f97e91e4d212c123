import { useMutation, useQueryClient } from '@tanstack/react-query';
import { apiPost } from '../../../lib/api-client.ts';
import type { ApiError } from '../../../lib/api-client.ts';
import { connectionsQueryKey } from './get-connections.ts';
import type { AdminConnection } from './get-connections.ts';

export interface NewConnection {
  name: string;
  issuer: string;
  clientId: string;
  clientSecret: string;
  scopes?: string[];
  /** Organization id or name: makes it an organization (SSO) connection. */
  org?: string;
  domains: string[];
}

export function createConnection(input: NewConnection): Promise<{ connection: AdminConnection }> {
  return apiPost<{ connection: AdminConnection }>('/bff/admin/connections', input);
}

export function useCreateConnection() {
  const queryClient = useQueryClient();
  return useMutation<{ connection: AdminConnection }, ApiError, NewConnection>({
    mutationFn: createConnection,
    onSuccess: () => queryClient.invalidateQueries({ queryKey: connectionsQueryKey }),
  });
}
