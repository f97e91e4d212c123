/** The organizations admin API (/bff/admin/organizations): fetchers, query options and hooks. */
import { queryOptions, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { apiGet, apiPost, apiRequest, segment } from '../../../lib/api-client.ts';
import type { ApiError } from '../../../lib/api-client.ts';

export interface Organization {
  id: string;
  name: string;
  createdAt: number;
  /** The version a rename or deletion must name (another admin's change makes it stale). */
  updatedAt: number;
}

export interface Member {
  userId: string;
  email: string;
  name: string;
  role: string;
  createdAt: number;
}

export type InvitationStatus = 'pending' | 'accepted' | 'revoked' | 'expired';

export interface OrgInvitation {
  id: string;
  email: string;
  role: string;
  createdAt: number;
  expiresAt: number;
  status: InvitationStatus;
}

export interface OrganizationDetail {
  organization: Organization;
  members: Member[];
  invitations: OrgInvitation[];
  connections: Array<{ id: string; name: string; issuer: string; domains: string[] }>;
}

export interface SentInvitation {
  invitation: OrgInvitation;
  /** Shown once: the partner app redeems it at the person's next sign-in. */
  token: string;
  /** The person had no password: they were mailed the link to set one. */
  accountMailQueued: boolean;
}

/** The roles with permissions (orgs/orgs.ts ROLE_PERMISSIONS), in the order the screen offers them. */
export const ROLES = ['member', 'admin', 'owner'] as const;

const listKey = ['admin', 'organizations'] as const;
const detailKey = (id: string) => ['admin', 'organizations', id] as const;
const base = (id: string) => `/bff/admin/organizations/${segment(id)}`;

export function organizationsQueryOptions() {
  return queryOptions({ queryKey: listKey, queryFn: ({ signal }) => apiGet<{ organizations: Organization[] }>('/bff/admin/organizations', { signal }) });
}

export function organizationQueryOptions(id: string) {
  return queryOptions({ queryKey: detailKey(id), queryFn: ({ signal }) => apiGet<OrganizationDetail>(base(id), { signal }) });
}

export const useOrganizations = () => useQuery(organizationsQueryOptions());
export const useOrganization = (id: string) => useQuery(organizationQueryOptions(id));

/** A mutation that refreshes the list and the organization's page when it settles (a 409 shows the other admin's change). */
function useOrgMutation<T, V>(orgId: string | null, call: (v: V) => Promise<T>) {
  const queryClient = useQueryClient();
  return useMutation<T, ApiError, V>({
    mutationFn: call,
    onSettled: async () => {
      await queryClient.invalidateQueries({ queryKey: listKey, exact: true });
      if (orgId) await queryClient.invalidateQueries({ queryKey: detailKey(orgId) });
    },
  });
}

export const useCreateOrganization = () =>
  useOrgMutation(null, (name: string) => apiPost<{ organization: Organization }>('/bff/admin/organizations', { name }));

export const useRenameOrganization = (id: string) =>
  useOrgMutation(id, (v: { name: string; updatedAt: number }) => apiRequest<{ organization: Organization }>('PATCH', base(id), { body: v }));

export const useDeleteOrganization = (id: string) =>
  useOrgMutation(id, (v: { confirmName: string; updatedAt: number }) => apiRequest<{ ok: true }>('DELETE', base(id), { body: v }));

export const useAddMember = (id: string) => useOrgMutation(id, (v: { email: string; role: string }) => apiPost<{ ok: true }>(`${base(id)}/members`, v));

export const useChangeRole = (id: string) =>
  useOrgMutation(id, (v: { userId: string; role: string; expectedRole: string }) =>
    apiRequest<{ ok: true }>('PUT', `${base(id)}/members/${segment(v.userId)}`, { body: { role: v.role, expectedRole: v.expectedRole } }),
  );

export const useRemoveMember = (id: string) =>
  useOrgMutation(id, (userId: string) => apiRequest<{ ok: true }>('DELETE', `${base(id)}/members/${segment(userId)}`));

export const useInvite = (id: string) => useOrgMutation(id, (v: { email: string; role: string }) => apiPost<SentInvitation>(`${base(id)}/invitations`, v));

export const useResendInvitation = (id: string) =>
  useOrgMutation(id, (invitationId: string) => apiPost<SentInvitation>(`${base(id)}/invitations/${segment(invitationId)}/resend`));

export const useRevokeInvitation = (id: string) =>
  useOrgMutation(id, (invitationId: string) => apiRequest<{ ok: true }>('DELETE', `${base(id)}/invitations/${segment(invitationId)}`));
