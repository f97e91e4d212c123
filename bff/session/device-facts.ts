/** What a sign-in records on its BFF session for the list of signed-in browsers (device-sessions.ts). */
import type { Request } from 'express';
import { clientIp } from '../http/security.ts';

/** The user agent (cut to a sane size) and address of the browser signing in. */
export function deviceFacts(req: Request): { userAgent: string | null; ip: string | null } {
  return { userAgent: req.get('user-agent')?.slice(0, 512) ?? null, ip: clientIp(req) };
}
