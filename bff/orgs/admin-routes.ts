/**
 * The console's organizations API (/bff/admin/organizations): list, create,
 * rename, delete; members and their roles; invitations. Admins only, every
 * change audited. Renames, deletions and role changes carry the version the
 * page saw, so an admin never overwrites another admin's change unawares.
 */
import { Router, type Request } from 'express';
import { z } from 'zod';
import type { SessionDeps } from '../session/guard.ts';
import { requireAdmin } from '../session/guard.ts';
import { parse } from '../http/validate.ts';
import { badRequest, conflict, notFound } from '../http/errors.ts';
import { clientIp } from '../http/security.ts';
import { ConflictError } from '../store/store.ts';
import { normaliseEmail } from '../accounts/email.ts';
import { createOrganization, roleProblem } from './orgs.ts';
import { inviteToOrganization } from './invite.ts';
import type { Invitation, Organization } from '../store/orgs.ts';

const role = z
  .string()
  .max(40)
  .refine((r) => roleProblem(r) === null, { message: 'A role is 1 to 40 lowercase letters, digits, - or _, starting with a letter.' });
const version = z.number().int().nonnegative();

export type InvitationStatus = 'pending' | 'accepted' | 'revoked' | 'expired';

export function invitationStatus(inv: Invitation, now: number): InvitationStatus {
  if (inv.acceptedAt !== null) return 'accepted';
  if (inv.revokedAt) return 'revoked';
  return inv.expiresAt <= now ? 'expired' : 'pending';
}

const publicInvitation = (inv: Invitation, now: number) => ({
  id: inv.id,
  email: inv.email,
  role: inv.role,
  createdAt: inv.createdAt,
  expiresAt: inv.expiresAt,
  status: invitationStatus(inv, now),
});

const stale = (what: string) =>
  conflict('stale_page', `Another administrator changed ${what} since you opened this page. Reload to see the change, then try again.`);

export function organizationAdminRoutes(deps: SessionDeps): Router {
  const r = Router();
  const { store } = deps;
  const meta = (req: Request, actorId: string) => ({ actorId, ip: clientIp(req), userAgent: req.get('user-agent') ?? null });

  async function org(req: Request): Promise<Organization> {
    const found = await store.orgs.find(String(req.params.orgId));
    if (!found) throw notFound('organization_not_found', 'That organization no longer exists. Another administrator may have deleted it.');
    return found;
  }

  async function invite(req: Request, actorId: string, o: Organization, input: { email: string; role?: string; name?: string }) {
    const sent = await inviteToOrganization({ store, audit: deps.audit, config: deps.config, now: deps.now() }, o, input, {
      via: 'console',
      print: false,
      meta: meta(req, actorId),
    });
    return { invitation: publicInvitation(sent.invitation, deps.now()), token: sent.token, accountMailQueued: sent.account !== null };
  }

  r.get('/admin/organizations', async (req, res) => {
    await requireAdmin(deps, req, res);
    res.json({ organizations: await store.orgs.list() });
  });

  r.post('/admin/organizations', async (req, res) => {
    const { user } = await requireAdmin(deps, req, res);
    const b = parse(z.object({ name: z.string().max(200) }), req.body);
    const created = await createOrganization(store, b.name, deps.now());
    await deps.audit.record('org_created', { ...meta(req, user.id), data: { organizationId: created.id, name: created.name, via: 'console' } });
    res.status(201).json({ organization: created });
  });

  r.get('/admin/organizations/:orgId', async (req, res) => {
    await requireAdmin(deps, req, res);
    const o = await org(req);
    const [members, invitations, connections] = await Promise.all([
      store.orgs.listMembers(o.id),
      store.orgs.listInvitations(o.id),
      store.federation.listConnections(),
    ]);
    res.json({
      organization: o,
      members: members.map((m) => ({ userId: m.userId, email: m.email, name: m.name, role: m.role, createdAt: m.createdAt })),
      invitations: invitations.map((i) => publicInvitation(i, deps.now())),
      connections: connections.filter((c) => c.orgId === o.id).map((c) => ({ id: c.id, name: c.name, issuer: c.issuer, domains: c.domains })),
    });
  });

  r.patch('/admin/organizations/:orgId', async (req, res) => {
    const { user } = await requireAdmin(deps, req, res);
    const b = parse(z.object({ name: z.string().max(200), updatedAt: version }), req.body);
    const o = await org(req);
    const name = b.name.trim();
    if (!name || name.length > 100 || /[\u0000-\u001f\u007f]/.test(name))
      throw badRequest('invalid_name', 'A name is 1 to 100 characters, without control characters.', { name: 'A name is 1 to 100 characters.' });
    let renamed: Organization | null;
    try {
      renamed = await store.orgs.rename(o.id, name, b.updatedAt, deps.now());
    } catch (e) {
      if (e instanceof ConflictError)
        throw conflict('organization_exists', `An organization named ${JSON.stringify(name)} already exists.`, { name: 'That name is taken.' });
      throw e;
    }
    if (!renamed) throw stale('this organization');
    await deps.audit.record('org_renamed', { ...meta(req, user.id), data: { organizationId: o.id, from: o.name, to: renamed.name } });
    res.json({ organization: renamed });
  });

  r.delete('/admin/organizations/:orgId', async (req, res) => {
    const { user } = await requireAdmin(deps, req, res);
    const b = parse(z.object({ confirmName: z.string().max(200), updatedAt: version }), req.body);
    const o = await org(req);
    if (b.confirmName.trim() !== o.name)
      throw badRequest('confirmation_mismatch', `Type the organization's name, ${o.name}, to delete it.`, { confirmName: 'Type the name exactly.' });
    const connections = (await store.federation.listConnections()).filter((c) => c.orgId === o.id);
    if (connections.length)
      throw conflict(
        'organization_has_connections',
        `Remove its identity providers first (${connections.map((c) => c.name).join(', ')}): people sign in to it through them.`,
      );
    if (!(await store.orgs.delete(o.id, b.updatedAt))) throw stale('this organization');
    await deps.audit.record('org_deleted', { ...meta(req, user.id), data: { organizationId: o.id, name: o.name } });
    res.json({ ok: true });
  });

  r.post('/admin/organizations/:orgId/members', async (req, res) => {
    const { user } = await requireAdmin(deps, req, res);
    const b = parse(z.object({ email: z.string().max(320), role: role.default('member') }), req.body);
    const o = await org(req);
    const member = await store.users.findByEmail(normaliseEmail(b.email));
    if (!member) throw notFound('user_not_found', `Nobody has an account with ${b.email.trim()}. Send an invitation instead.`);
    const { created } = await store.orgs.addMembership({ userId: member.id, organizationId: o.id, role: b.role }, deps.now());
    if (!created) throw conflict('already_member', `${member.email} is already a member.`, { email: 'Already a member.' });
    await deps.audit.record('org_member_added', { ...meta(req, user.id), subjectId: member.id, data: { organizationId: o.id, role: b.role } });
    res.status(201).json({ ok: true });
  });

  r.put('/admin/organizations/:orgId/members/:userId', async (req, res) => {
    const { user } = await requireAdmin(deps, req, res);
    const b = parse(z.object({ role, expectedRole: z.string().max(40) }), req.body);
    const o = await org(req);
    const userId = String(req.params.userId);
    if (!(await store.orgs.findMembership(userId, o.id)))
      throw notFound('member_not_found', 'That person is no longer a member. Another administrator may have removed them.');
    if (!(await store.orgs.setMembershipRole(userId, o.id, b.role, b.expectedRole))) throw stale("this member's role");
    await deps.audit.record('org_member_role_changed', {
      ...meta(req, user.id),
      subjectId: userId,
      data: { organizationId: o.id, from: b.expectedRole, to: b.role },
    });
    res.json({ ok: true });
  });

  r.delete('/admin/organizations/:orgId/members/:userId', async (req, res) => {
    const { user } = await requireAdmin(deps, req, res);
    const o = await org(req);
    const userId = String(req.params.userId);
    if (!(await store.orgs.removeMembership(userId, o.id)))
      throw notFound('member_not_found', 'That person is no longer a member. Another administrator may have removed them.');
    await deps.audit.record('org_member_removed', { ...meta(req, user.id), subjectId: userId, data: { organizationId: o.id } });
    res.json({ ok: true });
  });

  r.post('/admin/organizations/:orgId/invitations', async (req, res) => {
    const { user } = await requireAdmin(deps, req, res);
    const b = parse(z.object({ email: z.string().max(320), role: role.default('member'), name: z.string().max(200).optional() }), req.body);
    res.status(201).json(await invite(req, user.id, await org(req), b));
  });

  async function openInvitation(req: Request, o: Organization): Promise<Invitation> {
    const inv = await store.orgs.findInvitation(String(req.params.invitationId));
    if (!inv || inv.organizationId !== o.id) throw notFound('invitation_not_found', 'That invitation no longer exists.');
    if (inv.acceptedAt !== null) throw conflict('invitation_already_accepted', `${inv.email} has already accepted this invitation.`);
    return inv;
  }

  // A new token replaces the old one (only hashes are kept, so the old one cannot be sent again).
  r.post('/admin/organizations/:orgId/invitations/:invitationId/resend', async (req, res) => {
    const { user } = await requireAdmin(deps, req, res);
    const o = await org(req);
    const old = await openInvitation(req, o);
    if (!old.revokedAt && !(await store.orgs.revokeInvitation(old.id, deps.now()))) throw stale('this invitation');
    const sent = await invite(req, user.id, o, { email: old.email, role: old.role });
    await deps.audit.record('invitation_resent', { ...meta(req, user.id), data: { organizationId: o.id, replaced: old.id, invitationId: sent.invitation.id } });
    res.status(201).json(sent);
  });

  r.delete('/admin/organizations/:orgId/invitations/:invitationId', async (req, res) => {
    const { user } = await requireAdmin(deps, req, res);
    const o = await org(req);
    const inv = await openInvitation(req, o);
    if (!(await store.orgs.revokeInvitation(inv.id, deps.now()))) throw conflict('invitation_revoked', 'This invitation was already revoked.');
    await deps.audit.record('invitation_revoked', { ...meta(req, user.id), data: { organizationId: o.id, invitationId: inv.id, email: inv.email } });
    res.json({ ok: true });
  });

  return r;
}
