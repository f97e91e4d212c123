/**
 * "Sign in with a passkey" as a first factor, inside the sign-in interaction
 * (routes.ts lends it the interaction's details and how a first factor
 * continues). The passkeys themselves are bff/mfa/.
 */
import { Router, type Request, type Response } from 'express';
import type { SessionDeps } from '../session/guard.ts';
import { AppError } from '../http/errors.ts';
import { clientIp } from '../http/security.ts';
import { completePendingLink } from '../federation/public.ts';
import type { User } from '../store/store.ts';
import { signInOptions, verifyPasskeySignIn, type RequestMeta } from '../mfa/passkeys.ts';
import { authenticationResponse, credential } from '../mfa/passkey-wire.ts';

const meta = (req: Request): RequestMeta => ({ ip: clientIp(req), userAgent: req.get('user-agent') ?? null });

type Details = Awaited<ReturnType<SessionDeps['provider']['interactionDetails']>>;

/** What the sign-in interaction lends the passkey step: its checked details and how a first factor continues. */
export interface InteractionSteps {
  details(req: Request, res: Response): Promise<Details>;
  /** Continues after a first factor (federation link, verification, second factor, finish), answering the SPA. */
  afterFirstFactor(req: Request, res: Response, d: Details, user: User, amr: string[]): Promise<void>;
}

/** "Sign in with a passkey" and the email field's autofill, as a first factor. */
export function passkeySignInRoutes(deps: SessionDeps, steps: InteractionSteps): Router {
  const r = Router();

  async function loginPrompt(req: Request, res: Response): Promise<Details> {
    const d = await steps.details(req, res);
    if (d.prompt.name !== 'login' || d.params.impersonation !== undefined)
      throw new AppError('wrong_prompt', 'This step does not expect a sign-in.', { status: 400 });
    return d;
  }

  r.post('/interaction/:uid/passkey/options', async (req, res) => {
    const d = await loginPrompt(req, res);
    res.json({ options: await signInOptions(deps, d.uid) });
  });

  r.post('/interaction/:uid/passkey', async (req, res) => {
    const d = await loginPrompt(req, res);
    const m = meta(req);
    try {
      const response = credential(authenticationResponse, req.body);
      const use = await verifyPasskeySignIn(deps, response, d.uid, m);
      await deps.audit.record('sign_in', {
        ...m,
        actorId: use.user.id,
        subjectId: use.user.id,
        data: { method: 'passkey', passkeyId: use.passkey.id, amr: use.amr, clientId: d.params.client_id },
      });
      await completePendingLink(deps, req, res, d.uid, use.user);
      await steps.afterFirstFactor(req, res, d, use.user, use.amr);
    } catch (e) {
      if (e instanceof AppError) await deps.audit.record('sign_in_failed', { ...m, data: { method: 'passkey', reason: e.code, clientId: d.params.client_id } });
      throw e;
    }
  });

  return r;
}
