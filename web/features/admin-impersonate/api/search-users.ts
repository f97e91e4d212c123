import { keepPreviousData, queryOptions, useQuery } from '@tanstack/react-query';
import { apiGet } from '../../../lib/api-client.ts';

export interface AdminUser {
  id: string;
  email: string;
  name: string;
  role: string;
  disabled: boolean;
  createdAt: string | number;
}

export function searchUsers(query: string, signal?: AbortSignal): Promise<{ users: AdminUser[] }> {
  return apiGet<{ users: AdminUser[] }>(`/bff/admin/users?query=${encodeURIComponent(query)}`, { signal });
}

export function userSearchQueryOptions(query: string) {
  return queryOptions({
    queryKey: ['admin', 'users', query],
    queryFn: ({ signal }) => searchUsers(query, signal),
    // Keeps the last results on screen while the next search runs, instead of flashing a spinner per keystroke.
    placeholderData: keepPreviousData,
  });
}

export function useUserSearch(query: string) {
  return useQuery(userSearchQueryOptions(query));
}

/** Why a user cannot be picked, or null when they can (the server checks again). */
export function unavailableReason(user: AdminUser): string | null {
  if (user.role === 'admin') return 'administrator';
  if (user.disabled) return 'disabled';
  return null;
}
