/**
 * Organizations, memberships and invitations: the records and the store
 * sub-interface (`Store['orgs']`). Times are epoch milliseconds.
 */

export interface Organization {
  /** `org_…` */
  id: string;
  name: string;
  createdAt: number;
  updatedAt: number;
}

export interface Membership {
  userId: string;
  organizationId: string;
  /** `member` unless the invitation or the operator said otherwise. */
  role: string;
  createdAt: number;
}

export interface Invitation {
  /** `inv_…` */
  id: string;
  /** SHA-256 (hex) of the token; the token itself is never stored. */
  tokenHash: string;
  organizationId: string;
  /** Normalised email of the person invited. */
  email: string;
  role: string;
  createdAt: number;
  expiresAt: number;
  acceptedAt: number | null;
  acceptedBy: string | null;
  /** When an administrator took it back (it can no longer be accepted); absent or null otherwise. */
  revokedAt?: number | null;
}

/** A membership with the member's name and email, as the console lists them. */
export interface Member extends Membership {
  email: string;
  name: string;
}

/** The organization an OAuth grant acts for, with the member's role in it. */
export interface GrantOrganization {
  grantId: string;
  userId: string;
  organizationId: string;
  /** The membership's current role, or null when the membership is gone. */
  role: string | null;
}

export interface AcceptInvitationInput {
  invitationId: string;
  userId: string;
  /** The grant whose tokens will carry the organization. */
  grantId: string;
  now: number;
}

export interface AcceptedInvitation {
  /** False when the user was already a member (their role is kept). */
  membershipCreated: boolean;
  /** The grant's organization before, so a failed redemption can put it back. */
  previousOrganizationId: string | null;
}

export interface OrgsStore {
  /** Throws ConflictError when the name (case-insensitively) or id exists. */
  create(org: { id: string; name: string }, now: number): Promise<Organization>;
  find(id: string): Promise<Organization | null>;
  /** Case-insensitive exact match. */
  findByName(name: string): Promise<Organization | null>;
  list(): Promise<Organization[]>;
  /**
   * Renames it only while its updatedAt still equals `expectedUpdatedAt` (another admin's change
   * wins: the caller tells the admin). Null when it changed or is gone; ConflictError on a duplicate name.
   */
  rename(id: string, name: string, expectedUpdatedAt: number, now: number): Promise<Organization | null>;
  /** Deletes it (memberships, invitations and grant links with it) only while updatedAt equals `expectedUpdatedAt`. */
  delete(id: string, expectedUpdatedAt: number): Promise<boolean>;
  /** Oldest first. */
  listMembers(organizationId: string): Promise<Member[]>;
  /** Changes the role only while it is still `expectedRole`; false when it changed or the membership is gone. */
  setMembershipRole(userId: string, organizationId: string, role: string, expectedRole: string): Promise<boolean>;

  /** Adds the membership unless it exists (an existing role is kept). */
  addMembership(m: { userId: string; organizationId: string; role: string }, now: number): Promise<{ membership: Membership; created: boolean }>;
  findMembership(userId: string, organizationId: string): Promise<Membership | null>;
  /** Oldest first. */
  listMemberships(userId: string): Promise<Membership[]>;
  removeMembership(userId: string, organizationId: string): Promise<boolean>;

  createInvitation(inv: Invitation): Promise<void>;
  findInvitationByTokenHash(tokenHash: string): Promise<Invitation | null>;
  findInvitation(id: string): Promise<Invitation | null>;
  /** Newest first. */
  listInvitations(organizationId: string): Promise<Invitation[]>;
  /** Takes back an invitation nobody accepted yet; false when it was accepted, revoked already or is gone. */
  revokeInvitation(id: string, now: number): Promise<boolean>;
  /**
   * In one transaction: marks the invitation accepted only if it is still
   * unused, unrevoked and unexpired (a conditional UPDATE, so of racing acceptances
   * exactly one wins), adds the membership, and points the grant at the
   * organization. Null when the invitation was no longer acceptable.
   */
  acceptInvitation(input: AcceptInvitationInput): Promise<AcceptedInvitation | null>;
  /** Undoes acceptInvitation (the redemption it was for failed). */
  revertInvitation(input: AcceptInvitationInput & AcceptedInvitation): Promise<void>;

  setGrantOrganization(grantId: string, userId: string, organizationId: string, now: number): Promise<void>;
  findGrantOrganization(grantId: string): Promise<GrantOrganization | null>;
  deleteGrantOrganization(grantId: string): Promise<void>;
}
