/**
 * The BFF's own sign-in and sign-out against the provider: start authorization
 * code + PKCE + state + nonce, and end a BFF session with everything behind it.
 */
import type { Request, Response } from 'express';
import * as oidc from 'openid-client';
import type { BffSession } from '../store/store.ts';
import { bffRedirectUri } from './oidc-client.ts';
import { openTx } from './cookies.ts';
import type { SessionCore } from './guard.ts';
import { noneUnlessOutage } from '../http/error-handler.ts';
import { queueSessionLogouts } from '../store/logout-queue.ts';

export interface LoginOptions {
  returnTo: string;
  loginHint?: string;
  prompt?: 'login';
  impersonationId?: string;
  /** Extra authorization parameters the provider knows (`impersonation`). */
  extra?: Record<string, string>;
}

/** Starts authorization code + PKCE + state + nonce for the BFF's own client; returns the URL to send the browser to. */
export async function beginLogin(
  deps: Pick<SessionCore, 'config' | 'cookies' | 'oidcConfig'>,
  req: Request,
  res: Response,
  opts: LoginOptions,
): Promise<string> {
  const tx = await openTx(deps, req, res);
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

/** Ends a BFF session: the row, the grant behind its refresh token and the provider session. */
export async function endSession(deps: Pick<SessionCore, 'sessions' | 'provider' | 'store'>, s: BffSession): Promise<void> {
  await deps.sessions.revoke(s.id);
  const tokens = await deps.sessions.tokens(s).catch(() => null);
  if (!tokens) return;
  if (tokens.refresh_token) {
    const rt = await deps.provider.RefreshToken.find(tokens.refresh_token, { ignoreExpiration: true }).catch(noneUnlessOutage);
    if (rt?.grantId) await deps.store.oidc.revokeByGrantId(rt.grantId);
  }
  if (tokens.sid) {
    const op = await deps.provider.Session.findByUid(tokens.sid).catch(noneUnlessOutage);
    if (op) {
      // Partners this browser signed in to are told through the logout outbox, never waited for here.
      await queueSessionLogouts(deps.store, op, Date.now());
      await op.destroy();
    }
  }
}
