/** Password reset and invitations for the SPA: ask for a link, check it, set the (new) password. */
import { Router, type Request } from 'express';
import { z } from 'zod';
import type { SessionDeps } from '../session/guard.ts';
import type { Mail } from '../mail/mail.ts';
import { parse } from '../http/validate.ts';
import { clientIp } from '../http/security.ts';
import { acceptInvitation, checkInvitation } from './invitations.ts';
import { RESET_REQUESTED_MESSAGE, checkResetLink, completePasswordReset, requestPasswordReset } from './password-reset.ts';

const requestBody = z.object({ email: z.string().max(320) });
const checkBody = z.object({ token: z.string().max(200) });
const completeBody = z.object({ token: z.string().max(200), password: z.string().max(4096), signOutEverywhere: z.boolean().default(true) });

const meta = (req: Request) => ({ ip: clientIp(req), userAgent: req.get('user-agent') ?? null });

export function passwordResetRoutes(deps: SessionDeps, mail: Mail): Router {
  const r = Router();
  const d = { ...deps, mail };

  r.post('/password-reset', async (req, res) => {
    const { email } = parse(requestBody, req.body);
    await requestPasswordReset(d, email, meta(req));
    res.status(202).json({ ok: true, message: RESET_REQUESTED_MESSAGE });
  });

  r.post('/password-reset/check', async (req, res) => {
    const { token } = parse(checkBody, req.body);
    res.json(await checkResetLink(d, token));
  });

  r.post('/password-reset/complete', async (req, res) => {
    const b = parse(completeBody, req.body);
    const { user, revoked } = await completePasswordReset(d, { ...b, endBffSessions: deps.sessions.revokeAllForUser }, meta(req));
    res.json({ ok: true, email: user.email, signedOutEverywhere: revoked !== null });
  });

  r.post('/invitations/check', async (req, res) => {
    const { token } = parse(checkBody, req.body);
    const user = await checkInvitation(deps.store, token, deps.now());
    res.json({ email: user.email, name: user.name });
  });

  r.post('/invitations/accept', async (req, res) => {
    const b = parse(completeBody, req.body);
    const user = await acceptInvitation(deps, b.token, b.password, meta(req));
    res.json({ ok: true, email: user.email });
  });

  return r;
}
