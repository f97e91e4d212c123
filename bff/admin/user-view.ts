/** How the admin console sees a user, and the answers its user routes share. */
import type { Request } from 'express';
import type { Store, User, UserCursor } from '../store/store.ts';
import { AppError, badRequest, notFound } from '../http/errors.ts';
import { clientIp } from '../http/security.ts';

/** A user as the console lists and shows them; `updatedAt` is the version a change must name. */
export function adminUser(u: User) {
  return {
    id: u.id,
    email: u.email,
    name: u.name,
    role: u.role,
    disabled: u.disabled,
    emailVerified: u.emailVerified,
    hasPassword: u.passwordHash !== null,
    createdAt: u.createdAt,
    updatedAt: u.updatedAt,
    lastSignInAt: u.lastSignInAt,
    username: u.username ?? null,
    /** The password is the initial one an administrator set: the next sign-in asks for a new one. */
    mustChangePassword: u.mustChangePassword === true,
  };
}

export const userGone = () => notFound('user_not_found', 'This user no longer exists: another administrator may have deleted them.');

export async function findUserOr404(store: Store, id: string): Promise<User> {
  const u = await store.users.findById(id);
  if (!u) throw userGone();
  return u;
}

export const staleUser = () =>
  new AppError(
    'user_changed',
    'Another administrator changed this user since you opened the page. Nothing was saved: look at the current details and try again.',
    { status: 409 },
  );

export const lastAdmin = () =>
  new AppError('last_admin', 'This is the only enabled administrator. Make someone else an administrator first, so the portal is never left without one.', {
    status: 409,
  });

export const confirmSelf = () =>
  badRequest('confirm_self', 'This changes your own account. Confirm that you mean it.', { confirmSelf: 'Confirm the change to your own account.' });

/** Cursors travel as one opaque string: base64url of [key, id]. */
export function encodeCursor(c: UserCursor | null): string | null {
  return c ? Buffer.from(JSON.stringify([c.key, c.id])).toString('base64url') : null;
}

export function decodeCursor(s: string | undefined): UserCursor | null {
  if (!s) return null;
  try {
    const v: unknown = JSON.parse(Buffer.from(s, 'base64url').toString('utf8'));
    if (Array.isArray(v) && v.length === 2 && Number.isSafeInteger(v[0]) && typeof v[1] === 'string' && v[1].length <= 200)
      return { key: v[0] as number, id: v[1] };
  } catch {
    // falls through to the clear error below
  }
  throw badRequest('invalid_cursor', 'That page link is not valid. Start again from the first page.', { after: 'not a page cursor' });
}

export const auditMeta = (req: Request, actorId: string, subjectId: string) => ({
  actorId,
  subjectId,
  ip: clientIp(req),
  userAgent: req.get('user-agent') ?? null,
});
