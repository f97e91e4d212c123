/**
 * The BFF's two cookies: the session cookie (a sealed session id, SameSite=Strict)
 * and the short-lived transaction cookie of a sign-in in progress (SameSite=Lax,
 * so it survives the provider's redirect back).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { SessionOptions } from 'iron-session';
import type { Deps } from '../deps.ts';
import { openIronSession } from './seal-cache.ts';

interface CookieData {
  sid?: string;
}

/** What the transaction cookie holds between /bff/login (or an impersonation start) and /bff/callback. */
export interface TxData {
  state?: string;
  nonce?: string;
  verifier?: string;
  returnTo?: string;
  /** Set when this sign-in is an admin's impersonation of a user. */
  impersonationId?: string;
}

export function cookieOptions(deps: Pick<Deps, 'config'>) {
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

export type SessionCookies = ReturnType<typeof cookieOptions>;

/** Starts a fresh BFF session in this browser (sign-in, impersonation start and stop). */
export async function setSessionCookie(deps: { cookies: SessionCookies }, req: IncomingMessage, res: ServerResponse, sid: string): Promise<void> {
  const cookie = await openIronSession<CookieData>(req, res, deps.cookies.session);
  cookie.sid = sid;
  await cookie.save();
}

export async function clearSessionCookie(deps: { cookies: SessionCookies }, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const cookie = await openIronSession<CookieData>(req, res, deps.cookies.session);
  cookie.destroy();
}

/** The transaction cookie of a sign-in in progress. */
export function openTx(deps: { cookies: SessionCookies }, req: IncomingMessage, res: ServerResponse) {
  return openIronSession<TxData>(req, res, deps.cookies.tx);
}
