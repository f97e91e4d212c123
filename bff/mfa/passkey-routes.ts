/**
 * The passkey endpoints: the account screen's list / register / rename / remove, and the
 * sign-in screen's "Sign in with a passkey" (and autofill), which finishes the provider
 * interaction the same way a password does.
 */
import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import { requireSession, type SessionDeps } from '../session/routes.ts';
import { parse } from '../http/validate.ts';
import { AppError, conflict, forbidden } from '../http/errors.ts';
import { mfaRequired } from './policy.ts';
import { clientIp } from '../http/security.ts';
import { completePendingLink } from '../federation/public.ts';
import type { User } from '../store/store.ts';
import type { Passkey } from './passkeys-model.ts';
import { registerPasskey, registrationOptions, signInOptions, verifyPasskeySignIn, type RequestMeta } from './passkeys.ts';
import { authenticationResponse, PASSKEY_ERRORS, registrationResponse } from './passkey-wire.ts';

const passkeyName = z.string().trim().min(1, 'Give the passkey a name, for example the device it is on.').max(60, 'Use at most 60 characters.');
const nameBody = z.object({ name: passkeyName });

/** The browser's credential, or one clear 'not understood' answer (never a list of schema paths). */
function credential<T extends z.ZodType>(schema: T, body: unknown): z.infer<T> {
  const r = schema.safeParse((body as { response?: unknown } | undefined)?.response);
  if (!r.success) throw PASSKEY_ERRORS.malformed();
  return r.data;
}

const LAST_FACTOR = (user: User) =>
  `This is your only second factor, and ${user.role === 'admin' ? 'administrators must have one here' : 'this portal requires one'}. Add another passkey or an authenticator app first, then remove this one.`;

const meta = (req: Request): RequestMeta => ({ ip: clientIp(req), userAgent: req.get('user-agent') ?? null });

/** What the account screen shows of a passkey: never its key or credential id. */
function view(p: Passkey) {
  return { id: p.id, name: p.name, createdAt: p.createdAt, lastUsedAt: p.lastUsedAt, synced: p.deviceType === 'multiDevice' };
}

/** The account screen's passkeys; not while impersonating (an admin must not add a way into someone's account). */
export function passkeyAccountRoutes(deps: SessionDeps): Router {
  const r = Router();
  const { store, audit } = deps;

  async function owner(req: Request, res: Response): Promise<User> {
    const { user, session } = await requireSession(deps, req, res);
    if (session.data.impersonation) throw forbidden('impersonation_forbidden', 'You are impersonating this user: their passkeys cannot be changed.');
    return user;
  }

  r.get('/account/passkeys', async (req, res) => {
    const { user } = await requireSession(deps, req, res);
    res.json({ passkeys: (await store.passkeys.listForUser(user.id)).map(view) });
  });

  r.post('/account/passkeys/options', async (req, res) => {
    res.json({ options: await registrationOptions(deps, await owner(req, res)) });
  });

  r.post('/account/passkeys', async (req, res) => {
    const user = await owner(req, res);
    const { name } = parse(nameBody, req.body);
    const response = credential(registrationResponse, req.body);
    res.status(201).json({ passkey: view(await registerPasskey(deps, user, name, response, meta(req))) });
  });

  r.patch('/account/passkeys/:id', async (req, res) => {
    const user = await owner(req, res);
    const { name } = parse(nameBody, req.body);
    if (!(await store.passkeys.rename(user.id, String(req.params.id), name))) throw PASSKEY_ERRORS.notFound();
    await audit.record('passkey_renamed', { ...meta(req), actorId: user.id, subjectId: user.id, data: { passkeyId: req.params.id, name } });
    res.json({ ok: true });
  });

  r.delete('/account/passkeys/:id', async (req, res) => {
    const user = await owner(req, res);
    const id = String(req.params.id);
    if (mfaRequired(deps.config, user) && !(await store.mfa.totp.find(user.id))) {
      const mine = await store.passkeys.listForUser(user.id);
      if (mine.length === 1 && mine[0]!.id === id) throw conflict('last_factor', LAST_FACTOR(user));
    }
    const removed = await store.passkeys.remove(user.id, id);
    if (!removed) throw PASSKEY_ERRORS.notFound();
    await audit.record('passkey_removed', { ...meta(req), actorId: user.id, subjectId: user.id, data: { passkeyId: removed.id, name: removed.name } });
    res.json({ ok: true });
  });

  return r;
}

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
    if (d.prompt.name !== 'login' || d.params.impersonation !== undefined) throw new AppError('wrong_prompt', 'This step does not expect a sign-in.', { status: 400 });
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
      await deps.audit.record('sign_in', { ...m, actorId: use.user.id, subjectId: use.user.id, data: { method: 'passkey', passkeyId: use.passkey.id, amr: use.amr, clientId: d.params.client_id } });
      await completePendingLink(deps, req, res, d.uid, use.user);
      await steps.afterFirstFactor(req, res, d, use.user, use.amr);
    } catch (e) {
      if (e instanceof AppError) await deps.audit.record('sign_in_failed', { ...m, data: { method: 'passkey', reason: e.code, clientId: d.params.client_id } });
      throw e;
    }
  });

  return r;
}
