/**
 * /oauth/userinfo for JWT access tokens. oidc-provider's own userinfo refuses
 * any token with an audience, and JWT access tokens always carry one, so this
 * endpoint answers instead (see docs/decisions/0002-jwt-access-tokens.md). It
 * validates through the provider's own AccessToken model (stored, unexpired,
 * grant alive, session binding) and releases claims by scope (OIDC Core 5.4).
 */
import express, { Router, type Request, type Response } from 'express';
import type { Deps } from '../deps.ts';
import { introspectAccessToken } from './core.ts';
import { DpopProofError, verifyDpopProof } from './dpop.ts';
import { CLAIMS } from './scopes.ts';
import { clientAllowsOrigin, isPartnerOrigin, preflight } from './cors.ts';

/** CORS on the answer: only for a registered partner's origin (the token's own client once it is known). */
function allowOrigin(res: Response, origin: string): void {
  res.setHeader('Access-Control-Allow-Origin', origin);
  res.setHeader('Access-Control-Expose-Headers', 'WWW-Authenticate');
}

function challenge(res: Response, issuer: string, status: number, error?: string, description?: string, scope?: string): void {
  const parts = [`realm="${issuer}"`];
  if (error) parts.push(`error="${error}"`);
  if (description) parts.push(`error_description="${description}"`);
  if (scope) parts.push(`scope="${scope}"`);
  res.setHeader('WWW-Authenticate', `Bearer ${parts.join(', ')}`);
  res.setHeader('Cache-Control', 'no-store');
  res.status(status).json({ error: error ?? 'invalid_token', error_description: description ?? 'no access token provided' });
}

export function userinfoRoutes(deps: Deps): Router {
  const r = Router();
  const issuer = deps.config.issuer;

  async function handle(req: Request, res: Response) {
    const origin = req.get('origin');
    if (origin) {
      res.vary('Origin');
      // Until the token names its client, any partner's page may read the error.
      if (await isPartnerOrigin(deps.store, origin)) allowOrigin(res, origin);
    }
    const header = req.get('authorization') ?? '';
    const scheme = /^(Bearer|DPoP)\s+(\S+)$/i.exec(header);
    const fromHeader = scheme?.[2];
    const fromBody = req.method === 'POST' && typeof req.body?.access_token === 'string' ? req.body.access_token : undefined;
    if (fromHeader && fromBody) return challenge(res, issuer, 400, 'invalid_request', 'access token must only be provided using one mechanism');
    const token = fromHeader ?? fromBody;
    if (!token) return challenge(res, issuer, 401);
    let proofJkt: string | undefined;
    if (scheme?.[1]?.toLowerCase() === 'dpop') {
      try {
        proofJkt = await verifyDpopProof(deps.provider, req.get('dpop'), {
          htm: req.method,
          htu: `${issuer}/userinfo`,
          accessToken: token,
          nowSeconds: Math.floor(Date.now() / 1000),
        });
      } catch (e) {
        if (e instanceof DpopProofError) return challenge(res, issuer, 401, 'invalid_dpop_proof', e.message);
        throw e;
      }
    }
    // A DPoP-bound token presented as a bearer token (or with another key's proof) is not valid here.
    const at = await introspectAccessToken(deps, token, proofJkt);
    if (!at) return challenge(res, issuer, 401, 'invalid_token', 'invalid token provided');
    if (origin && !(await clientAllowsOrigin(deps.store, at.clientId, origin))) {
      res.removeHeader('Access-Control-Allow-Origin');
      res.removeHeader('Access-Control-Expose-Headers');
      return challenge(res, issuer, 400, 'invalid_request', "this origin is not one of the client's redirect URI origins");
    }
    const scopes = new Set(at.scope.split(' '));
    if (!scopes.has('openid')) return challenge(res, issuer, 403, 'insufficient_scope', 'access token missing openid scope', 'openid');
    const user = await deps.store.users.findById(at.sub);
    if (!user || user.disabled) return challenge(res, issuer, 401, 'invalid_token', 'invalid token provided');
    const all: Record<string, unknown> = {
      sub: user.id,
      name: user.name,
      updated_at: Math.floor(user.updatedAt / 1000),
      email: user.email,
      email_verified: user.emailVerified,
    };
    const out: Record<string, unknown> = {};
    // Own keys only: a scope named like an Object property ('constructor') names no claims.
    for (const s of scopes) for (const claim of Object.hasOwn(CLAIMS, s) ? CLAIMS[s]! : []) out[claim] = all[claim];
    res.setHeader('Cache-Control', 'no-store');
    res.json(out);
  }

  // Express would answer the preflight itself (an Allow header, no CORS): the browser would block the call.
  r.options('/oauth/userinfo', preflight(deps.store, 'GET,POST'));
  r.get('/oauth/userinfo', handle);
  r.post('/oauth/userinfo', express.urlencoded({ extended: false, limit: '16kb', parameterLimit: 20 }), handle);
  return r;
}
