import { useMutation } from '@tanstack/react-query';
import { apiPost, segment } from '../../../lib/api-client.ts';
import type { ApiError } from '../../../lib/api-client.ts';
import { leaveTo } from '../../../lib/navigation.ts';

/** Completes the sign-in-as step of an impersonation the admin just started in this browser. */
export function continueImpersonation(uid: string): Promise<{ redirectTo: string }> {
  return apiPost<{ redirectTo: string }>(`/bff/interaction/${segment(uid)}/impersonate`, {});
}

export function useContinueImpersonation(uid: string) {
  return useMutation<{ redirectTo: string }, ApiError, void>({
    mutationFn: () => continueImpersonation(uid),
    onSuccess: ({ redirectTo }) => leaveTo(redirectTo),
  });
}
