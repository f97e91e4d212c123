/**
 * The BFF proper: /bff/login starts code + PKCE + state + nonce, /bff/callback
 * exchanges the code and seals a session id into the cookie, /bff/session says
 * who is signed in (never a token), /bff/logout revokes everything.
 */
import { Router, type Request, type Response } from 'express';
import type { SessionOptions } from 'iron-session';
import * as oidc from 'openid-client';
import type { Deps } from '../deps.ts';
import { safeReturnTo, clientIp } from '../http/security.ts';
import { unauthorized } from '../http/errors.ts';
import { errorPage } from '../oauth/pages.ts';
import { outagePage } from '../oauth/outage.ts';
import type { BffSession, User } from '../store/store.ts';
import { bffRedirectUri } from './oidc-client.ts';
import type { SessionService, SessionTokens } from './sessions.ts';
import { openIronSession, type SealCache } from './seal-cache.ts';
import { secondFactorFor, secondFactorFromClaims } from '../mfa/policy.ts';

interface CookieData {
  sid?: string;
}
interface TxData {
  state?: string;
  nonce?: string;
  verifier?: string;
  returnTo?: string;
  /** Set when this sign-in is an admin's impersonation of a user. */
  impersonationId?: string;
}

/**
 * Features that layer sessions over sessions (impersonation) hook in here,
 * so the session module does not depend on them.
 */
export interface SessionHooks {
  /** A cookie's session is gone (expired): clean up, and name a session to resume, if any. */
  sessionGone?: (sid: string) => Promise<string | null>;
  /** Runs before a signed-in user's logout ends the current session. */
  beforeLogout?: (current: Current) => Promise<void>;
  /** The callback of an impersonation sign-in: creates its session and returns the id. */
  completeImpersonation?: (req: Request, id: string, tokens: SessionTokens, accessExpiresAt: number, grantId: string | undefined) => Promise<string>;
}

export interface SessionDeps extends Deps {
  sessions: SessionService;
  oidcConfig: () => oidc.Configuration;
  hooks: SessionHooks;
  /** Cookie settings, computed once. */
  cookies: ReturnType<typeof cookieOptions>;
  sealCache: SealCache;
}

export function cookieOptions(deps: Deps) {
  const secure = deps.config.secureCookies;
  const password = Object.fromEntries(Object.entries(deps.config.cookieSecrets).map(([k, v]) => [k, v]));
  const base = { httpOnly: true, secure, path: '/' };
  const session: SessionOptions = {
    password,
    cookieName: secure ? '__Host-portal' : 'portal',
    ttl: deps.config.ttl.session,
    cookieOptions: { ...base, sameSite: 'strict' },
  };
  const tx: SessionOptions = {
    password,
    cookieName: secure ? '__Host-portal-tx' : 'portal-tx',
    ttl: 600,
    cookieOptions: { ...base, sameSite: 'lax' },
  };
  return { session, tx };
}

export interface Current {
  session: BffSession;
  user: User;
}

/** The signed-in session behind this request's cookie, or null. */
export async function currentSession(deps: SessionDeps, req: Request, res: Response): Promise<Current | null> {
  const cached = (req as Request & { portalCurrent?: Current | null }).portalCurrent;
  if (cached !== undefined) return cached;
  const sid = await deps.sealCache.sid(req, deps.cookies.session.cookieName);
  let found = sid ? await deps.sessions.load(sid) : null;
  if (!found && sid && deps.hooks.sessionGone) {
    const resume = await deps.hooks.sessionGone(sid);
    found = resume ? await deps.sessions.load(resume) : null;
    if (found) await setSessionCookie(deps, req, res, found.session.id);
  }
  (req as Request & { portalCurrent?: Current | null }).portalCurrent = found;
  return found;
}

export async function requireSession(deps: SessionDeps, req: Request, res: Response): Promise<Current> {
  const c = await currentSession(deps, req, res);
  if (!c) throw unauthorized('not_signed_in', 'You are not signed in.');
  return c;
}

/** Starts a fresh BFF session in this browser (sign-in, impersonation start and stop). */
export async function setSessionCookie(deps: SessionDeps, req: Request, res: Response, sid: string): Promise<void> {
  const cookie = await openIronSession<CookieData>(req, res, deps.cookies.session);
  cookie.sid = sid;
  await cookie.save();
}

export async function clearSessionCookie(deps: SessionDeps, req: Request, res: Response): Promise<void> {
  const cookie = await openIronSession<CookieData>(req, res, deps.cookies.session);
  cookie.destroy();
}

/** Ends a BFF session: the row, the grant behind its refresh token and the provider session. */
export async function endSession(deps: SessionDeps, s: BffSession): Promise<void> {
  await deps.sessions.revoke(s.id);
  const tokens = await deps.sessions.tokens(s).catch(() => null);
  if (!tokens) return;
  if (tokens.refresh_token) {
    const rt = await deps.provider.RefreshToken.find(tokens.refresh_token, { ignoreExpiration: true }).catch(() => undefined);
    if (rt?.grantId) await deps.store.oidc.revokeByGrantId(rt.grantId);
  }
  if (tokens.sid) {
    const op = await deps.provider.Session.findByUid(tokens.sid).catch(() => undefined);
    if (op) await op.destroy();
  }
}

function publicImpersonation(raw: unknown) {
  if (!raw || typeof raw !== 'object') return null;
  const { id, impersonator, reason, expiresAt } = raw as Record<string, unknown>;
  return { id, impersonator, reason, expiresAt };
}

export interface LoginOptions {
  returnTo: string;
  loginHint?: string;
  prompt?: 'login';
  impersonationId?: string;
  /** Extra authorization parameters the provider knows (`impersonation`). */
  extra?: Record<string, string>;
}

/** Starts authorization code + PKCE + state + nonce for the BFF's own client; returns the URL to send the browser to. */
export async function beginLogin(deps: SessionDeps, req: Request, res: Response, opts: LoginOptions): Promise<string> {
  const tx = await openIronSession<TxData>(req, res, deps.cookies.tx);
  const verifier = oidc.randomPKCECodeVerifier();
  tx.verifier = verifier;
  tx.state = oidc.randomState();
  tx.nonce = oidc.randomNonce();
  tx.returnTo = opts.returnTo;
  tx.impersonationId = opts.impersonationId;
  await tx.save();
  return oidc.buildAuthorizationUrl(deps.oidcConfig(), {
    redirect_uri: bffRedirectUri(deps.config),
    scope: 'openid profile email offline_access',
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state: tx.state,
    nonce: tx.nonce,
    ...(opts.loginHint ? { login_hint: opts.loginHint } : {}),
    ...(opts.prompt ? { prompt: opts.prompt, max_age: '0' } : {}),
    ...opts.extra,
  }).href;
}

export function sessionRoutes(deps: SessionDeps): Router {
  const r = Router();
  const { config, now } = deps;

  r.get('/login', async (req, res) => {
    const url = await beginLogin(deps, req, res, {
      returnTo: safeReturnTo(req.query.returnTo),
      loginHint: typeof req.query.login_hint === 'string' ? req.query.login_hint.slice(0, 320) : undefined,
      // Re-authentication (before impersonating): the provider must ask for the password again.
      prompt: req.query.reauth === '1' ? 'login' : undefined,
    });
    res.setHeader('Cache-Control', 'no-store');
    res.redirect(303, url);
  });

  r.get('/callback', async (req, res) => {
    res.setHeader('Cache-Control', 'no-store');
    const tx = await openIronSession<TxData>(req, res, deps.cookies.tx);
    const { state, nonce, verifier, returnTo, impersonationId } = tx;
    // Single use: whatever happens next, this transaction is spent.
    tx.destroy();
    if (!state || !verifier || !nonce) {
      res.status(400).type('html').send(errorPage('invalid_request', 'This sign-in was not started here or has already been completed. Start again.', config.publicUrl));
      return;
    }
    let tokens;
    try {
      tokens = await oidc.authorizationCodeGrant(deps.oidcConfig(), new URL(req.originalUrl, config.publicUrl), {
        pkceCodeVerifier: verifier,
        expectedState: state,
        expectedNonce: nonce,
        idTokenExpected: true,
      });
    } catch (e) {
      const answer = (e as { cause?: unknown }).cause;
      if (answer instanceof globalThis.Response && answer.status === 503) {
        // The provider's database is out: say so, and when to retry, rather than blame the sign-in.
        res.setHeader('Retry-After', answer.headers.get('retry-after') ?? '5');
        res.status(503).type('html').send(outagePage(config.publicUrl));
        return;
      }
      const err = e as { error?: string; error_description?: string; code?: string; message?: string };
      deps.logger.info({ err: { code: err.code, error: err.error } }, 'bff callback refused');
      const code = err.error ?? 'invalid_request';
      const description = err.error === 'access_denied' ? 'You cancelled the sign-in.' : (err.error_description ?? 'The sign-in response could not be verified. Start again.');
      res.status(400).type('html').send(errorPage(code, description, config.publicUrl));
      return;
    }
    const claims = tokens.claims()!;
    const toStore: SessionTokens = {
      access_token: tokens.access_token,
      refresh_token: tokens.refresh_token,
      id_token: tokens.id_token,
      // The provider session to end at logout. oidc-provider puts `sid` in the ID token only on
      // request, but every access token records the session it came from.
      sid: typeof claims.sid === 'string' ? claims.sid : (await deps.provider.AccessToken.find(tokens.access_token).catch(() => undefined))?.sessionUid,
      scope: tokens.scope,
    };
    const accessExpiresAt = now() + (tokens.expires_in ?? config.ttl.accessToken) * 1000;
    if (impersonationId && deps.hooks.completeImpersonation) {
      const grantId = (await deps.provider.AccessToken.find(tokens.access_token).catch(() => undefined))?.grantId;
      const sid = await deps.hooks.completeImpersonation(req, impersonationId, toStore, accessExpiresAt, grantId);
      await setSessionCookie(deps, req, res, sid);
      res.redirect(303, '/account');
      return;
    }
    const s = await deps.sessions.create(claims.sub, toStore, accessExpiresAt, {
      authTime: typeof claims.auth_time === 'number' ? claims.auth_time * 1000 : now(),
      ...secondFactorFromClaims(claims, now()),
    });
    await setSessionCookie(deps, req, res, s.id);
    res.redirect(303, safeReturnTo(returnTo === '/' ? '/account' : returnTo));
  });

  r.get('/session', async (req, res) => {
    res.setHeader('Cache-Control', 'no-store');
    const c = await currentSession(deps, req, res);
    if (!c) {
      res.json({ authenticated: false });
      return;
    }
    const { user, session } = c;
    res.json({
      authenticated: true,
      user: { id: user.id, email: user.email, name: user.name, role: user.role },
      expiresAt: session.expiresAt,
      // Only what the banner needs; the admin's own session id stays on the server.
      impersonation: publicImpersonation(session.data.impersonation),
      // MFA_ADMINS / MFA_USERS=required and no second factor yet: the SPA opens the setup screen.
      secondFactorSetupRequired: session.data.impersonation ? false : (await secondFactorFor(deps, user)).setupRequired,
    });
  });

  r.post('/logout', async (req, res) => {
    const c = await currentSession(deps, req, res);
    if (c) {
      await deps.hooks.beforeLogout?.(c);
      await endSession(deps, c.session);
      await deps.audit.record('logout', { actorId: c.user.id, subjectId: c.user.id, ip: clientIp(req), userAgent: req.get('user-agent') ?? null });
    }
    await clearSessionCookie(deps, req, res);
    res.json({ redirectTo: '/' });
  });

  return r;
}
