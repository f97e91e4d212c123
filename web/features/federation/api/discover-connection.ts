import { useMutation } from '@tanstack/react-query';
import { apiPost, segment } from '../../../lib/api-client.ts';
import type { ApiError } from '../../../lib/api-client.ts';
import type { ConnectionSummary } from './types.ts';

/** Home-realm discovery: the connection an email's domain signs in through, or null. */
export function discoverConnection(uid: string, email: string): Promise<{ connection: ConnectionSummary | null }> {
  return apiPost<{ connection: ConnectionSummary | null }>(`/bff/interaction/${segment(uid)}/discover`, { email });
}

export function useDiscoverConnection(uid: string) {
  return useMutation<{ connection: ConnectionSummary | null }, ApiError, string>({
    mutationFn: (email) => discoverConnection(uid, email),
  });
}
