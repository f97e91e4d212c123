/**
 * The sign-in's second-factor step over JSON: a TOTP or recovery code, or a
 * passkey (its options, then its assertion), completes the held interaction.
 * A sign-in held because policy requires a factor the account lacks completes
 * once one is set up here: an authenticator app (confirmed by a code; recovery
 * codes shown once) or a new passkey.
 */
import { interactionDetailsOf } from './details.ts';
import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import type { SessionDeps } from '../session/guard.ts';
import type { Mail } from '../mail/mail.ts';
import type { User } from '../store/store.ts';
import { parse } from '../http/validate.ts';
import { badRequest, gone } from '../http/errors.ts';
import { clientIp } from '../http/security.ts';
import { checkSecondFactor, secondFactorBody } from '../mfa/second-factor.ts';
import { passkeyAmr, registerPasskey, registrationOptions, secondFactorOptions, verifyPasskeySecondFactor } from '../mfa/passkeys.ts';
import { authenticationResponse, credential, passkeyNameBody, registrationResponse } from '../mfa/passkey-wire.ts';
import { readPendingSecondFactor, readPendingSetup, waitForTotpSetup, withSecondFactor, type LoginResult } from '../mfa/hold.ts';
import { confirmTotpSetup, startTotpSetup } from '../mfa/setup.ts';

const passkeyBody = z.object({ response: authenticationResponse });
const confirmBody = z.object({ code: z.string().max(20) });

export function secondFactorRoutes(deps: SessionDeps, mail: Mail): Router {
  const r = Router();
  const { provider, store } = deps;
  const meta = (req: Request) => ({ ip: clientIp(req), userAgent: req.get('user-agent') ?? null });

  /** The interaction, the first factor's result it holds, and whose it is. */
  async function held(req: Request, res: Response) {
    const d = await interactionDetailsOf(provider, req, res);
    const login = d.prompt.name === 'login' ? readPendingSecondFactor(d.result) : null;
    if (!login) throw badRequest('wrong_prompt', 'This sign-in is not waiting for a second factor. Sign in again.');
    const user: User | null = await store.users.findById(login.accountId);
    if (!user || user.disabled) throw gone('sign_in_expired', 'This sign-in can no longer complete. Sign in again.');
    return { uid: d.uid, login, user, details: d };
  }

  /** The same, for a sign-in held until a second factor is set up (MFA_ADMINS / MFA_USERS=required). */
  async function heldForSetup(req: Request, res: Response) {
    const h = await held(req, res);
    const setup = readPendingSetup(h.details.result);
    if (!setup) throw badRequest('wrong_prompt', 'This sign-in is not waiting for a second factor to be set up. Sign in again.');
    return { ...h, setup };
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
    await deps.audit.record('mfa_verified', {
      ...meta(req),
      actorId: h.user.id,
      subjectId: h.user.id,
      data: { method: 'passkey', passkeyId: use.passkey.id, purpose: 'sign_in' },
    });
    await finish(req, res, withSecondFactor(h.login, use.amr));
  });

  r.post('/interaction/:uid/second-factor/setup/totp', async (req, res) => {
    const h = await heldForSetup(req, res);
    const { view, waiting } = await startTotpSetup(deps, h.user, h.uid);
    await waitForTotpSetup(h.details, h.login, waiting);
    res.setHeader('Cache-Control', 'no-store');
    res.json(view);
  });

  r.post('/interaction/:uid/second-factor/setup/totp/confirm', async (req, res) => {
    const h = await heldForSetup(req, res);
    const { code } = parse(confirmBody, req.body);
    const newRecoveryCodes = await confirmTotpSetup(deps, h.user, h.setup.totp, h.uid, code, meta(req));
    const redirectTo = await provider.interactionResult(req, res, { login: withSecondFactor(h.login) }, { mergeWithLastSubmission: false });
    // The recovery codes are shown once, then the SPA goes on to redirectTo.
    res.setHeader('Cache-Control', 'no-store');
    res.json({ redirectTo, newRecoveryCodes });
  });

  r.post('/interaction/:uid/second-factor/setup/passkey/options', async (req, res) => {
    const h = await heldForSetup(req, res);
    res.setHeader('Cache-Control', 'no-store');
    res.json({ options: await registrationOptions(deps, h.user) });
  });

  r.post('/interaction/:uid/second-factor/setup/passkey', async (req, res) => {
    const h = await heldForSetup(req, res);
    const { name } = parse(passkeyNameBody, req.body);
    const passkey = await registerPasskey(deps, h.user, name, credential(registrationResponse, req.body), meta(req));
    // The new passkey was made just now by this person, after their first factor: the sign-in's second.
    await finish(req, res, withSecondFactor(h.login, passkeyAmr(passkey, false)));
  });

  return r;
}
