/**
 * The Trading Parrot's refresh (seed 004): `GET /oauth?=token&grant_type=refresh_token&refresh_token=…`
 * with no client authentication, answered with the new token under both
 * `refresh_token` and the document's `request_token`.
 *
 * Weaker than `POST /oauth/token`: the refresh token travels in a URL (proxy and
 * server logs, browser history) and nothing proves the caller is the client. So
 * it is a per-client legacy mode, off by default, and every use is audited. The
 * token is still redeemed at the real token endpoint as its own client, so it
 * stays bound to that client, rotates, and a reused one revokes the grant.
 */
import type { Request, Response, NextFunction } from 'express';
import { z } from 'zod';
import type { Deps } from '../deps.ts';
import { parse } from '../http/validate.ts';
import { AppError } from '../http/errors.ts';
import { clientIp } from '../http/security.ts';
import { internalClientCredential } from './client-auth.ts';
import { refreshGrant } from './core.ts';
import { noneUnlessOutage } from '../http/error-handler.ts';

const legacyQuery = z.object({
  '': z.literal('token'),
  grant_type: z.literal('refresh_token', { error: 'grant_type must be "refresh_token"' }),
  refresh_token: z.string({ error: 'refresh_token is required' }).min(1, 'refresh_token is required').max(4096),
});

const INVALID = 'the refresh token is invalid, expired, revoked, or not enabled for the legacy refresh';

/** Express handler for `GET /oauth`; anything but `?=token` passes on to the provider. */
export function legacyRefresh(deps: Deps) {
  return async (req: Request, res: Response, next: NextFunction) => {
    if (req.query[''] !== 'token') return next();
    res.setHeader('Cache-Control', 'no-store');
    res.setHeader('Pragma', 'no-cache');
    const q = parse(legacyQuery, req.query);
    const stored = await deps.provider.RefreshToken.find(q.refresh_token).catch(noneUnlessOutage);
    const client = stored?.clientId ? await deps.store.clients.find(stored.clientId) : null;
    const audit = (ok: boolean) =>
      deps.audit.record('legacy_refresh', {
        subjectId: stored?.accountId ?? null,
        ip: clientIp(req),
        userAgent: req.get('user-agent') ?? null,
        data: { clientId: client?.clientId ?? null, ok },
      });
    if (!client?.legacyRefresh || client.firstParty) {
      await audit(false);
      throw new AppError('invalid_grant', INVALID, { status: 400 });
    }
    // No client authentication here by design (seed 004), and the portal keeps only the secret's hash.
    const clientSecret = client.secret === null ? null : internalClientCredential(deps.config.cookieSecrets, client.clientId, deps.now());
    const result = await refreshGrant(deps, { clientId: client.clientId, clientSecret, refreshToken: q.refresh_token });
    await audit(result.status === 200);
    const body =
      result.status === 200 && typeof result.body.refresh_token === 'string' ? { ...result.body, request_token: result.body.refresh_token } : result.body;
    res.status(result.status).json(body);
  };
}
