import { queryOptions, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { PublicKeyCredentialCreationOptionsJSON, PublicKeyCredentialRequestOptionsJSON } from '@simplewebauthn/browser';
import { apiDelete, apiGet, apiPost, segment } from '../../../lib/api-client.ts';
import type { ApiError } from '../../../lib/api-client.ts';
import { leaveTo } from '../../../lib/navigation.ts';
import { createPasskey, getPasskey } from '../../passkeys/lib/webauthn.ts';

/** A code answer: from the authenticator app, or one of the recovery codes. */
export interface CodeAnswer {
  method: 'totp' | 'recovery_code';
  code: string;
}

export interface MfaStatus {
  totp: { enabled: boolean; createdAt: number | null };
  recoveryCodes: { remaining: number };
  /** MFA_ADMINS / MFA_USERS=required applies to this account. */
  required: boolean;
  setupRequired: boolean;
}

export interface TotpSetup {
  secret: string;
  uri: string;
  /** A data: URL of the QR code image. */
  qrCode: string;
}

/** Status, plus the recovery codes when this answer made new ones (shown once). */
export type MfaChange = MfaStatus & { newRecoveryCodes: string[] | null };

const key = ['account', 'mfa'] as const;

export function mfaQueryOptions() {
  return queryOptions({ queryKey: key, queryFn: ({ signal }) => apiGet<MfaStatus>('/bff/account/mfa', { signal }) });
}

export function useMfaStatus() {
  return useQuery(mfaQueryOptions());
}

function useMfaMutation<V>(run: (v: V) => Promise<MfaChange>) {
  const client = useQueryClient();
  return useMutation<MfaChange, ApiError, V>({
    mutationFn: run,
    onSuccess: ({ newRecoveryCodes: _shownOnce, ...status }) => client.setQueryData(key, status),
  });
}

export function useStartTotpSetup() {
  return useMutation<TotpSetup, ApiError, void>({ mutationFn: () => apiPost<TotpSetup>('/bff/account/mfa/totp/setup', {}) });
}

export function useConfirmTotp() {
  return useMfaMutation<string>((code) => apiPost<MfaChange>('/bff/account/mfa/totp/confirm', { code }));
}

export function useRegenerateCodes() {
  return useMfaMutation<void>(() => apiPost<MfaChange>('/bff/account/mfa/recovery-codes', {}));
}

export function useRemoveTotp() {
  const client = useQueryClient();
  return useMutation<MfaStatus, ApiError, void>({
    mutationFn: () => apiDelete<MfaStatus>('/bff/account/mfa/totp'),
    onSuccess: (status) => client.setQueryData(key, status),
  });
}

/** Step-up: a code now, for an action that needs a recent one. */
export function useStepUp() {
  return useMutation<{ ok: true }, ApiError, CodeAnswer>({ mutationFn: (answer) => apiPost<{ ok: true }>('/bff/mfa/step-up', answer) });
}

const step = (uid: string) => `/bff/interaction/${segment(uid)}/second-factor`;

/** The sign-in's second-factor step, answered with a code; the interaction finishes when it is right. */
export function useAnswerCode(uid: string) {
  return useMutation<{ redirectTo: string }, ApiError, CodeAnswer>({
    mutationFn: (answer) => apiPost<{ redirectTo: string }>(step(uid), answer),
    onSuccess: ({ redirectTo }) => leaveTo(redirectTo),
  });
}

/** The same step answered with a passkey: the portal's options, the browser's passkey prompt, the portal's check. */
export function useAnswerPasskey(uid: string) {
  return useMutation<{ redirectTo: string }, unknown, void>({
    mutationFn: async () => {
      const { options } = await apiPost<{ options: PublicKeyCredentialRequestOptionsJSON }>(`${step(uid)}/passkey/options`, {});
      return apiPost<{ redirectTo: string }>(`${step(uid)}/passkey`, { response: await getPasskey(options) });
    },
    onSuccess: ({ redirectTo }) => leaveTo(redirectTo),
  });
}

/** The sign-in held until a second factor is set up: the calls of its setup step. */
const setup = (uid: string) => `${step(uid)}/setup`;

/** Where the sign-in goes once the factor is set up, with the recovery codes to show first (an app). */
export interface SetupDone {
  redirectTo: string;
  newRecoveryCodes: string[] | null;
}

export function useStartSetupInSignIn(uid: string) {
  return useMutation<TotpSetup, ApiError, void>({ mutationFn: () => apiPost<TotpSetup>(`${setup(uid)}/totp`, {}) });
}

export function useConfirmSetupInSignIn(uid: string) {
  return useMutation<SetupDone, ApiError, string>({ mutationFn: (code) => apiPost<SetupDone>(`${setup(uid)}/totp/confirm`, { code }) });
}

/** A new passkey as the sign-in's second factor: the portal's options, the browser's new credential, the portal's check. */
export function useAddPasskeyInSignIn(uid: string) {
  return useMutation<{ redirectTo: string }, ApiError | Error, string>({
    mutationFn: async (name) => {
      const { options } = await apiPost<{ options: PublicKeyCredentialCreationOptionsJSON }>(`${setup(uid)}/passkey/options`, {});
      return apiPost<{ redirectTo: string }>(`${setup(uid)}/passkey`, { name, response: await createPasskey(options) });
    },
    onSuccess: ({ redirectTo }) => leaveTo(redirectTo),
  });
}

/** Step-up with a passkey that verifies its user: the portal's options, the browser's prompt, the portal's check. */
export function useStepUpWithPasskey() {
  return useMutation<{ ok: true }, ApiError | Error, void>({
    mutationFn: async () => {
      const { options } = await apiPost<{ options: PublicKeyCredentialRequestOptionsJSON }>('/bff/mfa/step-up/passkey/options', {});
      return apiPost<{ ok: true }>('/bff/mfa/step-up/passkey', { response: await getPasskey(options) });
    },
  });
}
