import { useMutation } from '@tanstack/react-query';
import { apiPost, segment } from '../../../lib/api-client.ts';
import type { ApiError } from '../../../lib/api-client.ts';
import { leaveTo } from '../../../lib/navigation.ts';

export function denyInteraction(uid: string): Promise<{ redirectTo: string }> {
  return apiPost<{ redirectTo: string }>(`/bff/interaction/${segment(uid)}/deny`);
}

export function useDenyInteraction(uid: string) {
  return useMutation<{ redirectTo: string }, ApiError, void>({
    mutationFn: () => denyInteraction(uid),
    onSuccess: ({ redirectTo }) => leaveTo(redirectTo),
  });
}
