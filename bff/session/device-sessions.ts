/**
 * A person's signed-in browsers, as the account screen and the admin user page show them, and
 * ending them one at a time or all at once. Each entry is named by a handle (a hash of the
 * session id) so the id itself, which the cookie seals, never leaves the server.
 */
import { createHash } from 'node:crypto';
import Bowser from 'bowser';
import type { BffSession } from '../store/store.ts';
import { endSession } from './login.ts';
import { type SessionDeps } from './guard.ts';
import type { DeviceSession } from '../../api/sessions.ts';

export type { DeviceSession };

export const sessionHandle = (id: string): string => createHash('sha256').update(id).digest('base64url').slice(0, 22);

function describe(s: BffSession, currentId: string | null): DeviceSession {
  const ua = typeof s.data.userAgent === 'string' ? s.data.userAgent : '';
  const parsed = ua ? Bowser.parse(ua) : null;
  const browser = parsed?.browser.name
    ? `${parsed.browser.name}${parsed.browser.version ? ` ${parsed.browser.version.split('.')[0]}` : ''}`
    : 'Unknown browser';
  const os = parsed?.os.name ? `${parsed.os.name}${parsed.os.versionName ? ` ${parsed.os.versionName}` : ''}` : 'Unknown system';
  return {
    handle: sessionHandle(s.id),
    browser,
    os,
    ip: typeof s.data.ip === 'string' ? s.data.ip : null,
    createdAt: s.createdAt,
    lastActiveAt: s.lastSeenAt,
    current: s.id === currentId,
  };
}

/** The user's own sign-ins that still work (not revoked, expired or idle), newest first; an impersonation is not theirs. */
async function liveSessions(deps: SessionDeps, userId: string): Promise<BffSession[]> {
  const now = deps.now();
  const idleMs = deps.config.ttl.sessionIdle * 1000;
  return (await deps.store.bffSessions.listForUser(userId, now)).filter((s) => s.lastSeenAt + idleMs > now && !s.data.impersonation);
}

export async function listDeviceSessions(deps: SessionDeps, userId: string, currentId: string | null): Promise<DeviceSession[]> {
  return (await liveSessions(deps, userId)).map((s) => describe(s, currentId));
}

/**
 * Ends the user's session named by `handle`: its row, the grant behind its refresh token and its
 * provider session. False when no live session of theirs has that handle.
 */
export async function endDeviceSession(deps: SessionDeps, userId: string, handle: string): Promise<BffSession | null> {
  const s = (await liveSessions(deps, userId)).find((x) => sessionHandle(x.id) === handle);
  if (!s) return null;
  await endSession(deps, s);
  return s;
}

/** Ends every live session of the user except `exceptId`; returns how many. */
export async function endOtherDeviceSessions(deps: SessionDeps, userId: string, exceptId: string | null): Promise<number> {
  let n = 0;
  for (const s of await liveSessions(deps, userId)) {
    if (s.id === exceptId) continue;
    await endSession(deps, s);
    n++;
  }
  return n;
}
