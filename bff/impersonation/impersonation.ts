/**
 * Accountable impersonation: policy, start (a new session for the target,
 * issued through the provider), stop, and expiry. The admin's own session is
 * kept aside and comes back on stop or at expiry.
 */
import { randomUUID } from 'node:crypto';
import type { Request, Response } from 'express';
import { decodeJwt } from 'jose';
import { errors } from 'oidc-provider';
import { AppError, type ErrorCode } from '../http/errors.ts';
import { clientIp } from '../http/security.ts';
import type { ClaimsContributor } from '../oauth/claims.ts';
import type { Current, SessionCore, SessionDeps, SessionHooks } from '../session/guard.ts';
import { setSessionCookie, clearSessionCookie } from '../session/cookies.ts';
import { beginLogin, endSession } from '../session/login.ts';
import type { SessionTokens } from '../session/sessions.ts';
import type { Impersonation } from '../store/store.ts';
import { stepUpProblem } from '../mfa/policy.ts';

import { DURATION_MAX, REASON_MAX, REASON_MIN, REASON_TOO_LONG, REASON_TOO_SHORT } from '../../api/impersonation.ts';

export { DURATION_MAX, REASON_MAX, REASON_MIN };
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
  const { store, audit } = deps;
  const now = deps.now();
  const reason = (input.reason ?? '').trim();
  const refuse = async (status: number, code: ErrorCode, message: string): Promise<never> => {
    await audit.record('impersonation_refused', {
      ...meta(req),
      actorId: cur.user.id,
      subjectId: input.userId || null,
      data: { code, reason: reason.slice(0, REASON_MAX) },
    });
    throw new AppError(code, message, { status });
  };

  if (impersonationOf(cur))
    return refuse(403, 'impersonation_forbidden', 'You are already impersonating someone. Stop that first; impersonation cannot be nested.');
  if (cur.user.role !== 'admin') return refuse(403, 'admin_required', 'Only administrators can impersonate users.');
  // An admin with a second factor proves it is them with a recent one (the SPA asks for a code);
  // one without (MFA_ADMINS=optional) with a recent password.
  const stepUp = await stepUpProblem(deps, cur.session, cur.user, now);
  if (stepUp.problem) return refuse(403, stepUp.problem.code, stepUp.problem.message);
  const authTime = Number(cur.session.data.authTime ?? cur.session.createdAt);
  if (!stepUp.use && now - authTime > FRESH_AUTH_MS)
    return refuse(403, 'reauth_required', 'For your protection, sign in again (with your password) before impersonating someone.');
  if (reason.length < REASON_MIN) return refuse(400, 'reason_required', REASON_TOO_SHORT);
  if (reason.length > REASON_MAX) return refuse(400, 'reason_too_long', REASON_TOO_LONG);
  const minutes = input.durationMinutes ?? DURATION_MAX;
  if (!Number.isInteger(minutes) || minutes < 1 || minutes > DURATION_MAX)
    return refuse(400, 'invalid_duration', `The duration must be a whole number of minutes from 1 to ${DURATION_MAX}.`);
  const target = input.userId ? await store.users.findById(input.userId) : null;
  if (!target) return refuse(404, 'target_not_found', 'That user does not exist.');
  if (target.id === cur.user.id) return refuse(400, 'cannot_impersonate_self', 'You cannot impersonate yourself.');
  if (target.disabled) return refuse(400, 'target_disabled', 'That account is disabled; it cannot be impersonated.');
  if (target.role === 'admin') return refuse(403, 'target_is_admin', 'Administrators cannot be impersonated.');

  const id = randomUUID();
  const expiresAt = now + minutes * 60_000;
  await store.impersonations.create({
    id,
    adminId: cur.user.id,
    targetId: target.id,
    reason,
    startedAt: now,
    expiresAt,
    grantId: null,
    adminSessionId: cur.session.id,
    sessionId: null,
  });
  await audit.record('impersonation_requested', {
    ...meta(req),
    actorId: cur.user.id,
    subjectId: target.id,
    data: { impersonationId: id, reason, durationMinutes: minutes, secondFactor: stepUp.use?.factor ?? null },
  });
  // A real authorization request for the portal's own client: the provider signs this browser
  // in as the target (amr ['imp'], acr 'imp:<id>'), so every token it mints from here on, for the
  // portal and for partner apps, goes through the claims hook below.
  return { redirectTo: await beginLogin(deps, req, res, { returnTo: '/account', impersonationId: id, prompt: 'login', extra: { impersonation: id } }) };
}

/** The acr an impersonation session carries, and back. */
export const impersonationAcr = (id: string) => `imp:${id}`;
export const impersonationIdFromAcr = (acr: unknown) => (typeof acr === 'string' && acr.startsWith('imp:') ? acr.slice(4) : null);

/** How long the admin's browser has to complete the sign-in-as after asking for it. */
const START_WINDOW_MS = 5 * 60_000;

/**
 * The login interaction of an impersonation request: valid only in the browser of the admin who
 * asked, once, shortly after asking. Returns the provider's login result, or throws a refusal.
 */
export async function impersonationLogin(deps: SessionDeps, cur: Current | null, id: string) {
  const imp = await deps.store.impersonations.find(id);
  const now = deps.now();
  if (!imp || !cur || imp.adminSessionId !== cur.session.id || imp.endedAt !== null || imp.sessionId !== null || now - imp.startedAt > START_WINDOW_MS) {
    throw new AppError(
      'impersonation_invalid',
      'This impersonation request is not valid in this browser any more. Start again from the impersonation screen.',
      { status: 403 },
    );
  }
  const target = await deps.store.users.findById(imp.targetId);
  if (!target || target.disabled || target.role === 'admin')
    throw new AppError('impersonation_invalid', 'That user can no longer be impersonated.', { status: 403 });
  return { login: { accountId: target.id, amr: ['imp'], acr: impersonationAcr(id), remember: false } };
}

/** After the callback: the BFF session for the impersonation replaces the admin's in this browser. */
export async function completeImpersonation(
  deps: SessionCore,
  req: Request,
  id: string,
  tokens: SessionTokens,
  accessExpiresAt: number,
  grantId: string | undefined,
): Promise<string> {
  const { store, audit } = deps;
  const imp = await store.impersonations.find(id);
  const admin = imp ? await store.users.findById(imp.adminId) : null;
  // The tokens must be the target's, from this impersonation (not a password sign-in that
  // happened to carry the same transaction cookie).
  // The token comes straight from our own token endpoint, so reading its claims is enough.
  const claims = decodeJwt(tokens.access_token) as { sub?: string; act?: { sub?: string } };
  if (!imp || !admin || imp.endedAt !== null || imp.sessionId !== null || claims.sub !== imp.targetId || claims.act?.sub !== imp.adminId) {
    throw new AppError('impersonation_invalid', 'This impersonation request is not valid any more. Start again from the impersonation screen.', {
      status: 403,
    });
  }
  const state: ImpersonationState = {
    id,
    impersonator: { id: admin.id, email: admin.email, name: admin.name },
    reason: imp.reason,
    expiresAt: imp.expiresAt,
    adminSessionId: imp.adminSessionId!,
  };
  const s = await deps.sessions.create(imp.targetId, tokens, accessExpiresAt, { impersonation: state, authTime: deps.now() }, { expiresAt: imp.expiresAt });
  await store.impersonations.setSession(id, s.id);
  if (grantId) await store.impersonations.setGrant(id, grantId);
  const target = await store.users.findById(imp.targetId);
  await audit.record('impersonation_started', {
    ...meta(req),
    actorId: admin.id,
    subjectId: imp.targetId,
    data: {
      impersonationId: id,
      reason: imp.reason,
      durationMinutes: Math.round((imp.expiresAt - imp.startedAt) / 60_000),
      targetEmail: target?.email,
      adminEmail: admin.email,
      expiresAt: imp.expiresAt,
    },
  });
  return s.id;
}

/** Ends an impersonation once (stop, expiry or logout): its session and grant stop working at once. */
async function finish(
  deps: SessionCore,
  imp: Impersonation,
  reason: 'stopped' | 'expired' | 'logout',
  ctx: { ip?: string | null; userAgent?: string | null } = {},
): Promise<boolean> {
  // Asked for but never completed in the browser: nothing was issued, nothing to audit as an end.
  if (imp.sessionId === null) return deps.store.impersonations.end(imp.id, deps.now(), 'abandoned');
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
export async function expireImpersonations(deps: SessionCore): Promise<number> {
  let n = 0;
  for (const imp of await deps.store.impersonations.listExpired(deps.now())) if (await finish(deps, imp, 'expired')) n++;
  return n;
}

/** What the session module calls back into, built before the sessions' deps (which carry it) exist. */
export function impersonationHooks(deps: SessionCore): SessionHooks {
  return {
    completeImpersonation: (req, id, tokens, accessExpiresAt, grantId) => completeImpersonation(deps, req, id, tokens, accessExpiresAt, grantId),
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

/** `act` (RFC 8693) and `impersonator` on every access token of an impersonation session; none once it ended. */
export function impersonationClaims(deps: Pick<SessionDeps, 'store' | 'now'>): ClaimsContributor {
  return async (ctx, token) => {
    // Impersonation sessions sign in with amr ['imp'] and acr 'imp:<id>'; every other token skips the lookup.
    const entities = ctx?.oidc?.entities as
      { AuthorizationCode?: { amr?: string[]; acr?: string }; RefreshToken?: { amr?: string[]; acr?: string } } | undefined;
    const source = entities?.AuthorizationCode ?? entities?.RefreshToken;
    let imp: Impersonation | null;
    if (source) {
      if (!source.amr?.includes('imp')) return undefined;
      const id = impersonationIdFromAcr(source.acr);
      imp = id ? await deps.store.impersonations.find(id) : null;
      // An impersonation source whose record is gone must not mint a plain-looking token.
      if (!imp) throw new errors.InvalidGrant('the impersonation has ended');
    } else if (token.grantId) {
      imp = await deps.store.impersonations.findByGrant(token.grantId);
      if (!imp) return undefined;
    } else {
      return undefined;
    }
    if (imp.endedAt !== null || imp.expiresAt <= deps.now()) throw new errors.InvalidGrant('the impersonation has ended');
    const admin = await deps.store.users.findById(imp.adminId);
    return { act: { sub: imp.adminId }, impersonator: { email: admin?.email ?? null, reason: imp.reason } };
  };
}
