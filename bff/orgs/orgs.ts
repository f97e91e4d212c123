/**
 * Organizations and invitations: creating them, checking an invitation
 * against the person signing in, and the roles and permissions a membership
 * puts in access tokens. The CLI and the WorkOS translator share these.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Store, User } from '../store/store.ts';
import { ConflictError } from '../store/store.ts';
import { AppError, badRequest, conflict, notFound } from '../http/errors.ts';
import { emailProblem, normaliseEmail } from '../accounts/email.ts';
import { INVITATION_ERRORS, ORGANIZATION_ERRORS, type OrganizationErrorCode } from '../../api/errors.ts';
import type { Invitation, Organization } from '../store/orgs.ts';

/** How long an invitation can be accepted. */
export const INVITATION_TTL_MS = 7 * 24 * 3600 * 1000;

export const DEFAULT_ROLE = 'member';

/** What each role may do; unknown (custom) roles carry no permission. */
export const ROLE_PERMISSIONS: Readonly<Record<string, readonly string[]>> = {
  owner: ['organization:read', 'organization:manage', 'members:read', 'members:invite', 'members:manage'],
  admin: ['organization:read', 'members:read', 'members:invite', 'members:manage'],
  member: ['organization:read', 'members:read'],
};

export function permissionsFor(role: string): string[] {
  return [...(ROLE_PERMISSIONS[role] ?? [])];
}

const ROLE_RE = /^[a-z][a-z0-9_-]{0,39}$/;

export function roleProblem(role: string): string | null {
  return ROLE_RE.test(role) ? null : 'A role is 1 to 40 lowercase letters, digits, - or _, starting with a letter.';
}

const newId = (prefix: string): string => `${prefix}_${randomBytes(16).toString('base64url')}`;

export const hashInvitationToken = (token: string): string => createHash('sha256').update(token, 'utf8').digest('hex');

export async function createOrganization(store: Store, rawName: string, now: number): Promise<Organization> {
  const name = (rawName ?? '').trim();
  if (!name) throw badRequest('invalid_name', 'An organization needs a name.', { name: 'A name is required.' });
  if (name.length > 100) throw badRequest('invalid_name', 'The name must be at most 100 characters.', { name: 'At most 100 characters.' });
  if (/[\u0000-\u001f\u007f]/.test(name)) throw badRequest('invalid_name', 'The name must not contain control characters.');
  try {
    return await store.orgs.create({ id: newId('org'), name }, now);
  } catch (e) {
    if (e instanceof ConflictError) throw conflict(ORGANIZATION_ERRORS.exists, `An organization named ${JSON.stringify(name)} already exists.`);
    throw e;
  }
}

/** Finds an organization by its id (`org_…`) or, failing that, its name. */
export async function resolveOrganization(store: Store, idOrName: string): Promise<Organization> {
  const org = (await store.orgs.find(idOrName)) ?? (await store.orgs.findByName(idOrName.trim()));
  if (!org) throw notFound(ORGANIZATION_ERRORS.not_found, `No organization with the id or name ${JSON.stringify(idOrName)}.`);
  return org;
}

export interface CreatedInvitation {
  invitation: Invitation;
  /** Shown once; only its hash is stored. */
  token: string;
}

export async function createInvitation(store: Store, input: { organizationId: string; email: string; role?: string }, now: number): Promise<CreatedInvitation> {
  const eProblem = emailProblem(input.email ?? '');
  if (eProblem) throw badRequest('invalid_email', eProblem, { email: eProblem });
  const role = input.role ?? DEFAULT_ROLE;
  const rProblem = roleProblem(role);
  if (rProblem) throw badRequest('invalid_role', rProblem, { role: rProblem });
  const token = randomBytes(24).toString('base64url');
  const invitation: Invitation = {
    id: newId('inv'),
    tokenHash: hashInvitationToken(token),
    organizationId: input.organizationId,
    email: normaliseEmail(input.email),
    role,
    createdAt: now,
    expiresAt: now + INVITATION_TTL_MS,
    acceptedAt: null,
    acceptedBy: null,
  };
  await store.orgs.createInvitation(invitation);
  return { invitation, token };
}

const invitationError = (code: OrganizationErrorCode, message: string) => new AppError(code, message, { status: 400 });

/**
 * The invitation behind `token`, if `user` may accept it now: it exists, is
 * unused, unexpired, and was sent to the user's email. Otherwise throws a 400
 * with one of INVITATION_ERRORS. Acceptance itself is store.orgs.acceptInvitation.
 */
export async function checkInvitation(store: Store, token: string, user: User, now: number): Promise<Invitation> {
  const inv = token ? await store.orgs.findInvitationByTokenHash(hashInvitationToken(token)) : null;
  if (!inv) throw invitationError(INVITATION_ERRORS.not_found, 'The invitation token is not valid.');
  if (inv.acceptedAt !== null) throw invitationError(INVITATION_ERRORS.used, 'The invitation has already been accepted.');
  if (inv.revokedAt) throw invitationError(INVITATION_ERRORS.revoked, 'The invitation was withdrawn by an administrator; ask for a new one.');
  if (inv.expiresAt <= now) throw invitationError(INVITATION_ERRORS.expired, 'The invitation has expired; ask for a new one.');
  if (inv.email !== normaliseEmail(user.email)) {
    throw invitationError(INVITATION_ERRORS.email, 'The invitation was sent to a different email address than the one that signed in.');
  }
  return inv;
}

/**
 * The organization a new grant acts for when nothing chose one: the grant's
 * earlier choice while the user is still a member, else the user's only
 * membership. With several memberships and no choice there is none (the
 * client picks one with `organization_id` on refresh).
 */
export async function defaultOrganization(store: Store, grantId: string, userId: string): Promise<string | null> {
  const current = await store.orgs.findGrantOrganization(grantId);
  if (current && current.userId === userId && current.role !== null) return current.organizationId;
  const memberships = await store.orgs.listMemberships(userId);
  return memberships.length === 1 ? memberships[0]!.organizationId : null;
}
