import { useMutation } from '@tanstack/react-query';
import { apiPost } from '../../../lib/api-client.ts';
import type { ApiError } from '../../../lib/api-client.ts';

export interface ResetRequested {
  ok: true;
  message: string;
}

/** Asks for a reset link; the answer is the same whether or not the account exists. */
export function requestReset(email: string): Promise<ResetRequested> {
  return apiPost<ResetRequested>('/bff/password-reset', { email });
}

export function useRequestReset() {
  return useMutation<ResetRequested, ApiError, string>({ mutationFn: requestReset });
}
