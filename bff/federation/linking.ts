/**
 * Account linking. An upstream (connection, sub) signs in the portal user it
 * is linked to. Unlinked, it creates a user just in time, verified only when
 * the upstream asserts `email_verified: true` (otherwise the sign-in's email
 * verification step applies, as for sign-up); it never attaches itself silently to
 * an existing account: a password account must prove itself by signing in
 * with its password once in the same interaction (the pending link waits in
 * the store, bound to this browser by a sealed cookie).
 */
import type { Request, Response } from 'express';
import type { SessionOptions } from 'iron-session';
import { openIronSession } from '../session/seal-cache.ts';
import type { Deps } from '../deps.ts';
import type { User } from '../store/store.ts';
import { AppError } from '../http/errors.ts';
import { clientIp } from '../http/security.ts';
import { createAccount } from '../accounts/accounts.ts';
import { emailProblem, normaliseEmail } from '../accounts/email.ts';
import type { Connection, FederatedIdentity } from '../store/federation.ts';
import { kindOf } from './connections.ts';
import type { UpstreamProfile } from './upstream.ts';

export type LinkRefusal = 'email_unverified' | 'account_exists' | 'account_disabled';

export type LinkOutcome = { kind: 'signed_in'; user: User; created: boolean } | { kind: 'pending'; user: User } | { kind: 'refused'; reason: LinkRefusal };

interface PendingLinkCookie {
  uid?: string;
  connectionId?: string;
  subject?: string;
  userId?: string;
}

function pendingCookie(deps: Deps): SessionOptions {
  const secure = deps.config.secureCookies;
  return {
    password: Object.fromEntries(Object.entries(deps.config.cookieSecrets)),
    cookieName: secure ? '__Host-portal-fed-link' : 'portal-fed-link',
    ttl: 900,
    cookieOptions: { httpOnly: true, secure, path: '/', sameSite: 'lax' },
  };
}

export interface SignInTokens {
  /** Sealed tokens (federation/tokens.ts) and when the access token expires (ms). */
  sealed: string | null;
  expiresAt: number | null;
}

/** Decides who this upstream identity signs in as, creating or parking a link as the rules allow. */
/**
 * `canVerify`: whether the sign-in's email verification step will run for a new unverified account
 * (mail on and REQUIRE_EMAIL_VERIFICATION). Without it, an email the upstream did not vouch for is
 * refused as before: nobody would ever prove it, and the account would be someone's word alone.
 */
export async function resolveUser(
  deps: Deps,
  connection: Connection,
  profile: UpstreamProfile,
  tokens: SignInTokens,
  canVerify: boolean,
): Promise<LinkOutcome> {
  const { store } = deps;
  const now = deps.now();
  const email = profile.email ? normaliseEmail(profile.email) : null;
  const existing = await store.federation.findIdentity(connection.id, profile.sub);
  if (existing?.linkedAt != null) {
    const user = await store.users.findById(existing.userId);
    if (!user || user.disabled) return { kind: 'refused', reason: 'account_disabled' };
    await store.federation.recordSignIn(connection.id, profile.sub, { email, tokens: tokens.sealed, tokensExpiresAt: tokens.expiresAt }, now);
    return { kind: 'signed_in', user, created: false };
  }

  if (!email || emailProblem(email) || (!profile.emailVerified && !canVerify)) return { kind: 'refused', reason: 'email_unverified' };
  const identity: FederatedIdentity = {
    connectionId: connection.id,
    subject: profile.sub,
    userId: '',
    email,
    tokens: tokens.sealed,
    tokensExpiresAt: tokens.expiresAt,
    version: 1,
    refreshLockUntil: null,
    linkedAt: now,
    createdAt: now,
    lastUsedAt: now,
  };

  const owner = await store.users.findByEmail(email);
  if (owner) {
    if (owner.disabled) return { kind: 'refused', reason: 'account_disabled' };
    // Only a password proves the account; one created through another provider has none to offer.
    if (!owner.passwordHash) return { kind: 'refused', reason: 'account_exists' };
    await store.federation.upsertPendingIdentity({ ...identity, userId: owner.id, linkedAt: null });
    return { kind: 'pending', user: owner };
  }

  let user: User;
  try {
    user = await createAccount(store, { email, password: null, name: profile.name ?? undefined, emailVerified: profile.emailVerified }, now);
  } catch (e) {
    // Someone took the email in the meantime: never attach to it silently.
    if (e instanceof AppError && e.code === 'email_taken') return { kind: 'refused', reason: 'account_exists' };
    throw e;
  }
  if (!(await store.federation.insertIdentity({ ...identity, userId: user.id }))) {
    // A pending row for this identity (someone else's email before): replace it, linked to the new user.
    await store.federation.upsertPendingIdentity({ ...identity, userId: user.id });
    await store.federation.confirmLink(connection.id, profile.sub, user.id, now);
  }
  await deps.audit.record('user_created', { subjectId: user.id, data: { via: 'federation', connection: connection.id } });
  return { kind: 'signed_in', user, created: true };
}

/** An organization connection's users are members of its organization. */
export async function ensureMembership(deps: Deps, connection: Connection, userId: string): Promise<void> {
  if (kindOf(connection) !== 'sso' || !connection.orgId) return;
  await deps.store.orgs.addMembership({ userId, organizationId: connection.orgId, role: 'member' }, deps.now());
}

export async function parkPendingLink(deps: Deps, req: Request, res: Response, p: Required<PendingLinkCookie>): Promise<void> {
  const cookie = await openIronSession<PendingLinkCookie>(req, res, pendingCookie(deps));
  Object.assign(cookie, p);
  await cookie.save();
}

/** The pending link of this browser for this interaction, for the sign-in screen's message. */
export async function pendingLinkFor(
  deps: Deps,
  req: Request,
  res: Response,
  uid: string,
): Promise<{ connection: { id: string; name: string }; email: string } | null> {
  const cookie = await openIronSession<PendingLinkCookie>(req, res, pendingCookie(deps));
  if (!cookie.uid || cookie.uid !== uid || !cookie.connectionId || !cookie.subject) return null;
  const [connection, identity] = await Promise.all([
    deps.store.federation.findConnection(cookie.connectionId),
    deps.store.federation.findIdentity(cookie.connectionId, cookie.subject),
  ]);
  if (!connection || !identity || identity.linkedAt !== null || identity.userId !== cookie.userId) return null;
  const user = await deps.store.users.findById(identity.userId);
  return user ? { connection: { id: connection.id, name: connection.name }, email: user.email } : null;
}

/**
 * Called after a successful password sign-in in interaction `uid`: when this
 * browser parked a link for that very user, the link is saved. Returns the
 * connection linked, or null.
 */
export async function completePendingLink(deps: Deps, req: Request, res: Response, uid: string, user: User): Promise<Connection | null> {
  const cookie = await openIronSession<PendingLinkCookie>(req, res, pendingCookie(deps));
  const { uid: forUid, connectionId, subject, userId } = cookie;
  if (!forUid || !connectionId || !subject) return null;
  cookie.destroy();
  if (forUid !== uid || userId !== user.id) return null;
  if (!(await deps.store.federation.confirmLink(connectionId, subject, user.id, deps.now()))) return null;
  const connection = await deps.store.federation.findConnection(connectionId);
  if (connection) await ensureMembership(deps, connection, user.id);
  await deps.audit.record('federation_linked', {
    actorId: user.id,
    subjectId: user.id,
    ip: clientIp(req),
    userAgent: req.get('user-agent') ?? null,
    data: { connection: connectionId, name: connection?.name ?? null },
  });
  return connection;
}
