import { infiniteQueryOptions, queryOptions, useInfiniteQuery, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { apiGet, apiPost, segment } from '../../../lib/api-client.ts';
import type { ApiError } from '../../../lib/api-client.ts';
import type { DeviceSession } from '../../account/api/sessions.ts';
import type { ConnectedApp } from '../../account/api/get-account.ts';

export interface AdminUser {
  id: string;
  email: string;
  name: string;
  role: 'user' | 'admin';
  disabled: boolean;
  emailVerified: boolean;
  hasPassword: boolean;
  createdAt: number;
  /** The version a change must name (409 when someone changed it since). */
  updatedAt: number;
  lastSignInAt: number | null;
  username: string | null;
  /** The password is an initial one an administrator set: their next sign-in asks for a new one. */
  mustChangePassword: boolean;
}

export interface UserFilters {
  query: string;
  sort: 'created' | 'lastSignIn';
  admin: boolean;
  disabled: boolean;
  unverified: boolean;
  /** Only people with an authenticator app or a passkey. */
  secondFactor: boolean;
}

/** The list's yes/no filters, as the address and the BFF name them. */
export const USER_FLAGS = ['admin', 'disabled', 'unverified', 'secondFactor'] as const;

export interface UserPage {
  users: AdminUser[];
  /** The next page's cursor; null on the last page. */
  next: string | null;
}

export interface LinkedIdentity {
  connectionId: string;
  connection: string;
  subject: string;
  email: string | null;
  linkedAt: number | null;
  lastUsedAt: number;
}

export interface UserDetails {
  user: AdminUser;
  sessions: DeviceSession[];
  apps: ConnectedApp[];
  identities: LinkedIdentity[];
}

export const usersQueryKey = ['admin', 'users'] as const;
export const userQueryKey = (id: string) => ['admin', 'users', 'one', id] as const;

export function userSearch(f: UserFilters, after: string | null): string {
  const p = new URLSearchParams();
  if (f.query.trim()) p.set('query', f.query.trim());
  p.set('sort', f.sort);
  for (const k of USER_FLAGS) if (f[k]) p.set(k, '1');
  if (after) p.set('after', after);
  return p.toString();
}

export function usersQueryOptions(f: UserFilters) {
  return infiniteQueryOptions({
    queryKey: [...usersQueryKey, 'list', f],
    queryFn: ({ pageParam, signal }) => apiGet<UserPage>(`/bff/admin/users?${userSearch(f, pageParam)}`, { signal }),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.next,
  });
}

export function useUsers(f: UserFilters) {
  return useInfiniteQuery(usersQueryOptions(f));
}

export function useUser(id: string) {
  return useQuery(queryOptions({ queryKey: userQueryKey(id), queryFn: ({ signal }) => apiGet<UserDetails>(`/bff/admin/users/${segment(id)}`, { signal }) }));
}

export function useInviteUser() {
  const queryClient = useQueryClient();
  return useMutation<{ user: AdminUser }, ApiError, { email: string; name?: string; initialPassword?: string }>({
    mutationFn: (body) => apiPost('/bff/admin/users', body),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: usersQueryKey }),
  });
}
