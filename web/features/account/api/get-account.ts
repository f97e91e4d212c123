import { queryOptions, useQuery } from '@tanstack/react-query';
import { apiGet } from '../../../lib/api-client.ts';

export interface ConnectedApp {
  clientId: string;
  name: string;
  logoUrl: string | null;
  scopes: { name: string; description: string }[];
  grantedAt: string | number;
}

export interface ImpersonationRecord {
  at: string | number;
  admin: { email: string; name: string };
  reason: string;
  durationMinutes: number;
}

export interface Account {
  user: { id: string; email: string; name: string; role: string; createdAt: string | number };
  connectedApps: ConnectedApp[];
  impersonations: ImpersonationRecord[];
}

export const accountQueryKey = ['account'] as const;

export function getAccount(signal?: AbortSignal): Promise<Account> {
  return apiGet<Account>('/bff/account', { signal });
}

export function accountQueryOptions() {
  return queryOptions({
    queryKey: accountQueryKey,
    queryFn: ({ signal }) => getAccount(signal),
  });
}

export function useAccount(enabled = true) {
  return useQuery({ ...accountQueryOptions(), enabled });
}
