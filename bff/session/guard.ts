/**
 * Who is signed in: the session behind a request's cookie, and the checks
 * every `/bff` route makes before it acts (signed in; an administrator, not
 * impersonating). The dependencies of everything built on BFF sessions are
 * declared here too.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Request, Response } from 'express';
import type * as oidc from 'openid-client';
import type { Deps } from '../deps.ts';
import { forbidden, unauthorized } from '../http/errors.ts';
import type { BffSession, User } from '../store/store.ts';
import type { SessionService, SessionTokens } from './sessions.ts';
import type { SealCache } from './seal-cache.ts';
import { setSessionCookie, type SessionCookies } from './cookies.ts';
import { requireSecondFactorSetUp } from '../mfa/policy.ts';

export interface Current {
  session: BffSession;
  user: User;
}

/**
 * Features that layer sessions over sessions (impersonation) hook in here,
 * so the session module does not depend on them. They are built from a
 * `SessionCore` and handed over whole when `SessionDeps` is made.
 */
export interface SessionHooks {
  /** A cookie's session is gone (expired): clean up, and name a session to resume, if any. */
  sessionGone?: (sid: string) => Promise<string | null>;
  /** Runs before a signed-in user's logout ends the current session. */
  beforeLogout?: (current: Current) => Promise<void>;
  /** The callback of an impersonation sign-in: creates its session and returns the id. */
  completeImpersonation?: (req: Request, id: string, tokens: SessionTokens, accessExpiresAt: number, grantId: string | undefined) => Promise<string>;
}

/** BFF sessions without the hooks: what the features that provide the hooks are built from. */
export interface SessionCore extends Deps {
  sessions: SessionService;
  oidcConfig: () => oidc.Configuration;
  /** Cookie settings, computed once. */
  cookies: SessionCookies;
  sealCache: SealCache;
}

export interface SessionDeps extends SessionCore {
  hooks: SessionHooks;
}

/** The signed-in session behind this request's cookie, or null. Node's own req/res do (the gateway has no Express). */
export async function currentSession(deps: SessionDeps, req: IncomingMessage, res: ServerResponse): Promise<Current | null> {
  const cached = (req as IncomingMessage & { portalCurrent?: Current | null }).portalCurrent;
  if (cached !== undefined) return cached;
  const sid = await deps.sealCache.sid(req, deps.cookies.session.cookieName);
  let found = sid ? await deps.sessions.load(sid) : null;
  if (!found && sid && deps.hooks.sessionGone) {
    const resume = await deps.hooks.sessionGone(sid);
    found = resume ? await deps.sessions.load(resume) : null;
    if (found) await setSessionCookie(deps, req, res, found.session.id);
  }
  (req as IncomingMessage & { portalCurrent?: Current | null }).portalCurrent = found;
  return found;
}

export async function requireSession(deps: SessionDeps, req: Request, res: Response): Promise<Current> {
  const c = await currentSession(deps, req, res);
  if (!c) throw unauthorized('not_signed_in', 'You are not signed in.');
  return c;
}

/**
 * A user's own account screen: under MFA_USERS=required, refused with `mfa_setup_required` until a
 * second factor is set up (the setup itself, sign-out and the session stay open). Admins are held
 * at the admin screens instead (MFA_ADMINS, requireAdmin), and keep their account screen to get
 * there; an admin impersonating someone sees the account as it is.
 */
export async function requireAccountSession(deps: SessionDeps, req: Request, res: Response): Promise<Current> {
  const c = await requireSession(deps, req, res);
  if (!c.session.data.impersonation && c.user.role !== 'admin') await requireSecondFactorSetUp(deps, c.user);
  return c;
}

/** An administrator's own session: refused while impersonating. */
export async function requireAdmin(deps: SessionDeps, req: Request, res: Response): Promise<Current> {
  const c = await requireSession(deps, req, res);
  if (c.session.data.impersonation)
    throw forbidden('impersonation_forbidden', 'Admin screens are not available while you impersonate a user. Stop impersonating first.');
  if (c.user.role !== 'admin') throw forbidden('admin_required', 'You need to be an administrator to do this.');
  // MFA_ADMINS=required: no admin screen until a second factor is set up (the SPA opens the setup screen).
  await requireSecondFactorSetUp(deps, c.user);
  return c;
}
