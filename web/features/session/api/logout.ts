import { useMutation } from '@tanstack/react-query';
import { apiPost } from '../../../lib/api-client.ts';
import { leaveTo } from '../../../lib/navigation.ts';

export function logout(): Promise<{ redirectTo: string }> {
  return apiPost<{ redirectTo: string }>('/bff/logout');
}

/** Signs out, then follows the BFF's redirect (which may end the provider session too). */
export function useLogout() {
  return useMutation({
    mutationFn: logout,
    onSuccess: ({ redirectTo }) => leaveTo(redirectTo || '/'),
  });
}
