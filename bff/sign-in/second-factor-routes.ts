/**
 * The sign-in's second-factor step over JSON: a TOTP or recovery code, or a
 * passkey (its options, then its assertion), completes the held interaction.
 */
import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import type { SessionDeps } from '../session/guard.ts';
import type { Mail } from '../mail/mail.ts';
import type { User } from '../store/store.ts';
import { parse } from '../http/validate.ts';
import { badRequest, gone, notFound } from '../http/errors.ts';
import { clientIp } from '../http/security.ts';
import { checkSecondFactor, secondFactorBody } from '../mfa/second-factor.ts';
import { secondFactorOptions, verifyPasskeySecondFactor } from '../mfa/passkeys.ts';
import { authenticationResponse } from '../mfa/passkey-wire.ts';
import { readPendingSecondFactor, withSecondFactor, type LoginResult } from '../mfa/hold.ts';

const passkeyBody = z.object({ response: authenticationResponse });

export function secondFactorRoutes(deps: SessionDeps, mail: Mail): Router {
  const r = Router();
  const { provider, store } = deps;
  const meta = (req: Request) => ({ ip: clientIp(req), userAgent: req.get('user-agent') ?? null });

  /** The interaction, the first factor's result it holds, and whose it is. */
  async function held(req: Request, res: Response): Promise<{ uid: string; login: LoginResult; user: User }> {
    const d = await provider.interactionDetails(req, res).catch(() => null);
    if (!d || d.uid !== req.params.uid) throw notFound('interaction_not_found', 'This sign-in request has expired or was started in another browser. Go back to the app and start again.');
    const login = d.prompt.name === 'login' ? readPendingSecondFactor(d.result) : null;
    if (!login) throw badRequest('wrong_prompt', 'This sign-in is not waiting for a second factor. Sign in again.');
    const user = await store.users.findById(login.accountId);
    if (!user || user.disabled) throw gone('sign_in_expired', 'This sign-in can no longer complete. Sign in again.');
    return { uid: d.uid, login, user };
  }

  async function finish(req: Request, res: Response, login: LoginResult) {
    res.json({ redirectTo: await provider.interactionResult(req, res, { login }, { mergeWithLastSubmission: false }) });
  }

  r.post('/interaction/:uid/second-factor', async (req, res) => {
    const h = await held(req, res);
    const body = parse(secondFactorBody, req.body);
    await checkSecondFactor({ ...deps, mail }, h.user, body, { ...meta(req), purpose: 'sign_in' });
    await finish(req, res, withSecondFactor(h.login));
  });

  r.post('/interaction/:uid/second-factor/passkey/options', async (req, res) => {
    const h = await held(req, res);
    res.setHeader('Cache-Control', 'no-store');
    res.json({ options: await secondFactorOptions(deps, h.user.id, h.uid) });
  });

  r.post('/interaction/:uid/second-factor/passkey', async (req, res) => {
    const h = await held(req, res);
    const { response } = parse(passkeyBody, req.body);
    const use = await verifyPasskeySecondFactor(deps, h.user.id, response, h.uid, meta(req));
    await deps.audit.record('mfa_verified', { ...meta(req), actorId: h.user.id, subjectId: h.user.id, data: { method: 'passkey', passkeyId: use.passkey.id, purpose: 'sign_in' } });
    await finish(req, res, withSecondFactor(h.login, use.amr));
  });

  return r;
}
