/**
 * The BFF proper: /bff/login starts code + PKCE + state + nonce, /bff/callback
 * exchanges the code and seals a session id into the cookie, /bff/session says
 * who is signed in (never a token), /bff/logout revokes everything.
 */
import { Router } from 'express';
import * as oidc from 'openid-client';
import { safeReturnTo, clientIp } from '../http/security.ts';
import { errorPage } from '../oauth/pages.ts';
import { outagePage } from '../oauth/outage.ts';
import type { SessionTokens } from './sessions.ts';
import { clearSessionCookie, openTx, setSessionCookie } from './cookies.ts';
import { currentSession, type SessionDeps } from './guard.ts';
import { beginLogin, endSession } from './login.ts';
import { noneUnlessOutage } from '../http/error-handler.ts';
import { deviceFacts } from './device-facts.ts';
import { secondFactorFor, secondFactorFromClaims } from '../mfa/policy.ts';

function publicImpersonation(raw: unknown) {
  if (!raw || typeof raw !== 'object') return null;
  const { id, impersonator, reason, expiresAt } = raw as Record<string, unknown>;
  return { id, impersonator, reason, expiresAt };
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
    const tx = await openTx(deps, req, res);
    const { state, nonce, verifier, returnTo, impersonationId } = tx;
    // Single use: whatever happens next, this transaction is spent.
    tx.destroy();
    if (!state || !verifier || !nonce) {
      res
        .status(400)
        .type('html')
        .send(errorPage('invalid_request', 'This sign-in was not started here or has already been completed. Start again.', config.publicUrl));
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
      deps.logger.info({ err: { code: err.code, error: err.error } }, 'bff callback refused'); // the logger keeps the code as err.errorCode
      const code = err.error ?? 'invalid_request';
      const description =
        err.error === 'access_denied' ? 'You cancelled the sign-in.' : (err.error_description ?? 'The sign-in response could not be verified. Start again.');
      res
        .status(400)
        .type('html')
        .send(errorPage(code, description, config.publicUrl));
      return;
    }
    const claims = tokens.claims()!;
    const toStore: SessionTokens = {
      access_token: tokens.access_token,
      refresh_token: tokens.refresh_token,
      id_token: tokens.id_token,
      // The provider session to end at logout. oidc-provider puts `sid` in the ID token only on
      // request, but every access token records the session it came from.
      sid: typeof claims.sid === 'string' ? claims.sid : (await deps.provider.AccessToken.find(tokens.access_token).catch(noneUnlessOutage))?.sessionUid,
      scope: tokens.scope,
    };
    const accessExpiresAt = now() + (tokens.expires_in ?? config.ttl.accessToken) * 1000;
    if (impersonationId && deps.hooks.completeImpersonation) {
      const grantId = (await deps.provider.AccessToken.find(tokens.access_token).catch(noneUnlessOutage))?.grantId;
      const sid = await deps.hooks.completeImpersonation(req, impersonationId, toStore, accessExpiresAt, grantId);
      await setSessionCookie(deps, req, res, sid);
      res.redirect(303, '/account');
      return;
    }
    const s = await deps.sessions.create(claims.sub, toStore, accessExpiresAt, {
      // When the password (or passkey, or upstream sign-in) was given, which a silent sign-in does not renew.
      // The BFF's client requires auth_time (oauth/clients.ts); without one nothing counts as recent.
      authTime: typeof claims.auth_time === 'number' ? claims.auth_time * 1000 : 0,
      // For the list of signed-in browsers (device-sessions.ts).
      ...deviceFacts(req),
      ...secondFactorFromClaims(claims),
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
