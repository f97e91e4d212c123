/** The account screen's API: profile, connected apps, password (behind the second factor policy requires: guard.ts). */
import { Router } from 'express';
import { z } from 'zod';
import type { SessionDeps } from '../session/guard.ts';
import { requireAccountSession } from '../session/guard.ts';
import { parse } from '../http/validate.ts';
import { forbidden, notFound } from '../http/errors.ts';
import { clientIp } from '../http/security.ts';
import { changePassword } from './accounts.ts';
import { revokeOtherAccess } from './revoke.ts';
import { listConnectedApps, revokeConnectedApp } from '../session/connected-apps.ts';

const passwordBody = z.object({ currentPassword: z.string().max(4096), newPassword: z.string().max(4096) });

export function accountRoutes(deps: SessionDeps): Router {
  const r = Router();
  const { store } = deps;

  r.get('/account', async (req, res) => {
    const { user } = await requireAccountSession(deps, req, res);
    const connectedApps = await listConnectedApps(store, user.id);
    const history = await store.audit.list({ kind: 'impersonation_started', subjectId: user.id, limit: 50 });
    const impersonations = [];
    for (const h of history) {
      const admin = h.actorId ? await store.users.findById(h.actorId) : null;
      impersonations.push({
        at: h.at,
        admin: { email: admin?.email ?? 'unknown', name: admin?.name ?? 'unknown' },
        reason: String(h.data.reason ?? ''),
        durationMinutes: Number(h.data.durationMinutes ?? 0),
      });
    }
    res.json({ user: { id: user.id, email: user.email, name: user.name, role: user.role, createdAt: user.createdAt }, connectedApps, impersonations });
  });

  r.delete('/account/apps/:clientId', async (req, res) => {
    const { user, session } = await requireAccountSession(deps, req, res);
    if (session.data.impersonation) throw forbidden('impersonation_forbidden', 'You are impersonating this user: their connected apps cannot be changed.');
    const removed = await revokeConnectedApp(store, user.id, String(req.params.clientId));
    if (!removed) throw notFound('not_connected', 'That app is not connected to your account.');
    await deps.audit.record('consent_revoked', {
      actorId: user.id,
      subjectId: user.id,
      ip: clientIp(req),
      userAgent: req.get('user-agent') ?? null,
      data: { clientId: removed.clientId },
    });
    res.json({ ok: true });
  });

  r.post('/account/password', async (req, res) => {
    const { user, session } = await requireAccountSession(deps, req, res);
    if (session.data.impersonation) throw forbidden('impersonation_forbidden', 'You are impersonating this user: their password cannot be changed.');
    const b = parse(passwordBody, req.body);
    await changePassword(store, user, b.currentPassword, b.newPassword, deps.now());
    const meta = { actorId: user.id, subjectId: user.id, ip: clientIp(req), userAgent: req.get('user-agent') ?? null };
    await deps.audit.record('password_changed', meta);
    if (deps.config.revokeOnPasswordChange) {
      const tokens = await deps.sessions.tokens(session);
      const rt = tokens.refresh_token ? await store.oidc.find('RefreshToken', tokens.refresh_token) : null;
      const keep = { bffSessionId: session.id, grantId: rt?.payload.grantId as string | undefined, providerSessionUid: tokens.sid };
      const revoked = await revokeOtherAccess(store, user.id, keep, deps.sessions.revokeAllForUser);
      await deps.audit.record('sessions_revoked', { ...meta, data: { reason: 'password_changed', ...revoked } });
    }
    res.json({ ok: true });
  });

  return r;
}
