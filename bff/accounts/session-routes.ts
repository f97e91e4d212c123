/** The account screen's signed-in browsers: list them, sign one out, sign out all the others. */
import { Router, type Request } from 'express';
import type { SessionDeps, Current } from '../session/guard.ts';
import { clearSessionCookie } from '../session/cookies.ts';
import { requireSession } from '../session/guard.ts';
import { forbidden, notFound } from '../http/errors.ts';
import { clientIp } from '../http/security.ts';
import { endDeviceSession, endOtherDeviceSessions, listDeviceSessions } from '../session/device-sessions.ts';
import type { DeviceSessionsWire } from '../../api/sessions.ts';

export function accountSessionRoutes(deps: SessionDeps): Router {
  const r = Router();
  const meta = (req: Request, c: Current) => ({ actorId: c.user.id, subjectId: c.user.id, ip: clientIp(req), userAgent: req.get('user-agent') ?? null });
  const own = (c: Current) => {
    if (c.session.data.impersonation) throw forbidden('impersonation_forbidden', 'You are impersonating this user: their sessions cannot be changed.');
  };

  r.get('/account/sessions', async (req, res) => {
    const c = await requireSession(deps, req, res);
    res.setHeader('Cache-Control', 'no-store');
    // While impersonating, the list is the user's, and none of it is "this device".
    res.json({ sessions: await listDeviceSessions(deps, c.user.id, c.session.data.impersonation ? null : c.session.id) } satisfies DeviceSessionsWire);
  });

  r.delete('/account/sessions/:handle', async (req, res) => {
    const c = await requireSession(deps, req, res);
    own(c);
    const ended = await endDeviceSession(deps, c.user.id, String(req.params.handle));
    if (!ended) throw notFound('session_not_found', 'That session has already ended.');
    await deps.audit.record('session_ended', { ...meta(req, c), data: { by: 'self', current: ended.id === c.session.id } });
    if (ended.id === c.session.id) await clearSessionCookie(deps, req, res);
    res.json({ ok: true, signedOut: ended.id === c.session.id });
  });

  r.post('/account/sessions/sign-out-others', async (req, res) => {
    const c = await requireSession(deps, req, res);
    own(c);
    const ended = await endOtherDeviceSessions(deps, c.user.id, c.session.id);
    await deps.audit.record('sessions_revoked', { ...meta(req, c), data: { reason: 'sign_out_others', bffSessions: ended } });
    res.json({ ok: true, ended });
  });

  return r;
}
