import { useMutation, useQueryClient } from '@tanstack/react-query';
import { apiDelete, apiPost, apiRequest, segment } from '../../../lib/api-client.ts';
import type { ApiError } from '../../../lib/api-client.ts';
import { userQueryKey, usersQueryKey, type AdminUser } from './users.ts';

export interface UserChange {
  /** The version the page showed. */
  updatedAt: number;
  role?: 'user' | 'admin';
  disabled?: boolean;
  /** The admin confirmed a change to their own account. */
  confirmSelf?: boolean;
}

/** Every user-page action refreshes the page and the list either way, so a 404 or 409 shows the truth. */
function useUserAction<T, V>(id: string, fn: (v: V) => Promise<T>) {
  const queryClient = useQueryClient();
  return useMutation<T, ApiError, V>({
    mutationFn: fn,
    onSettled: async () => {
      await queryClient.invalidateQueries({ queryKey: userQueryKey(id) });
      await queryClient.invalidateQueries({ queryKey: usersQueryKey, exact: false, refetchType: 'none' });
    },
  });
}

export const useChangeUser = (id: string) =>
  useUserAction(id, (c: UserChange) => apiRequest<{ user: AdminUser }>('PATCH', `/bff/admin/users/${segment(id)}`, { body: c }));

/**
 * Unlike the others, a delete does not refetch the user: that 404 would replace the page (and the
 * dialog that asked) before the caller's onSuccess could say the deletion went through.
 */
export function useDeleteUser(id: string) {
  const queryClient = useQueryClient();
  return useMutation<{ ok: true }, ApiError, { confirmEmail: string; confirmSelf?: boolean }>({
    mutationFn: (b) => apiDelete<{ ok: true }>(`/bff/admin/users/${segment(id)}`, b),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: usersQueryKey, exact: false, refetchType: 'none' }),
    onError: () => queryClient.invalidateQueries({ queryKey: userQueryKey(id) }),
  });
}

export const useEndUserSession = (id: string) =>
  useUserAction(id, (handle: string) => apiDelete<{ ok: true }>(`/bff/admin/users/${segment(id)}/sessions/${segment(handle)}`));

export const useSignOutEverywhere = (id: string) =>
  useUserAction(id, () => apiPost<{ ok: true; ended: number }>(`/bff/admin/users/${segment(id)}/sessions/sign-out-everywhere`, {}));

export const useRevokeUserApp = (id: string) =>
  useUserAction(id, (clientId: string) => apiDelete<{ ok: true }>(`/bff/admin/users/${segment(id)}/apps/${segment(clientId)}`));

export const useMailUser = (id: string) =>
  useUserAction(id, () => apiPost<{ sent: 'invitation' | 'password_reset' }>(`/bff/admin/users/${segment(id)}/mail`, {}));

/** Sets the person's sign-in username (seed 002's "Operator Username"), or removes it with an empty one. */
export const useSetUsername = (id: string) =>
  useUserAction(id, (username: string) =>
    apiRequest<{ user: unknown }>('PUT', `/bff/admin/users/${segment(id)}/username`, { body: { username: username.trim() === '' ? null : username.trim() } }),
  );

export interface RemovedFactors {
  totp: boolean;
  recoveryCodes: number;
  passkeys: number;
}

/** Removes the person's authenticator app, recovery codes and passkeys (a lost phone or key). */
export const useResetFactors = (id: string) =>
  useUserAction(id, () => apiPost<{ removed: RemovedFactors }>(`/bff/admin/users/${segment(id)}/second-factors/reset`, {}));

/** Removes one upstream identity from the person (and the upstream tokens kept with it). */
export const useUnlinkIdentity = (id: string) =>
  useUserAction(id, (i: { connectionId: string; subject: string }) => apiPost<{ ok: true }>(`/bff/admin/users/${segment(id)}/identities/unlink`, i));
