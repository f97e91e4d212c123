/**
 * Accountable impersonation: policy, start (a new session for the target,
 * issued through the provider), stop, and expiry. The admin's own session is
 * kept aside and comes back on stop or at expiry.
 */
import { randomUUID } from 'node:crypto';
import type { Request, Response } from 'express';
import * as oidc from 'openid-client';
import { errors } from 'oidc-provider';
import { AppError } from '../http/errors.ts';
import { clientIp } from '../http/security.ts';
import { issueCode } from '../oauth/core.ts';
import type { ClaimsContributor } from '../oauth/claims.ts';
import { BFF_CLIENT_ID, bffRedirectUri } from '../session/oidc-client.ts';
import { endSession, setSessionCookie, clearSessionCookie, type Current, type SessionDeps, type SessionHooks } from '../session/routes.ts';
import type { Impersonation } from '../store/store.ts';

export const REASON_MIN = 10;
export const REASON_MAX = 500;
export const DURATION_MAX = 60;
/** An admin must have entered a password this recently to start impersonating. */
export const FRESH_AUTH_MS = 15 * 60_000;

/** What the session (and so the banner) knows about a running impersonation. */
export interface ImpersonationState {
  id: string;
  impersonator: { id: string; email: string; name: string };
  reason: string;
  expiresAt: number;
  adminSessionId: string;
}

export function impersonationOf(c: Current): ImpersonationState | null {
  return (c.session.data.impersonation as ImpersonationState | undefined) ?? null;
}

const meta = (req: Request) => ({ ip: clientIp(req), userAgent: req.get('user-agent') ?? null });

export interface StartInput {
  userId: string;
  reason: string;
  durationMinutes?: number;
}

export async function startImpersonation(deps: SessionDeps, req: Request, res: Response, cur: Current, input: StartInput): Promise<{ redirectTo: string }> {
  const { store, audit, config } = deps;
  const now = deps.now();
  const reason = (input.reason ?? '').trim();
  const refuse = async (status: number, code: string, message: string): Promise<never> => {
    await audit.record('impersonation_refused', { ...meta(req), actorId: cur.user.id, subjectId: input.userId || null, data: { code, reason: reason.slice(0, REASON_MAX) } });
    throw new AppError(code, message, { status });
  };

  if (impersonationOf(cur)) return refuse(403, 'impersonation_forbidden', 'You are already impersonating someone. Stop that first; impersonation cannot be nested.');
  if (cur.user.role !== 'admin') return refuse(403, 'admin_required', 'Only administrators can impersonate users.');
  const authTime = Number(cur.session.data.authTime ?? cur.session.createdAt);
  if (now - authTime > FRESH_AUTH_MS) return refuse(403, 'reauth_required', 'For your protection, sign in again (with your password) before impersonating someone.');
  if (reason.length < REASON_MIN) return refuse(400, 'reason_required', `Write why you are impersonating this user (at least ${REASON_MIN} characters).`);
  if (reason.length > REASON_MAX) return refuse(400, 'reason_too_long', `Keep the reason under ${REASON_MAX} characters.`);
  const minutes = input.durationMinutes ?? DURATION_MAX;
  if (!Number.isInteger(minutes) || minutes < 1 || minutes > DURATION_MAX) return refuse(400, 'invalid_duration', `The duration must be a whole number of minutes from 1 to ${DURATION_MAX}.`);
  const target = input.userId ? await store.users.findById(input.userId) : null;
  if (!target) return refuse(404, 'target_not_found', 'That user does not exist.');
  if (target.id === cur.user.id) return refuse(400, 'cannot_impersonate_self', 'You cannot impersonate yourself.');
  if (target.disabled) return refuse(400, 'target_disabled', 'That account is disabled; it cannot be impersonated.');
  if (target.role === 'admin') return refuse(403, 'target_is_admin', 'Administrators cannot be impersonated.');

  const id = randomUUID();
  const expiresAt = now + minutes * 60_000;
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const nonce = oidc.randomNonce();
  const scopes = ['openid', 'profile', 'email', 'offline_access'];
  await store.impersonations.create({ id, adminId: cur.user.id, targetId: target.id, reason, startedAt: now, expiresAt, grantId: null, adminSessionId: cur.session.id, sessionId: null });
  // The code is minted by the provider's own model and redeemed at its real token endpoint,
  // so every token of this grant goes through the claims hook below (act, impersonator).
  const { code, grantId } = await issueCode(deps, {
    clientId: BFF_CLIENT_ID,
    accountId: target.id,
    scopes,
    redirectUri: bffRedirectUri(config),
    amr: ['imp'],
    codeChallenge: await oidc.calculatePKCECodeChallenge(verifier),
    codeChallengeMethod: 'S256',
    nonce,
  });
  await store.impersonations.setGrant(id, grantId);
  const callback = new URL(bffRedirectUri(config));
  callback.searchParams.set('code', code);
  callback.searchParams.set('state', state);
  callback.searchParams.set('iss', config.issuer);
  let tokens;
  try {
    tokens = await oidc.authorizationCodeGrant(deps.oidcConfig(), callback, { pkceCodeVerifier: verifier, expectedState: state, expectedNonce: nonce, idTokenExpected: true });
  } catch (e) {
    await store.impersonations.end(id, deps.now(), 'failed');
    await store.oidc.revokeByGrantId(grantId);
    throw new AppError('impersonation_failed', 'The impersonation session could not be issued. Try again.', { status: 503, cause: e });
  }
  const state_: ImpersonationState = {
    id,
    impersonator: { id: cur.user.id, email: cur.user.email, name: cur.user.name },
    reason,
    expiresAt,
    adminSessionId: cur.session.id,
  };
  const s = await deps.sessions.create(
    target.id,
    { access_token: tokens.access_token, refresh_token: tokens.refresh_token, id_token: tokens.id_token, scope: tokens.scope },
    now + (tokens.expires_in ?? config.ttl.accessToken) * 1000,
    { impersonation: state_, authTime: now },
    { expiresAt },
  );
  await store.impersonations.setSession(id, s.id);
  await setSessionCookie(deps, req, res, s.id);
  await audit.record('impersonation_started', {
    ...meta(req),
    actorId: cur.user.id,
    subjectId: target.id,
    data: { impersonationId: id, reason, durationMinutes: minutes, targetEmail: target.email, adminEmail: cur.user.email, expiresAt },
  });
  return { redirectTo: '/account' };
}

/** Ends an impersonation once (stop, expiry or logout): its session and grant stop working at once. */
async function finish(deps: SessionDeps, imp: Impersonation, reason: 'stopped' | 'expired' | 'logout', ctx: { ip?: string | null; userAgent?: string | null } = {}): Promise<boolean> {
  if (!(await deps.store.impersonations.end(imp.id, deps.now(), reason))) return false;
  if (imp.sessionId) {
    const row = await deps.store.bffSessions.find(imp.sessionId);
    if (row) await endSession(deps, row);
  }
  if (imp.grantId) {
    await deps.store.oidc.revokeByGrantId(imp.grantId);
    await deps.store.oidc.destroy('Grant', imp.grantId);
  }
  await deps.audit.record(`impersonation_${reason === 'logout' ? 'stopped' : reason}`, {
    ...ctx,
    actorId: reason === 'expired' ? null : imp.adminId,
    subjectId: imp.targetId,
    data: { impersonationId: imp.id, adminId: imp.adminId, reason: imp.reason, endedBy: reason },
  });
  return true;
}

export async function stopImpersonation(deps: SessionDeps, req: Request, res: Response, cur: Current): Promise<{ redirectTo: string }> {
  const st = impersonationOf(cur);
  if (!st) throw new AppError('not_impersonating', 'You are not impersonating anyone.', { status: 400 });
  const imp = await deps.store.impersonations.find(st.id);
  if (imp) await finish(deps, imp, 'stopped', meta(req));
  const admin = await deps.sessions.load(st.adminSessionId);
  if (admin) {
    await setSessionCookie(deps, req, res, admin.session.id);
    return { redirectTo: '/admin/impersonate' };
  }
  await clearSessionCookie(deps, req, res);
  return { redirectTo: '/' };
}

/** Ends every impersonation whose time is up, server-side, whether or not a browser comes back. */
export async function expireImpersonations(deps: SessionDeps): Promise<number> {
  let n = 0;
  for (const imp of await deps.store.impersonations.listExpired(deps.now())) if (await finish(deps, imp, 'expired')) n++;
  return n;
}

export function impersonationHooks(deps: SessionDeps): SessionHooks {
  return {
    // The impersonation session expired under the admin's browser: end it, give the admin back their own.
    async sessionGone(sid) {
      const row = await deps.store.bffSessions.find(sid);
      const st = row?.data.impersonation as ImpersonationState | undefined;
      if (!row || !st) return null;
      const imp = await deps.store.impersonations.find(st.id);
      if (imp && imp.endedAt === null && imp.expiresAt <= deps.now()) await finish(deps, imp, 'expired');
      const ended = imp ? await deps.store.impersonations.find(imp.id) : null;
      return ended?.endReason === 'expired' ? st.adminSessionId : null;
    },
    // Signing out while impersonating signs the admin out entirely.
    async beforeLogout(cur) {
      const st = impersonationOf(cur);
      if (!st) return;
      const imp = await deps.store.impersonations.find(st.id);
      if (imp) await finish(deps, imp, 'logout');
      const admin = await deps.store.bffSessions.find(st.adminSessionId);
      if (admin) await endSession(deps, admin);
    },
  };
}

/** `act` (RFC 8693) and `impersonator` on every access token of an impersonation grant; none once it ended. */
export function impersonationClaims(deps: Pick<SessionDeps, 'store' | 'now'>): ClaimsContributor {
  return async (ctx, token) => {
    if (!token.grantId) return undefined;
    // Impersonation grants are minted with amr ['imp']: skip the lookup for every other token.
    const entities = ctx?.oidc?.entities as { AuthorizationCode?: { amr?: string[] }; RefreshToken?: { amr?: string[] } } | undefined;
    const source = entities?.AuthorizationCode ?? entities?.RefreshToken;
    if (source && !source.amr?.includes('imp')) return undefined;
    const imp = await deps.store.impersonations.findByGrant(token.grantId);
    if (!imp) return undefined;
    if (imp.endedAt !== null || imp.expiresAt <= deps.now()) throw new errors.InvalidGrant('the impersonation has ended');
    const admin = await deps.store.users.findById(imp.adminId);
    return { act: { sub: imp.adminId }, impersonator: { email: admin?.email ?? null, reason: imp.reason } };
  };
}
