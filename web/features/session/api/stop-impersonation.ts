import { useMutation } from '@tanstack/react-query';
import { apiPost } from '../../../lib/api-client.ts';
import { leaveTo } from '../../../lib/navigation.ts';

export function stopImpersonation(): Promise<{ redirectTo: string }> {
  return apiPost<{ redirectTo: string }>('/bff/impersonation/stop');
}

export function useStopImpersonation() {
  return useMutation({
    mutationFn: stopImpersonation,
    onSuccess: ({ redirectTo }) => leaveTo(redirectTo || '/'),
  });
}
