import { queryOptions, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { PublicKeyCredentialCreationOptionsJSON } from '@simplewebauthn/browser';
import { apiDelete, apiGet, apiPost, apiRequest, segment } from '../../../lib/api-client.ts';
import type { ApiError } from '../../../lib/api-client.ts';
import { createPasskey } from '../lib/webauthn.ts';

/** A passkey as the account screen shows it (never its key). */
export interface PasskeyView {
  id: string;
  name: string;
  createdAt: number;
  lastUsedAt: number | null;
  /** Synced through a cloud keychain, rather than bound to one device. */
  synced: boolean;
}

export const passkeysQueryKey = ['account', 'passkeys'] as const;

export function getPasskeys(signal?: AbortSignal): Promise<{ passkeys: PasskeyView[] }> {
  return apiGet<{ passkeys: PasskeyView[] }>('/bff/account/passkeys', { signal });
}

export function passkeysQueryOptions() {
  return queryOptions({ queryKey: passkeysQueryKey, queryFn: ({ signal }) => getPasskeys(signal) });
}

export function usePasskeys() {
  return useQuery(passkeysQueryOptions());
}

/** Asks the portal for options, the browser for a new passkey, and the portal to keep it under `name`. */
export async function addPasskey(name: string): Promise<{ passkey: PasskeyView }> {
  const { options } = await apiPost<{ options: PublicKeyCredentialCreationOptionsJSON }>('/bff/account/passkeys/options');
  const response = await createPasskey(options);
  return apiPost<{ passkey: PasskeyView }>('/bff/account/passkeys', { name, response });
}

export function renamePasskey({ id, name }: { id: string; name: string }): Promise<{ ok: true }> {
  return apiRequest<{ ok: true }>('PATCH', `/bff/account/passkeys/${segment(id)}`, { body: { name } });
}

export function removePasskey(id: string): Promise<{ ok: true }> {
  return apiDelete<{ ok: true }>(`/bff/account/passkeys/${segment(id)}`);
}

/** Every change refetches the list, so it is true even after a 404 (already gone). */
function useListChange<T, V>(fn: (v: V) => Promise<T>) {
  const queryClient = useQueryClient();
  return useMutation<T, ApiError | Error, V>({ mutationFn: fn, onSettled: () => queryClient.invalidateQueries({ queryKey: passkeysQueryKey }) });
}

export const useAddPasskey = () => useListChange(addPasskey);
export const useRenamePasskey = () => useListChange(renamePasskey);
export const useRemovePasskey = () => useListChange(removePasskey);
