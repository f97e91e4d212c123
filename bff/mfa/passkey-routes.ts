/**
 * The passkey endpoints: the account screen's list / register / rename / remove, and the
 * sign-in screen's "Sign in with a passkey" (and autofill), which finishes the provider
 * interaction the same way a password does.
 */
import { Router, type Request, type Response } from 'express';
import { requireSession, type SessionDeps } from '../session/guard.ts';
import { parse } from '../http/validate.ts';
import { conflict, forbidden } from '../http/errors.ts';
import { mfaRequired } from './policy.ts';
import { clientIp } from '../http/security.ts';
import type { User } from '../store/store.ts';
import type { Passkey } from '../store/passkeys.ts';
import { registerPasskey, registrationOptions, type RequestMeta } from './passkeys.ts';
import { credential, PASSKEY_ERRORS, passkeyNameBody, registrationResponse } from './passkey-wire.ts';

const nameBody = passkeyNameBody;

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
