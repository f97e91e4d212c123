import { useMutation } from '@tanstack/react-query';
import { apiPost, segment } from '../../../lib/api-client.ts';
import type { ApiError } from '../../../lib/api-client.ts';
import { leaveTo } from '../../../lib/navigation.ts';

type Answer = { redirectTo: string } | { next: 'second_factor'; factors: string[] };

/** The person's own password in place of the initial one; the sign-in then goes on (to a second factor: this screen again, which asks for it). */
export function useChooseNewPassword(uid: string) {
  return useMutation<Answer, ApiError, string>({
    mutationFn: (password) => apiPost<Answer>(`/bff/interaction/${segment(uid)}/new-password`, { password }),
    onSuccess: (answer) => ('redirectTo' in answer ? leaveTo(answer.redirectTo) : window.location.reload()),
  });
}
