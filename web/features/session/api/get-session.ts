import { queryOptions, useQuery } from '@tanstack/react-query';
import { apiGet } from '../../../lib/api-client.ts';

/** 'admin' or 'user' today; kept open so a new role does not break the page. */
export type Role = string;

export interface SessionUser {
  id: string;
  email: string;
  name: string;
  role: Role;
}

export interface Impersonation {
  impersonator: { id: string; email: string; name: string };
  reason: string;
  expiresAt: string | number;
}

export type Session =
  | { authenticated: false }
  | {
      authenticated: true;
      user: SessionUser;
      expiresAt: string | number;
      impersonation: Impersonation | null;
      /** MFA_ADMINS / MFA_USERS=required and no second factor yet: the account screen shows only the setup. */
      secondFactorSetupRequired?: boolean;
    };

export const sessionQueryKey = ['session'] as const;

export function getSession(signal?: AbortSignal): Promise<Session> {
  return apiGet<Session>('/bff/session', { signal });
}

export function sessionQueryOptions() {
  return queryOptions({
    queryKey: sessionQueryKey,
    queryFn: ({ signal }) => getSession(signal),
    staleTime: 30_000,
  });
}

export function useSession() {
  return useQuery(sessionQueryOptions());
}
