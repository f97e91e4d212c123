import { useMutation } from '@tanstack/react-query';
import { apiPost, segment } from '../../../lib/api-client.ts';
import type { ApiError } from '../../../lib/api-client.ts';
import { leaveTo } from '../../../lib/navigation.ts';

/** Where a finishing step goes next: the app, or (an account with a second factor) this screen again, which then asks for it. */
const onward = (answer: { redirectTo?: string }) => (answer.redirectTo ? leaveTo(answer.redirectTo) : window.location.reload());

const base = (uid: string) => `/bff/interaction/${segment(uid)}/verify-email`;

/** The emailed code; the interaction finishes when it is right. */
export function useSubmitCode(uid: string) {
  return useMutation<{ redirectTo: string }, ApiError, string>({
    mutationFn: (code) => apiPost<{ redirectTo: string }>(base(uid), { code }),
    onSuccess: onward,
  });
}

/** After the mail's link was opened (maybe elsewhere): finishes once the email is verified. */
export function useContinueVerified(uid: string) {
  return useMutation<{ redirectTo: string }, ApiError, void>({
    mutationFn: () => apiPost<{ redirectTo: string }>(`${base(uid)}/continue`, {}),
    onSuccess: onward,
  });
}

export function useResendCode(uid: string) {
  return useMutation<{ ok: true; email: string }, ApiError, void>({
    mutationFn: () => apiPost<{ ok: true; email: string }>(`${base(uid)}/resend`, {}),
  });
}

export interface CodeSent {
  next: 'email_code';
  email: string;
  message: string;
}

/** "Email me a sign-in code": the same answer for every email. */
export function useRequestSignInCode(uid: string) {
  return useMutation<CodeSent, ApiError, string>({
    mutationFn: (email) => apiPost<CodeSent>(`/bff/interaction/${segment(uid)}/email-code`, { email }),
  });
}

/** The emailed sign-in code; the interaction finishes when it is right. */
export function useSubmitSignInCode(uid: string) {
  return useMutation<{ redirectTo: string }, ApiError, string>({
    mutationFn: (code) => apiPost<{ redirectTo: string }>(`/bff/interaction/${segment(uid)}/email-code/verify`, { code }),
    onSuccess: onward,
  });
}

/** SIGNUP=open: creates the account; the answer asks for the emailed code (or finishes). */
export function useSignUp(uid: string) {
  return useMutation<{ redirectTo: string } | { next: 'verify_email'; email: string }, ApiError, { email: string; name: string; password: string }>({
    mutationFn: (input) => apiPost(`/bff/interaction/${segment(uid)}/sign-up`, input),
    onSuccess: (answer) => {
      if ('redirectTo' in answer) leaveTo(answer.redirectTo);
    },
  });
}
