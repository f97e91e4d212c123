import { useMutation } from '@tanstack/react-query';
import { apiPost, segment } from '../../../lib/api-client.ts';
import type { ApiError } from '../../../lib/api-client.ts';
import { leaveTo } from '../../../lib/navigation.ts';

export interface Credentials {
  email: string;
  password: string;
}

/** Either the interaction finished, or a further sign-in step is needed (the emailed code). */
export type LoginAnswer = { redirectTo: string } | { next: 'verify_email'; email: string } | { next: 'second_factor'; factors: string[] } | { next: 'second_factor_setup' };

export function submitLogin(uid: string, credentials: Credentials): Promise<LoginAnswer> {
  return apiPost<LoginAnswer>(`/bff/interaction/${segment(uid)}/login`, credentials);
}

export function useSubmitLogin(uid: string) {
  return useMutation<LoginAnswer, ApiError, Credentials>({
    mutationFn: (credentials) => submitLogin(uid, credentials),
    onSuccess: (answer) => {
      if ('redirectTo' in answer) leaveTo(answer.redirectTo);
    },
  });
}
