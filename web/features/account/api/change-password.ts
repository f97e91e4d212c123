import { useMutation } from '@tanstack/react-query';
import { apiPost } from '../../../lib/api-client.ts';
import type { ApiError } from '../../../lib/api-client.ts';

export interface PasswordChange {
  currentPassword: string;
  newPassword: string;
}

export function changePassword(change: PasswordChange): Promise<{ ok: true }> {
  return apiPost<{ ok: true }>('/bff/account/password', change);
}

export function useChangePassword() {
  return useMutation<{ ok: true }, ApiError, PasswordChange>({
    mutationFn: changePassword,
  });
}
