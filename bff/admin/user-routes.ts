/** The admin console's users: the paged list, a user's page, role, disable / enable, delete, invite. */
import { Router } from 'express';
import { z } from 'zod';
import type { SessionDeps } from '../session/guard.ts';
import { parse } from '../http/validate.ts';
import { badRequest } from '../http/errors.ts';
import type { Mail } from '../mail/mail.ts';
import { invitationMail } from '../mail/messages.ts';
import { inviteUser, INVITE_TTL_MS } from '../accounts/invitations.ts';
import { createAccount } from '../accounts/accounts.ts';
import { revokeOtherAccess } from '../accounts/revoke.ts';
import { listConnectedApps } from '../session/connected-apps.ts';
import { listDeviceSessions } from '../session/device-sessions.ts';
import { requireAdmin } from '../session/guard.ts';
import { adminUser, auditMeta, confirmSelf, decodeCursor, encodeCursor, findUserOr404, lastAdmin, staleUser, userGone } from './user-view.ts';

const flag = z
  .enum(['1', 'true', '0', 'false'])
  .transform((v) => v === '1' || v === 'true')
  .optional();
const listQuery = z.object({
  query: z.string().max(200).optional(),
  sort: z.enum(['created', 'lastSignIn']).default('created'),
  admin: flag,
  disabled: flag,
  unverified: flag,
  secondFactor: flag,
  after: z.string().max(400).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});
const patchBody = z
  .object({
    updatedAt: z.number().int(),
    role: z.enum(['user', 'admin']).optional(),
    disabled: z.boolean().optional(),
    confirmSelf: z.boolean().default(false),
  })
  .refine((b) => b.role !== undefined || b.disabled !== undefined, { message: 'Say what to change: role or disabled.', path: ['role'] });
const deleteBody = z.object({ confirmEmail: z.string().max(320), confirmSelf: z.boolean().default(false) });
const createBody = z.object({ email: z.string().min(3).max(320), name: z.string().max(200).optional(), initialPassword: z.string().max(4096).optional() });

export function adminUserRoutes(deps: SessionDeps, mail: Mail): Router {
  const r = Router();
  const { store } = deps;

  // The impersonation screen's search uses this too (it reads only `users`).
  r.get('/admin/users', async (req, res) => {
    await requireAdmin(deps, req, res);
    const q = parse(listQuery, req.query);
    const page = await store.users.page({ ...q, query: q.query?.trim() || undefined, after: decodeCursor(q.after) });
    res.setHeader('Cache-Control', 'no-store');
    res.json({ users: page.users.map(adminUser), next: encodeCursor(page.next) });
  });

  r.get('/admin/users/:userId', async (req, res) => {
    await requireAdmin(deps, req, res);
    const user = await findUserOr404(store, String(req.params.userId));
    const identities = (await store.federation.listLinkedIdentities(user.id)).map((i) => ({
      connectionId: i.connectionId,
      subject: i.subject,
      email: i.email,
      linkedAt: i.linkedAt,
      lastUsedAt: i.lastUsedAt,
    }));
    const names = new Map((await store.federation.listConnections()).map((c) => [c.id, c.name]));
    res.setHeader('Cache-Control', 'no-store');
    res.json({
      user: adminUser(user),
      sessions: await listDeviceSessions(deps, user.id, null),
      apps: await listConnectedApps(store, user.id),
      identities: identities.map((i) => ({ ...i, connection: names.get(i.connectionId) ?? 'Removed connection' })),
    });
  });

  r.patch('/admin/users/:userId', async (req, res) => {
    const { user: admin } = await requireAdmin(deps, req, res);
    const b = parse(patchBody, req.body);
    const id = String(req.params.userId);
    const weakensSelf = id === admin.id && (b.role === 'user' || b.disabled === true);
    if (weakensSelf && !b.confirmSelf) throw confirmSelf();
    const result = await store.users.updateChecked(id, b.updatedAt, { role: b.role, disabled: b.disabled }, deps.now());
    if (!result.ok) throw result.reason === 'missing' ? userGone() : result.reason === 'stale' ? staleUser() : lastAdmin();
    const before = result.user;
    const meta = auditMeta(req, admin.id, id);
    if (b.role !== undefined) await deps.audit.record('user_role_changed', { ...meta, data: { role: b.role } });
    if (b.disabled === true) {
      await deps.audit.record('user_disabled', meta);
      // Disabled means out at once: every BFF session, provider session and partner grant.
      const revoked = await revokeOtherAccess(store, id, {}, deps.sessions.revokeAllForUser);
      await deps.audit.record('sessions_revoked', { ...meta, data: { reason: 'user_disabled', ...revoked } });
    }
    if (b.disabled === false) await deps.audit.record('user_enabled', meta);
    res.json({ user: adminUser(before) });
  });

  r.delete('/admin/users/:userId', async (req, res) => {
    const { user: admin } = await requireAdmin(deps, req, res);
    const b = parse(deleteBody, req.body);
    const user = await findUserOr404(store, String(req.params.userId));
    if (b.confirmEmail.trim().toLowerCase() !== user.email)
      throw badRequest('confirmation_mismatch', `Type the email ${user.email} to confirm.`, { confirmEmail: `Type ${user.email} exactly.` });
    if (user.id === admin.id && !b.confirmSelf) throw confirmSelf();
    const deleted = await store.users.delete(user.id);
    if (!deleted.ok) throw deleted.reason === 'missing' ? userGone() : lastAdmin();
    // The account row is gone; its grants and provider sessions go with it (the store keeps no orphans of it).
    const revoked = await revokeOtherAccess(store, user.id, {}, deps.sessions.revokeAllForUser);
    // The audit log keeps who it was: its entries name the id, and this one the email and name.
    await deps.audit.record('user_deleted', {
      ...auditMeta(req, admin.id, user.id),
      data: { email: user.email, name: user.name, role: user.role, ...revoked },
    });
    res.json({ ok: true });
  });

  // With an initial password: creates the account, which must choose its own password at its first
  // sign-in (sign-in/password-change.ts); the password is never echoed, logged or audited.
  // Without: creates the account (unverified, no password) and mails the invitation link, as
  // `portal user invite` does.
  r.post('/admin/users', async (req, res) => {
    const { user: admin } = await requireAdmin(deps, req, res);
    const b = parse(createBody, req.body);
    if (b.initialPassword !== undefined) {
      const user = await createAccount(store, { email: b.email, name: b.name, password: b.initialPassword, mustChangePassword: true }, deps.now());
      await deps.audit.record('user_created', { ...auditMeta(req, admin.id, user.id), data: { via: 'console', initialPassword: true } });
      res.status(201).json({ user: adminUser(user) });
      return;
    }
    if (!mail.enabled)
      throw badRequest(
        'mail_disabled',
        'This portal cannot send mail (no SMTP_URL is configured), so it cannot invite anyone. Use `portal user create` on the server.',
      );
    const existed = await store.users.findByEmail(b.email.trim().toLowerCase());
    const { user, link } = await inviteUser(deps, b.email, b.name?.trim() || undefined, deps.now());
    await mail.send('invitation', { address: user.email, name: user.name }, invitationMail(mail.portal, link, INVITE_TTL_MS / 86_400_000));
    await deps.audit.record('user_invited', { ...auditMeta(req, admin.id, user.id), data: { via: 'console', delivery: 'mail' } });
    res.status(existed ? 200 : 201).json({ user: adminUser(user) });
  });

  return r;
}
