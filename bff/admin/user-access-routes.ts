/**
 * The admin user page's access actions: end one of the user's sessions or all of them, revoke a
 * connected app, and mail a password reset link or (for an account without a password) a new invitation.
 */
import { Router } from 'express';
import { z } from 'zod';
import { parse } from '../http/validate.ts';
import type { SessionDeps } from '../session/guard.ts';
import { badRequest, notFound } from '../http/errors.ts';
import type { Mail } from '../mail/mail.ts';
import { invitationMail, passwordResetMail } from '../mail/messages.ts';
import { inviteUser, INVITE_TTL_MS } from '../accounts/invitations.ts';
import { issueResetLink, RESET_TTL_MS } from '../accounts/password-reset.ts';
import { revokeConnectedApp } from '../session/connected-apps.ts';
import { endDeviceSession, endOtherDeviceSessions } from '../session/device-sessions.ts';
import { requireAdmin } from '../session/guard.ts';
import { auditMeta, findUserOr404 } from './user-view.ts';
import { resetSecondFactors } from '../mfa/reset.ts';
import { queueStoredSessionLogouts } from '../store/logout-queue.ts';

export function adminUserAccessRoutes(deps: SessionDeps, mail: Mail): Router {
  const r = Router();
  const { store } = deps;

  r.delete('/admin/users/:userId/sessions/:handle', async (req, res) => {
    const { user: admin } = await requireAdmin(deps, req, res);
    const user = await findUserOr404(store, String(req.params.userId));
    const ended = await endDeviceSession(deps, user.id, String(req.params.handle));
    if (!ended) throw notFound('session_not_found', 'That session has already ended.');
    await deps.audit.record('session_ended', { ...auditMeta(req, admin.id, user.id), data: { by: 'admin' } });
    res.json({ ok: true });
  });

  // One upstream identity: its link and the upstream tokens kept with it go (the SPA confirms first).
  r.post('/admin/users/:userId/identities/unlink', async (req, res) => {
    const { user: admin } = await requireAdmin(deps, req, res);
    const user = await findUserOr404(store, String(req.params.userId));
    const b = parse(z.object({ connectionId: z.string().min(1).max(200), subject: z.string().min(1).max(1000) }), req.body);
    if (!(await store.federation.unlinkIdentity(user.id, b.connectionId, b.subject))) {
      throw notFound('identity_not_found', 'That identity is no longer linked to this person.');
    }
    await deps.audit.record('identity_unlinked', { ...auditMeta(req, admin.id, user.id), data: { connectionId: b.connectionId, subject: b.subject } });
    res.json({ ok: true });
  });

  // A lost phone or key: their authenticator app, recovery codes and passkeys go (the SPA confirms first).
  r.post('/admin/users/:userId/second-factors/reset', async (req, res) => {
    const { user: admin } = await requireAdmin(deps, req, res);
    const user = await findUserOr404(store, String(req.params.userId));
    const { subjectId: _subject, ...meta } = auditMeta(req, admin.id, user.id);
    const removed = await resetSecondFactors(deps, user, { ...meta, via: 'admin' });
    res.json({ removed });
  });

  r.post('/admin/users/:userId/sessions/sign-out-everywhere', async (req, res) => {
    const { user: admin } = await requireAdmin(deps, req, res);
    const user = await findUserOr404(store, String(req.params.userId));
    const bffSessions = await endOtherDeviceSessions(deps, user.id, null);
    // Sign-ins at partner apps from browsers that never opened the portal's own screens.
    let providerSessions = 0;
    for (const s of await store.oidcOwners.sessions(user.id)) {
      await queueStoredSessionLogouts(store, s.id, deps.now());
      await store.oidc.destroy('Session', s.id);
      providerSessions++;
    }
    await deps.audit.record('sessions_revoked', {
      ...auditMeta(req, admin.id, user.id),
      data: { reason: 'admin_sign_out_everywhere', bffSessions, providerSessions },
    });
    res.json({ ok: true, ended: bffSessions });
  });

  r.delete('/admin/users/:userId/apps/:clientId', async (req, res) => {
    const { user: admin } = await requireAdmin(deps, req, res);
    const user = await findUserOr404(store, String(req.params.userId));
    const removed = await revokeConnectedApp(store, user.id, String(req.params.clientId));
    if (!removed) throw notFound('not_connected', 'That app is no longer connected to this account.');
    await deps.audit.record('consent_revoked', { ...auditMeta(req, admin.id, user.id), data: { clientId: removed.clientId, by: 'admin' } });
    res.json({ ok: true });
  });

  r.post('/admin/users/:userId/mail', async (req, res) => {
    const { user: admin } = await requireAdmin(deps, req, res);
    const user = await findUserOr404(store, String(req.params.userId));
    if (!mail.enabled) throw badRequest('mail_disabled', 'This portal cannot send mail (no SMTP_URL is configured).');
    if (user.disabled) throw badRequest('user_disabled', 'This account is disabled: enable it first, so the link can be used.');
    const meta = auditMeta(req, admin.id, user.id);
    if (user.passwordHash === null) {
      // Never set a password: the invitation is what lets them choose one.
      const { link } = await inviteUser(deps, user.email, undefined, deps.now());
      await mail.send('invitation', { address: user.email, name: user.name }, invitationMail(mail.portal, link, INVITE_TTL_MS / 86_400_000));
      await deps.audit.record('user_invited', { ...meta, data: { via: 'console', delivery: 'mail' } });
      res.json({ sent: 'invitation' });
      return;
    }
    const { link } = await issueResetLink(deps, user, deps.now());
    await mail.send('password_reset', { address: user.email, name: user.name }, passwordResetMail(mail.portal, link, RESET_TTL_MS / 60_000));
    await deps.audit.record('password_reset_link_issued', { ...meta, data: { via: 'console', delivery: 'mail' } });
    res.json({ sent: 'password_reset' });
  });

  return r;
}
