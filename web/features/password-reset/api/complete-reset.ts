import { useMutation } from '@tanstack/react-query';
import { apiPost } from '../../../lib/api-client.ts';
import type { ApiError } from '../../../lib/api-client.ts';

export interface NewPassword {
  token: string;
  password: string;
  signOutEverywhere: boolean;
}

export interface ResetDone {
  ok: true;
  email: string;
  signedOutEverywhere: boolean;
}

export function completeReset(body: NewPassword): Promise<ResetDone> {
  return apiPost<ResetDone>('/bff/password-reset/complete', body);
}

export function useCompleteReset() {
  return useMutation<ResetDone, ApiError, NewPassword>({ mutationFn: completeReset });
}
