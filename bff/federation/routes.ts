/**
 * "Continue with <provider>": browser navigations that start from the
 * portal's sign-in interaction, go through the upstream provider, and finish
 * that same interaction.
 *
 *   GET  /bff/federation/:connectionId/start?uid=…[&login_hint=…]  → 303 upstream
 *   GET  /bff/federation/callback                                 → 303 resume the interaction
 *   POST /bff/interaction/:uid/discover {email}                   → {connection}
 *
 * Failures redirect to the SPA's /federation/error?reason=… screen, and are
 * audited as `federation_failed`.
 */
import { Router, type Request, type Response } from 'express';
import type { SessionOptions } from 'iron-session';
import { openIronSession } from '../session/seal-cache.ts';
import { z } from 'zod';
import type { Deps } from '../deps.ts';
import type { SessionDeps } from '../session/guard.ts';
import { notFound } from '../http/errors.ts';
import { parse } from '../http/validate.ts';
import { clientIp } from '../http/security.ts';
import { normaliseEmail } from '../accounts/email.ts';
import { acrFor, kindOf } from './connections.ts';
import { buildStart, classifyFailure, exchange, liveUpstreamConfig, upstreamConfig } from './upstream.ts';
import { sealTokens, toStoredTokens } from './tokens.ts';
import { ensureMembership, parkPendingLink, resolveUser } from './linking.ts';
import { adminConnectionRoutes } from './admin-routes.ts';
import type { Mail } from '../mail/mail.ts';
import { needsVerification, sendVerification } from '../accounts/verify-email.ts';
import { holdForSecondFactor } from '../mfa/hold.ts';

/** Every reason the error screen explains (web/features/federation knows each one). */
export type FederationFailure =
  | 'invalid_request'
  | 'connection_not_found'
  | 'interaction_expired'
  | 'provider_unavailable'
  | 'state_mismatch'
  | 'access_denied'
  | 'invalid_id_token'
  | 'upstream_error'
  | 'email_unverified'
  | 'account_exists'
  | 'account_disabled';

interface FederationTx {
  uid?: string;
  connectionId?: string;
  state?: string;
  nonce?: string;
  verifier?: string;
}

const startQuery = z.object({ uid: z.string().min(1).max(200), login_hint: z.string().max(320).optional() });
const discoverBody = z.object({ email: z.string().max(320) });

function txCookie(deps: Deps): SessionOptions {
  const secure = deps.config.secureCookies;
  return {
    password: Object.fromEntries(Object.entries(deps.config.cookieSecrets)),
    cookieName: secure ? '__Host-portal-fed' : 'portal-fed',
    ttl: 600,
    // Lax: the upstream sends the browser back with a cross-site top-level GET.
    cookieOptions: { httpOnly: true, secure, path: '/', sameSite: 'lax' },
  };
}

export function federationRedirectUri(deps: Deps): string {
  return `${deps.config.publicUrl}/bff/federation/callback`;
}

/** The interaction this browser holds, if it is `uid` and still waits for a sign-in. */
async function loginInteraction(deps: Deps, req: Request, res: Response, uid: string | undefined) {
  try {
    const d = await deps.provider.interactionDetails(req, res);
    return d.uid === uid && d.prompt.name === 'login' ? d : null;
  } catch {
    return null;
  }
}

export function federationRoutes(deps: SessionDeps, mail: Mail): Router {
  const { store, provider, config } = deps;
  const r = Router();

  async function fail(req: Request, res: Response, reason: FederationFailure, ctx: { uid?: string; connection?: string; detail?: string } = {}) {
    await deps.audit.record('federation_failed', {
      ip: clientIp(req),
      userAgent: req.get('user-agent') ?? null,
      data: { reason, connection: ctx.connection ?? null, ...(ctx.detail ? { detail: ctx.detail } : {}) },
    });
    const q = new URLSearchParams({ reason });
    if (ctx.uid) q.set('uid', ctx.uid);
    res.setHeader('Cache-Control', 'no-store');
    res.redirect(303, `/federation/error?${q}`);
  }

  r.get('/federation/:connectionId/start', async (req, res) => {
    res.setHeader('Cache-Control', 'no-store');
    const q = startQuery.safeParse(req.query);
    if (!q.success) return fail(req, res, 'invalid_request');
    const { uid } = q.data;
    const connectionId = String(req.params.connectionId);
    const connection = await store.federation.findConnection(connectionId);
    if (!connection) return fail(req, res, 'connection_not_found', { uid, connection: connectionId.slice(0, 100) });
    if (!(await loginInteraction(deps, req, res, uid))) return fail(req, res, 'interaction_expired', { connection: connection.id });
    let start;
    try {
      start = await buildStart(await liveUpstreamConfig(deps, connection), {
        redirectUri: federationRedirectUri(deps),
        scopes: connection.scopes,
        loginHint: q.data.login_hint,
      });
    } catch (e) {
      deps.logger.warn({ connection: connection.id, err: { name: (e as Error)?.name, code: (e as { code?: string })?.code } }, 'upstream discovery failed');
      return fail(req, res, 'provider_unavailable', { uid, connection: connection.id, detail: 'discovery' });
    }
    const tx = await openIronSession<FederationTx>(req, res, txCookie(deps));
    Object.assign(tx, { uid, connectionId: connection.id, state: start.state, nonce: start.nonce, verifier: start.verifier });
    await tx.save();
    res.redirect(303, start.url.href);
  });

  r.get('/federation/callback', async (req, res) => {
    res.setHeader('Cache-Control', 'no-store');
    const tx = await openIronSession<FederationTx>(req, res, txCookie(deps));
    const { uid, connectionId, state, nonce, verifier } = tx;
    // Single use: whatever happens next, this transaction is spent.
    tx.destroy();
    if (!uid || !connectionId || !state || !nonce || !verifier) return fail(req, res, 'state_mismatch', { detail: 'no transaction' });
    const d = await loginInteraction(deps, req, res, uid);
    if (!d) return fail(req, res, 'interaction_expired', { connection: connectionId });
    const connection = await store.federation.findConnection(connectionId);
    if (!connection) return fail(req, res, 'connection_not_found', { uid, connection: connectionId });

    let result;
    try {
      const cfg = await upstreamConfig(deps, connection);
      result = await exchange(cfg, new URL(req.originalUrl, config.publicUrl), { redirectUri: federationRedirectUri(deps), state, nonce, verifier });
    } catch (e) {
      const reason = classifyFailure(e);
      const err = e as { code?: string; error?: string };
      deps.logger.info({ connection: connection.id, reason, err: { code: err.code, error: err.error } }, 'federation callback refused');
      return fail(req, res, reason, { uid, connection: connection.id, detail: String(err.error ?? err.code ?? (e as Error)?.name ?? 'error').slice(0, 100) });
    }

    const { profile, tokens } = result;
    const stored = toStoredTokens(tokens, deps.now());
    const canVerify = config.requireEmailVerification && mail.enabled;
    const outcome = await resolveUser(
      deps,
      connection,
      profile,
      { sealed: sealTokens(deps, connection.id, profile.sub, stored), expiresAt: stored.expires_at ?? null },
      canVerify,
    );
    if (outcome.kind === 'refused') return fail(req, res, outcome.reason, { uid, connection: connection.id });
    const meta = { ip: clientIp(req), userAgent: req.get('user-agent') ?? null };
    if (outcome.kind === 'pending') {
      await parkPendingLink(deps, req, res, { uid, connectionId: connection.id, subject: profile.sub, userId: outcome.user.id });
      await deps.audit.record('federation_link_pending', { ...meta, subjectId: outcome.user.id, data: { connection: connection.id } });
      res.redirect(303, `/interaction/${encodeURIComponent(uid)}`);
      return;
    }
    const { user } = outcome;
    await store.users.touchSignIn(user.id, deps.now());
    await ensureMembership(deps, connection, user.id);
    await deps.audit.record('sign_in', {
      ...meta,
      actorId: user.id,
      subjectId: user.id,
      data: { method: 'federation', connection: connection.id, provider: connection.name, created: outcome.created, clientId: d.params.client_id },
    });
    const steps = { ...deps, mail };
    if (needsVerification(steps, user)) {
      // The upstream did not vouch for the email: the same verification step as after a password.
      const tokenId = await sendVerification(steps, user, meta);
      d.result = { portalVerification: { accountId: user.id, tokenId, amr: ['fed'] } };
      await d.persist();
      res.redirect(303, `/interaction/${encodeURIComponent(uid)}`);
      return;
    }
    const login = { accountId: user.id, amr: ['fed'], acr: acrFor(connection), remember: true };
    // An account with a second factor answers it on the interaction screen first.
    if (await holdForSecondFactor(deps, d, login)) {
      res.redirect(303, `/interaction/${encodeURIComponent(uid)}`);
      return;
    }
    const redirectTo = await provider.interactionResult(req, res, { login }, { mergeWithLastSubmission: false });
    res.redirect(303, redirectTo);
  });

  r.post('/interaction/:uid/discover', async (req, res) => {
    const uid = String(req.params.uid);
    if (!(await loginInteraction(deps, req, res, uid))) {
      throw notFound('interaction_not_found', 'This sign-in request has expired or was started in another browser. Go back to the app and start again.');
    }
    const { email } = parse(discoverBody, req.body);
    const at = normaliseEmail(email).lastIndexOf('@');
    const domain = at > 0 ? normaliseEmail(email).slice(at + 1) : '';
    const c = domain ? await store.federation.findConnectionByDomain(domain) : null;
    res.setHeader('Cache-Control', 'no-store');
    res.json({ connection: c ? { id: c.id, name: c.name, kind: kindOf(c) } : null });
  });

  r.use(adminConnectionRoutes(deps));
  return r;
}
