import { queryOptions, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { apiDelete, apiGet, apiPost, segment } from '../../../lib/api-client.ts';
import type { ApiError } from '../../../lib/api-client.ts';
import type { DeviceSession, DeviceSessionsWire } from '../../../../api/sessions.ts';

export type { DeviceSession };

export const sessionsQueryKey = ['account', 'sessions'] as const;

export function getSessions(signal?: AbortSignal): Promise<DeviceSessionsWire> {
  return apiGet<DeviceSessionsWire>('/bff/account/sessions', { signal });
}

export function useSessions() {
  return useQuery(queryOptions({ queryKey: sessionsQueryKey, queryFn: ({ signal }) => getSessions(signal) }));
}

export function useEndSession() {
  const queryClient = useQueryClient();
  return useMutation<{ ok: true; signedOut: boolean }, ApiError, string>({
    mutationFn: (handle) => apiDelete(`/bff/account/sessions/${segment(handle)}`),
    // A 404 means it had already ended: refetch either way so the list is true.
    onSettled: () => queryClient.invalidateQueries({ queryKey: sessionsQueryKey }),
  });
}

export function useEndOtherSessions() {
  const queryClient = useQueryClient();
  return useMutation<{ ok: true; ended: number }, ApiError, void>({
    mutationFn: () => apiPost('/bff/account/sessions/sign-out-others', {}),
    onSettled: () => queryClient.invalidateQueries({ queryKey: sessionsQueryKey }),
  });
}
