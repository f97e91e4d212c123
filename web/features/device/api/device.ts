import { useMutation } from '@tanstack/react-query';
import { apiPost } from '../../../lib/api-client.ts';
import type { ApiError } from '../../../lib/api-client.ts';

export interface DeviceRequest {
  app: { name: string; logoUrl: string | null };
  scopes: Array<{ name: string; description: string }>;
  expiresAt: number;
}

/** What the device behind a user code asks for (a wrong code counts against the person). */
export function lookupDevice(userCode: string): Promise<DeviceRequest> {
  return apiPost<DeviceRequest>('/bff/device/lookup', { userCode });
}

export function useLookupDevice() {
  return useMutation<DeviceRequest, ApiError, string>({ mutationFn: lookupDevice });
}

/** Approves or denies the device's sign-in. */
export function decideDevice(input: { userCode: string; approve: boolean }): Promise<{ ok: true }> {
  return apiPost<{ ok: true }>(input.approve ? '/bff/device/approve' : '/bff/device/deny', { userCode: input.userCode });
}

export function useDecideDevice() {
  return useMutation<{ ok: true }, ApiError, { userCode: string; approve: boolean }>({ mutationFn: decideDevice });
}
