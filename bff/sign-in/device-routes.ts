/**
 * The /device screen's API (RFC 8628 §3.3): a signed-in person types the code
 * their device shows, sees which app asks for what, and approves or denies.
 * Wrong codes are throttled per person and per address (codes are short, so
 * guessing must stay slow). The device code is completed through
 * oidc-provider's own models (device.ts explains why not its HTML pages).
 */
import { Router, type Request } from 'express';
import { z } from 'zod';
import type { DeviceCode } from 'oidc-provider';
import { requireSession, type SessionDeps } from '../session/guard.ts';
import { parse } from '../http/validate.ts';
import { AppError, forbidden, tooMany } from '../http/errors.ts';
import { clientIp } from '../http/security.ts';
import { describeScope, SCOPE_NAMES } from '../oauth/scopes.ts';
import { PORTAL_RESOURCE } from '../oauth/resource.ts';
import { applyScopes, joinConsent, splitConsent } from '../oauth/grants.ts';
import { looksLikeUserCode, normalizeUserCode } from '../oauth/device.ts';

/** Wrong codes one person (or one address) may type per window. */
export const DEVICE_CODE_FAILURES = 10;
const WINDOW_MS = 15 * 60_000;

/** The throttle counters a wrong code counts on: the person's and the address's. */
export const deviceThrottleKeys = (userId: string, ip: string | null): string[] => [`device-user-code:${userId}`, `device-user-code-ip:${ip ?? 'unknown'}`];

const body = z.object({ userCode: z.string().max(40) });

const unknownCode = () =>
  new AppError('device_code_not_found', 'That code is not valid. Check the code on your device and try again.', {
    status: 404,
    fields: { userCode: 'That code is not valid.' },
  });

export function deviceRoutes(deps: SessionDeps): Router {
  const r = Router();
  const { store, provider, audit, now } = deps;

  /** The device code behind what the person typed, counting a wrong one against them. */
  async function findCode(req: Request, userId: string): Promise<DeviceCode> {
    const keys = deviceThrottleKeys(userId, clientIp(req) ?? null);
    const t = now();
    const seen = await Promise.all(keys.map((k) => store.throttle.peek(k, t)));
    const blocked = seen.find((s) => s && s.count >= DEVICE_CODE_FAILURES && s.resetAt > t);
    const wait = (resetAt: number) => Math.max(1, Math.ceil((resetAt - t) / 1000));
    if (blocked) throw tooMany(`Too many wrong codes. Try again in ${Math.ceil(wait(blocked.resetAt) / 60)} minutes.`, wait(blocked.resetAt));
    const typed = normalizeUserCode(parse(body, req.body).userCode);
    const code = looksLikeUserCode(typed) ? await provider.DeviceCode.findByUserCode(typed, { ignoreExpiration: true }) : undefined;
    if (code && !code.isExpired && !code.error && !code.accountId) return code;
    await Promise.all(keys.map((k) => store.throttle.hit(k, t, WINDOW_MS)));
    if (code?.isExpired)
      throw new AppError('device_code_expired', 'That code has expired. Start again on your device to get a new one.', {
        status: 410,
        fields: { userCode: 'That code has expired.' },
      });
    if (code)
      throw new AppError('device_code_used', 'That code was already used. Start again on your device to get a new one.', {
        status: 409,
        fields: { userCode: 'That code was already used.' },
      });
    throw unknownCode();
  }

  /** The scopes the device asked for that its app may have (openid always). */
  async function requested(code: DeviceCode) {
    const client = await provider.Client.find(code.clientId!);
    if (!client) throw unknownCode();
    const allowed = new Set((client.scope ?? '').split(' '));
    const asked = String((code.params as Record<string, unknown> | undefined)?.scope ?? 'openid').split(' ');
    const scopes = [...new Set(['openid', ...asked])].filter((s) => SCOPE_NAMES.includes(s) && allowed.has(s));
    return { client, scopes };
  }

  r.post('/device/lookup', async (req, res) => {
    const { user } = await requireSession(deps, req, res);
    const code = await findCode(req, user.id);
    const { client, scopes } = await requested(code);
    res.json({
      app: { name: client.clientName ?? client.clientId, logoUrl: client.logoUri ?? null },
      scopes: scopes.map((s) => ({ name: s, description: describeScope(s).description })),
      expiresAt: code.exp! * 1000,
    });
  });

  r.post('/device/approve', async (req, res) => {
    const { user, session } = await requireSession(deps, req, res);
    if (session.data.impersonation)
      throw forbidden('impersonation_forbidden', 'You are impersonating this user: a device cannot be signed in on their behalf.');
    const code = await findCode(req, user.id);
    const { client, scopes } = await requested(code);
    const clientId = client.clientId;
    const grant = new provider.Grant({ accountId: user.id, clientId });
    applyScopes(grant, scopes, []);
    const grantId = await grant.save();
    Object.assign(code, { accountId: user.id, grantId, scope: scopes.join(' '), authTime: Math.floor(now() / 1000), amr: ['pwd'], resource: PORTAL_RESOURCE });
    await code.save();
    // The app shows among the person's connected apps, where its access can be removed.
    const previous = await store.consents.find(user.id, clientId);
    const prev = splitConsent(previous);
    const t = now();
    await store.consents.upsert({
      userId: user.id,
      clientId,
      scopes: joinConsent(
        [...new Set([...prev.allowed, ...scopes])],
        prev.declined.filter((s) => !scopes.includes(s)),
      ),
      grantId,
      grantedAt: previous?.grantedAt ?? t,
      updatedAt: t,
    });
    await audit.record('device_approved', {
      actorId: user.id,
      subjectId: user.id,
      ip: clientIp(req),
      userAgent: req.get('user-agent') ?? null,
      data: { clientId, scopes },
    });
    res.json({ ok: true, app: { name: client.clientName ?? clientId } });
  });

  r.post('/device/deny', async (req, res) => {
    const { user } = await requireSession(deps, req, res);
    const code = await findCode(req, user.id);
    Object.assign(code, { error: 'access_denied', errorDescription: 'The person denied the device access.' });
    await code.save();
    await audit.record('device_denied', {
      actorId: user.id,
      subjectId: user.id,
      ip: clientIp(req),
      userAgent: req.get('user-agent') ?? null,
      data: { clientId: code.clientId },
    });
    res.json({ ok: true });
  });

  return r;
}
