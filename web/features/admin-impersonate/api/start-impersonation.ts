import { useMutation } from '@tanstack/react-query';
import { apiPost } from '../../../lib/api-client.ts';
import type { ApiError } from '../../../lib/api-client.ts';
import { leaveTo } from '../../../lib/navigation.ts';

export interface ImpersonationRequest {
  userId: string;
  reason: string;
  durationMinutes: number;
}

export function startImpersonation(input: ImpersonationRequest): Promise<{ redirectTo: string }> {
  return apiPost<{ redirectTo: string }>('/bff/impersonation/start', input);
}

/**
 * Starts impersonating, then reloads the page at the BFF's `redirectTo`: the
 * browser now holds the user's session, and nothing cached from the admin's
 * session may survive into it.
 */
export function useStartImpersonation() {
  return useMutation<{ redirectTo: string }, ApiError, ImpersonationRequest>({
    mutationFn: startImpersonation,
    onSuccess: ({ redirectTo }) => leaveTo(redirectTo || '/'),
  });
}
