/**
 * Unsealing an iron cookie costs hundreds of microseconds of WebCrypto. The
 * seal is authenticated, so the result for one exact sealed string never
 * changes: we keep a bounded map from the string to what it unsealed to, for
 * a short while. A tampered cookie is a different string, so it is unsealed
 * (and refused) like any other. Only successful unseals are kept.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { getIronSession, unsealData, type IronSession, type SessionOptions } from 'iron-session';

const MAX_ENTRIES = 10_000;
const KEEP_MS = 60_000;

export interface SealCache {
  /** The session id sealed in this request's cookie, or undefined. */
  sid(req: IncomingMessage, cookieName: string): Promise<string | undefined>;
}

export function readCookie(req: IncomingMessage, name: string): string | undefined {
  const header = req.headers.cookie;
  if (!header) return undefined;
  // One pass over the header, no array of parts: this runs on every signed-in request.
  for (let start = 0; start < header.length;) {
    let end = header.indexOf(';', start);
    if (end < 0) end = header.length;
    const i = header.indexOf('=', start);
    if (i > start && i < end && header.slice(start, i).trim() === name) {
      const value = header.slice(i + 1, end).trim();
      try {
        return value.includes('%') ? decodeURIComponent(value) : value;
      } catch {
        return undefined;
      }
    }
    start = end + 1;
  }
  return undefined;
}

export function createSealCache(password: Record<string, string>, ttlSeconds: number): SealCache {
  const entries = new Map<string, { sid: string; until: number }>();
  return {
    async sid(req, cookieName) {
      const sealed = readCookie(req, cookieName);
      if (!sealed || sealed.length > 4096) return undefined;
      const now = Date.now();
      const hit = entries.get(sealed);
      if (hit && hit.until > now) return hit.sid;
      const data = await unsealData<{ sid?: unknown }>(sealed, { password, ttl: ttlSeconds }).catch(() => ({}) as { sid?: unknown });
      if (typeof data.sid !== 'string') return undefined;
      if (entries.size >= MAX_ENTRIES) entries.delete(entries.keys().next().value!);
      entries.set(sealed, { sid: data.sid, until: now + KEEP_MS });
      return data.sid;
    },
  };
}

/**
 * getIronSession, except that a cookie which does not unseal is no session. iron-session turns
 * only some failures into an empty session; others ("Wrong mac prefix", "Invalid expiration", a
 * password id like `__proto__`) throw, and a garbage cookie must not be a 500.
 */
export async function openIronSession<T extends object>(req: IncomingMessage, res: ServerResponse, options: SessionOptions): Promise<IronSession<T>> {
  try {
    return await getIronSession<T>(req, res, options);
  } catch {
    // The same session, read as if the browser had sent no cookie; save() and destroy() still reach `res`.
    return getIronSession<T>({ headers: {} } as IncomingMessage, res, options);
  }
}
