import { useMutation, useQueryClient } from '@tanstack/react-query';
import { apiPost } from '../../../lib/api-client.ts';
import type { ApiError } from '../../../lib/api-client.ts';
import { clientsQueryKey } from './get-clients.ts';

export interface NewClient {
  name: string;
  redirectUris: string[];
  public: boolean;
  scopes: string[];
  logoUrl?: string;
  /** Scopes an authorization request gets when it names none (each one of `scopes`). */
  defaultScope?: string[];
  /** Access-token lifetime in seconds; absent: the server's default. */
  accessTokenTtl?: number;
  /** The weaker legacy refresh at GET /oauth?=token (The Trading Parrot's document). */
  legacyRefresh?: boolean;
  /** Where RP-initiated sign-out may send people back; absent: each redirect URI's origin. */
  postLogoutRedirectUris?: string[];
  /** Where the portal posts logout tokens (OpenID Connect Back-Channel Logout). */
  backchannelLogoutUri?: string;
  /** Every logout token names the session (`sid`). */
  backchannelLogoutSessionRequired?: boolean;
}

export interface CreatedClient {
  clientId: string;
  /** Only for confidential clients, and only in this one answer. */
  clientSecret?: string;
}

export function createClient(input: NewClient): Promise<CreatedClient> {
  return apiPost<CreatedClient>('/bff/admin/clients', input);
}

export function useCreateClient() {
  const queryClient = useQueryClient();
  return useMutation<CreatedClient, ApiError, NewClient>({
    mutationFn: createClient,
    onSuccess: () => queryClient.invalidateQueries({ queryKey: clientsQueryKey }),
  });
}
