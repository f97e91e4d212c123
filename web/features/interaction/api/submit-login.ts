import { useMutation } from '@tanstack/react-query';
import { apiPost, segment } from '../../../lib/api-client.ts';
import type { ApiError } from '../../../lib/api-client.ts';
import { leaveTo } from '../../../lib/navigation.ts';

export interface Credentials {
  email: string;
  password: string;
}

export function submitLogin(uid: string, credentials: Credentials): Promise<{ redirectTo: string }> {
  return apiPost<{ redirectTo: string }>(`/bff/interaction/${segment(uid)}/login`, credentials);
}

export function useSubmitLogin(uid: string) {
  return useMutation<{ redirectTo: string }, ApiError, Credentials>({
    mutationFn: (credentials) => submitLogin(uid, credentials),
    onSuccess: ({ redirectTo }) => leaveTo(redirectTo),
  });
}
