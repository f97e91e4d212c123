import { useMutation, useQueryClient } from '@tanstack/react-query';
import { apiRequest, segment } from '../../../lib/api-client.ts';
import type { ApiError } from '../../../lib/api-client.ts';
import { clientsQueryKey } from './get-clients.ts';
import type { PartnerClient } from './get-clients.ts';

/** The settings of a partner app that can change after registration; only the fields given change. */
export interface ClientChanges {
  name?: string;
  redirectUris?: string[];
  postLogoutRedirectUris?: string[];
  /** null or empty: no default scope. */
  defaultScope?: string[] | null;
  /** Seconds; null: the portal's default. */
  accessTokenTtl?: number | null;
  legacyRefresh?: boolean;
  /** null: the app is no longer told when people sign out. */
  backchannelLogoutUri?: string | null;
  backchannelLogoutSessionRequired?: boolean;
}

export function updateClient(clientId: string, changes: ClientChanges): Promise<{ client: PartnerClient; changed: string[] }> {
  return apiRequest('PATCH', `/bff/admin/clients/${segment(clientId)}`, { body: changes });
}

export function useUpdateClient() {
  const queryClient = useQueryClient();
  return useMutation<{ client: PartnerClient; changed: string[] }, ApiError, { clientId: string; changes: ClientChanges }>({
    mutationFn: ({ clientId, changes }) => updateClient(clientId, changes),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: clientsQueryKey }),
  });
}
