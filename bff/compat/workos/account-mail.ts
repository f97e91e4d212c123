/**
 * WorkOS's email verification and password reset endpoints, translated onto
 * the portal's own steps (accounts/verify-email.ts, accounts/password-reset.ts):
 *
 *   POST /user_management/users/:id/email_verification/send     sendVerificationEmail
 *   POST /user_management/users/:id/email_verification/confirm  verifyEmail
 *   POST /user_management/password_reset                        createPasswordReset
 *   POST /user_management/password_reset/confirm                resetPassword
 *
 * Each needs the API key. Unlike WorkOS, no answer carries a secret (a reset
 * token or URL): the portal's accounts are shared by every partner, so the
 * reset link only ever travels by mail to the person.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Deps } from '../../deps.ts';
import { requestPasswordReset, completePasswordReset, RESET_TTL_MS } from '../../accounts/password-reset.ts';
import { normaliseEmail } from '../../accounts/email.ts';
import { sendVerification, verifyCode } from '../../accounts/verify-email.ts';
import type { RequestInfo, WorkOSHooks } from './exchange.ts';
import { clientByApiKey } from './magic-auth.ts';
import { steps } from './password.ts';
import { WorkOSError, invalidGrant, workosUser } from './map.ts';

const keyOf = (clientId: string, userId: string) => `workos-verify:${createHash('sha256').update(`${clientId}\n${userId}`).digest('base64url')}`;
const notFound = () => new WorkOSError(404, 'not_found', 'No user with this id.', { code: 'entity_not_found' });
const meta = (info: RequestInfo) => ({ ip: info.ip, userAgent: info.userAgent });

async function userOf(deps: Deps, id: string) {
  const user = await deps.store.users.findById(id);
  if (!user || user.disabled) throw notFound();
  return user;
}

export async function sendVerificationEmail(deps: Deps, hooks: WorkOSHooks, userId: string, info: RequestInfo) {
  const client = await clientByApiKey(deps, info.bearer, info.ip);
  const user = await userOf(deps, userId);
  if (user.emailVerified) throw new WorkOSError(400, 'invalid_request', 'The email is already verified.', { code: 'email_already_verified' });
  const tokenId = await sendVerification(steps(deps, hooks.mail), user, meta(info));
  await deps.store.settings.set(keyOf(client.clientId, user.id), tokenId);
  return { user: workosUser(user) };
}

export async function verifyEmail(deps: Deps, hooks: WorkOSHooks, userId: string, code: string, info: RequestInfo) {
  const client = await clientByApiKey(deps, info.bearer, info.ip);
  const user = await userOf(deps, userId);
  const tokenId = await deps.store.settings.get(keyOf(client.clientId, user.id));
  if (!tokenId) throw invalidGrant('No verification code was sent to this user for this client, or it has expired. Send a new one.', 'code_expired');
  const verified = await verifyCode(steps(deps, hooks.mail), { accountId: user.id, tokenId, amr: [] }, code.trim(), meta(info));
  return { user: workosUser({ ...verified, emailVerified: true }) };
}

export async function createPasswordReset(deps: Deps, hooks: WorkOSHooks, rawEmail: string, info: RequestInfo) {
  await clientByApiKey(deps, info.bearer, info.ip);
  const s = steps(deps, hooks.mail);
  await requestPasswordReset(s, rawEmail, meta(info));
  const now = deps.now();
  return {
    object: 'password_reset',
    id: `password_reset_${randomBytes(13).toString('hex').toUpperCase()}`,
    // Never whether the email has an account, never the token (see above).
    user_id: null,
    email: normaliseEmail(rawEmail),
    expires_at: new Date(now + RESET_TTL_MS).toISOString(),
    created_at: new Date(now).toISOString(),
  };
}

export async function resetPassword(deps: Deps, hooks: WorkOSHooks, token: string, password: string, info: RequestInfo) {
  await clientByApiKey(deps, info.bearer, info.ip);
  if (!hooks.endBffSessions) throw new Error('the WorkOS adapter was mounted without endBffSessions');
  // As the portal's own reset screen with "Sign out everywhere" ticked (its default).
  const { user } = await completePasswordReset(
    steps(deps, hooks.mail),
    { token, password, signOutEverywhere: true, endBffSessions: hooks.endBffSessions },
    meta(info),
  );
  const fresh = await deps.store.users.findById(user.id);
  return { user: workosUser(fresh ?? user) };
}
