import { useMutation, useQueryClient } from '@tanstack/react-query';
import type { PublicKeyCredentialRequestOptionsJSON } from '@simplewebauthn/browser';
import { apiPost, segment } from '../../../lib/api-client.ts';
import type { ApiError } from '../../../lib/api-client.ts';
import { leaveTo } from '../../../lib/navigation.ts';
import { getPasskey } from '../lib/webauthn.ts';

/** The interaction finished, or it waits at a further step (email verification, second factor). */
export type PasskeySignInAnswer = { redirectTo: string } | { next: string };

/** Options from the portal, a passkey from the browser (button or autofill), the answer to the interaction. */
export async function signInWithPasskey(uid: string, autofill: boolean): Promise<PasskeySignInAnswer> {
  const { options } = await apiPost<{ options: PublicKeyCredentialRequestOptionsJSON }>(`/bff/interaction/${segment(uid)}/passkey/options`);
  const response = await getPasskey(options, autofill);
  return apiPost<PasskeySignInAnswer>(`/bff/interaction/${segment(uid)}/passkey`, { response });
}

export function usePasskeySignIn(uid: string) {
  const queryClient = useQueryClient();
  return useMutation<PasskeySignInAnswer, ApiError | Error, { autofill: boolean }>({
    mutationFn: ({ autofill }) => signInWithPasskey(uid, autofill),
    onSuccess: (answer) => {
      if ('redirectTo' in answer) leaveTo(answer.redirectTo);
      // Another step now: the interaction says which, so the page shows it.
      else void queryClient.invalidateQueries({ queryKey: ['interaction', uid] });
    },
  });
}
