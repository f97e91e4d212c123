import { useMutation } from '@tanstack/react-query';
import { apiPost, segment } from '../../../lib/api-client.ts';
import type { ApiError } from '../../../lib/api-client.ts';
import { leaveTo } from '../../../lib/navigation.ts';

export function submitConsent(uid: string, scopes: string[]): Promise<{ redirectTo: string }> {
  return apiPost<{ redirectTo: string }>(`/bff/interaction/${segment(uid)}/consent`, { scopes });
}

export function useSubmitConsent(uid: string) {
  return useMutation<{ redirectTo: string }, ApiError, string[]>({
    mutationFn: (scopes) => submitConsent(uid, scopes),
    onSuccess: ({ redirectTo }) => leaveTo(redirectTo),
  });
}
