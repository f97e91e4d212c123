/**
 * The account screen's second factors (/bff/account/mfa…): set up an
 * authenticator app (QR code and the secret as text, saved only once a code
 * from it is right), remove it (confirmed in the SPA; refused when policy
 * needs it), make new recovery codes; and the step-up before impersonating
 * (a code, or a passkey that verifies its user).
 */
import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import type { Current, SessionDeps } from '../session/guard.ts';
import { requireSession } from '../session/guard.ts';
import { SESSION_CHANNEL } from '../session/sessions.ts';
import type { Mail } from '../mail/mail.ts';
import { parse } from '../http/validate.ts';
import { badRequest, conflict, forbidden } from '../http/errors.ts';
import { clientIp } from '../http/security.ts';
import { confirmTotpSetup, startTotpSetup, type WaitingSetup } from './setup.ts';
import { secondFactorOptions, verifyPasskeySecondFactor } from './passkeys.ts';
import { authenticationResponse } from './passkey-wire.ts';
import { issueRecoveryCodes } from './recovery.ts';
import { mfaRequired, secondFactorFor, type SecondFactorUse } from './policy.ts';
import { checkSecondFactor, secondFactorBody } from './second-factor.ts';

const confirmBody = z.object({ code: z.string().max(20) });
const stepUpPasskeyBody = z.object({ response: authenticationResponse });

export function mfaRoutes(deps: SessionDeps, mail: Mail): Router {
  const r = Router();
  const { store, audit, config } = deps;
  const meta = (req: Request) => ({ ip: clientIp(req), userAgent: req.get('user-agent') ?? null });

  async function owner(req: Request, res: Response): Promise<Current> {
    const c = await requireSession(deps, req, res);
    if (c.session.data.impersonation) throw forbidden('impersonation_forbidden', 'Second factors cannot be changed while you impersonate someone.');
    return c;
  }

  async function patchSession(c: Current, patch: Record<string, unknown>): Promise<void> {
    const data = { ...c.session.data, ...patch };
    for (const [k, v] of Object.entries(patch)) if (v === undefined) delete data[k];
    await store.bffSessions.setData(c.session.id, data);
    c.session.data = data;
    // This process's cache and every other instance's forget the old row.
    deps.sessions.forget(c.session.id);
    await store.events.publish(SESSION_CHANNEL, c.session.id);
  }

  async function status(c: Current) {
    const totp = await store.mfa.totp.find(c.user.id);
    const need = await secondFactorFor(deps, c.user);
    return {
      totp: totp ? { enabled: true, createdAt: totp.createdAt } : { enabled: false, createdAt: null },
      recoveryCodes: { remaining: await store.mfa.recoveryCodes.remaining(c.user.id) },
      required: mfaRequired(config, c.user),
      setupRequired: need.setupRequired,
    };
  }

  r.get('/account/mfa', async (req, res) => {
    res.setHeader('Cache-Control', 'no-store');
    res.json(await status(await owner(req, res)));
  });

  r.post('/account/mfa/totp/setup', async (req, res) => {
    const c = await owner(req, res);
    const { view, waiting } = await startTotpSetup(deps, c.user, c.session.id);
    await patchSession(c, { mfaSetup: waiting });
    res.setHeader('Cache-Control', 'no-store');
    res.json(view);
  });

  r.post('/account/mfa/totp/confirm', async (req, res) => {
    const c = await owner(req, res);
    const { code } = parse(confirmBody, req.body);
    const recoveryCodes = await confirmTotpSetup(deps, c.user, c.session.data.mfaSetup as Partial<WaitingSetup> | undefined, c.session.id, code, meta(req));
    await patchSession(c, { mfaSetup: undefined, secondFactor: { at: deps.now(), factor: 'totp' } satisfies SecondFactorUse });
    res.setHeader('Cache-Control', 'no-store');
    res.json({ ...(await status(c)), newRecoveryCodes: recoveryCodes });
  });

  r.delete('/account/mfa/totp', async (req, res) => {
    const c = await owner(req, res);
    if (!(await store.mfa.totp.find(c.user.id))) throw badRequest('mfa_not_set_up', 'There is no authenticator app to remove.');
    if (mfaRequired(config, c.user) && (await store.passkeys.listForUser(c.user.id)).length === 0) {
      throw conflict(
        'last_factor',
        c.user.role === 'admin'
          ? 'This is your only second factor, and administrators must have one here. Set up a new authenticator app instead (it replaces this one).'
          : 'This is your only second factor, and this portal requires one. Set up a new authenticator app instead (it replaces this one).',
      );
    }
    await store.mfa.totp.remove(c.user.id);
    // Recovery codes only back an authenticator up: without one they would be a password of their own.
    await store.mfa.recoveryCodes.removeAll(c.user.id);
    await audit.record('mfa_totp_removed', { ...meta(req), actorId: c.user.id, subjectId: c.user.id });
    res.json(await status(c));
  });

  r.post('/account/mfa/recovery-codes', async (req, res) => {
    const c = await owner(req, res);
    if (!(await store.mfa.totp.find(c.user.id))) throw badRequest('mfa_not_set_up', 'Set up an authenticator app first: recovery codes back it up.');
    const recoveryCodes = await issueRecoveryCodes(store, c.user.id, deps.now());
    await audit.record('mfa_recovery_codes_regenerated', { ...meta(req), actorId: c.user.id, subjectId: c.user.id });
    res.setHeader('Cache-Control', 'no-store');
    res.json({ ...(await status(c)), newRecoveryCodes: recoveryCodes });
  });

  /** Step-up: a second factor now, for actions that need a recent one (starting an impersonation). */
  r.post('/mfa/step-up', async (req, res) => {
    const c = await owner(req, res);
    const body = parse(secondFactorBody, req.body);
    const factor = await checkSecondFactor({ ...deps, mail }, c.user, body, { ...meta(req), purpose: 'step_up' });
    await patchSession(c, { secondFactor: { at: deps.now(), factor } satisfies SecondFactorUse });
    res.json({ ok: true });
  });

  // A passkey for the step-up: its challenge is bound to this BFF session, and it must verify the
  // person (PIN or biometrics), since it stands for a second factor on its own.
  const stepUpBinding = (c: Current) => `step-up:${c.session.id}`;

  r.post('/mfa/step-up/passkey/options', async (req, res) => {
    const c = await owner(req, res);
    if ((await store.passkeys.listForUser(c.user.id)).length === 0)
      throw badRequest('no_passkey', 'You have no passkey here. Enter a code from your authenticator app instead.');
    res.setHeader('Cache-Control', 'no-store');
    res.json({ options: await secondFactorOptions(deps, c.user.id, stepUpBinding(c), 'required') });
  });

  r.post('/mfa/step-up/passkey', async (req, res) => {
    const c = await owner(req, res);
    const { response } = parse(stepUpPasskeyBody, req.body);
    const use = await verifyPasskeySecondFactor(deps, c.user.id, response, stepUpBinding(c), meta(req));
    if (!use.userVerified) {
      await audit.record('mfa_failed', {
        ...meta(req),
        actorId: c.user.id,
        subjectId: c.user.id,
        data: { method: 'passkey', reason: 'user_not_verified', purpose: 'step_up' },
      });
      throw badRequest(
        'passkey_user_not_verified',
        'Your passkey did not check that it is you (a PIN, fingerprint or face). Use a passkey that does, or a code from your authenticator app.',
      );
    }
    await audit.record('mfa_verified', {
      ...meta(req),
      actorId: c.user.id,
      subjectId: c.user.id,
      data: { method: 'passkey', passkeyId: use.passkey.id, purpose: 'step_up' },
    });
    await patchSession(c, { secondFactor: { at: deps.now(), factor: 'passkey' } satisfies SecondFactorUse });
    res.json({ ok: true });
  });

  return r;
}
