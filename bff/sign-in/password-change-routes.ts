/**
 * The sign-in's new-password step over JSON (sign-in/password-change.ts): the
 * person's own password replaces the initial one, then the sign-in goes on
 * (to the second factor when the account has or needs one).
 */
import { interactionDetailsOf } from './details.ts';
import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import type { SessionDeps } from '../session/guard.ts';
import { parse } from '../http/validate.ts';
import { badRequest, gone } from '../http/errors.ts';
import { clientIp } from '../http/security.ts';
import { holdForSecondFactor } from '../mfa/hold.ts';
import { readPendingPasswordChange, replaceInitialPassword } from './password-change.ts';

const body = z.object({ password: z.string().max(4096) });

export function passwordChangeRoutes(deps: SessionDeps): Router {
  const r = Router();
  const { provider, store } = deps;

  r.post('/interaction/:uid/new-password', async (req: Request, res: Response) => {
    const d = await interactionDetailsOf(provider, req, res);
    const login = d.prompt.name === 'login' ? readPendingPasswordChange(d.result) : null;
    if (!login) throw badRequest('wrong_prompt', 'This sign-in is not waiting for a new password. Sign in again.');
    const { password } = parse(body, req.body);
    const user = await store.users.findById(login.accountId);
    if (!user || user.disabled) throw gone('sign_in_expired', 'This sign-in can no longer complete. Sign in again.');
    // Changed meanwhile (a reset link, another tab): nothing left to replace, the sign-in goes on.
    if (user.mustChangePassword) {
      await replaceInitialPassword(store, user, password, deps.now());
      await deps.audit.record('password_changed', {
        actorId: user.id,
        subjectId: user.id,
        ip: clientIp(req),
        userAgent: req.get('user-agent') ?? null,
        data: { reason: 'initial_password' },
      });
    }
    const held = await holdForSecondFactor(deps, d, login);
    if (held) {
      res.json(held);
      return;
    }
    res.json({ redirectTo: await provider.interactionResult(req, res, { login }, { mergeWithLastSubmission: false }) });
  });

  return r;
}
