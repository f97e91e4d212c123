/**
 * WorkOS's password grant (`authenticateWithPassword`) and the email
 * verification it may require, translated onto the core: the password goes
 * through the same `checkCredentials` and throttles as the browser's sign-in
 * (per account, per address: the person's `ip_address` when the partner
 * reports it), the code through `sendVerification`/`verifyCode` (the sign-in
 * step), and tokens through a code minted by the provider and redeemed like
 * any other (`authenticateWithCode`). Nothing here checks a password itself.
 */
import { randomBytes } from 'node:crypto';
import type { Deps } from '../../deps.ts';
import type { User } from '../../store/store.ts';
import type { Mail } from '../../mail/mail.ts';
import { AppError } from '../../http/errors.ts';
import { checkCredentials } from '../../accounts/accounts.ts';
import { issueCode } from '../../oauth/core.ts';
import { needsVerification, sendVerification, verifyCode, type PendingVerification } from '../../accounts/verify-email.ts';
import { authenticateClient, authenticateWithCode, type RequestInfo, type WorkOSHooks } from './exchange.ts';
import { putPending, readPending } from './org-selection.ts';
import { WORKOS_SCOPES, type EmailVerificationGrant, type MfaTotpGrant, type PasswordGrant } from './schema.ts';
import { readMfaPending, requireSecondFactor, spendMfaPending } from './mfa.ts';
import { MFA_ACR } from '../../mfa/policy.ts';
import { verifyTotpForUser } from '../../mfa/second-factor.ts';
import { WorkOSError, invalidClient, invalidGrant } from './map.ts';

interface PendingEmailVerification extends PendingVerification {
  kind: 'email_verification';
  clientId: string;
}

export const steps = (deps: Deps, mail: Mail | undefined) => {
  if (!mail) throw new Error('the WorkOS adapter was mounted without mail');
  return { ...deps, mail };
};

/** Mints a code for `user` at the provider and redeems it as `authenticateWithCode` does (organization rules included). */
export async function signIn(
  deps: Deps,
  hooks: WorkOSHooks,
  clientId: string,
  secret: string,
  user: User,
  amr: string[],
  body: { ip_address?: string; user_agent?: string; invitation_token?: string },
  info: RequestInfo,
) {
  // The second factor comes before any token: mfa_challenge / mfa_enrollment (mfa.ts).
  const mfa = amr.includes('mfa');
  if (!mfa) await requireSecondFactor(deps, clientId, user, amr, body.invitation_token);
  const client = (await deps.store.clients.find(clientId))!;
  const scopes = WORKOS_SCOPES.filter((s) => s === 'openid' || client.scopes.includes(s));
  const { code } = await issueCode(deps, { clientId, accountId: user.id, scopes, redirectUri: client.redirectUris[0]!, amr, acr: mfa ? MFA_ACR : undefined });
  const grant = { grant_type: 'authorization_code' as const, client_id: clientId, client_secret: secret, code, code_verifier: undefined };
  return authenticateWithCode(
    deps,
    hooks,
    { ...grant, invitation_token: body.invitation_token, ip_address: body.ip_address, user_agent: body.user_agent },
    info,
  );
}

export async function authenticateWithPassword(deps: Deps, hooks: WorkOSHooks, body: PasswordGrant, info: RequestInfo) {
  const { client, presented } = await authenticateClient(deps, body.client_id, body.client_secret, info);
  if (presented === undefined) throw invalidClient('The password grant needs the client secret (the API key).');
  const meta = { ip: body.ip_address ?? info.ip, userAgent: body.user_agent ?? info.userAgent };
  let user: User;
  try {
    user = await checkCredentials(body.email, body.password, {
      store: deps.store,
      now: deps.now(),
      maxFailures: deps.config.rateLimit.loginPerAccount,
      windowMs: deps.config.rateLimit.window * 1000,
      ip: meta.ip,
    });
  } catch (e) {
    if (e instanceof AppError && e.status < 500) {
      await deps.audit.record('sign_in_failed', {
        ...meta,
        data: { via: 'workos', email: body.email.slice(0, 320).toLowerCase(), reason: e.code, clientId: client.clientId },
      });
      if (e.status === 429) throw e;
      throw new WorkOSError(400, 'invalid_grant', e.message, { code: 'invalid_credentials' });
    }
    throw e;
  }
  await deps.audit.record('sign_in', { ...meta, actorId: user.id, subjectId: user.id, data: { method: 'password', via: 'workos', clientId: client.clientId } });
  const s = steps(deps, hooks.mail);
  if (needsVerification(s, user)) {
    const tokenId = await sendVerification(s, user, meta);
    const pending: PendingEmailVerification = { kind: 'email_verification', accountId: user.id, tokenId, amr: ['pwd'], clientId: client.clientId };
    const token = await putPending(deps, pending);
    // As WorkOS answers it (AuthenticationException in the SDK).
    throw new WorkOSError(403, 'email_verification_required', 'Email ownership must be verified before authentication.', {
      code: 'email_verification_required',
      extra: {
        pending_authentication_token: token,
        email: user.email,
        email_verification_id: `email_verification_${randomBytes(13).toString('hex').toUpperCase()}`,
      },
    });
  }
  return signIn(deps, hooks, client.clientId, presented, user, ['pwd'], body, info);
}

export async function authenticateWithEmailVerification(deps: Deps, hooks: WorkOSHooks, body: EmailVerificationGrant, info: RequestInfo) {
  const { client, presented } = await authenticateClient(deps, body.client_id, body.client_secret, info);
  if (presented === undefined) throw invalidClient('This grant needs the client secret (the API key).');
  const pending = await readPending<PendingEmailVerification>(deps, body.pending_authentication_token, false);
  if (!pending || pending.kind !== 'email_verification' || pending.clientId !== client.clientId) {
    throw invalidGrant('The pending authentication token is not valid or has expired. Sign in again.', 'invalid_pending_authentication_token');
  }
  const meta = { ip: body.ip_address ?? info.ip, userAgent: body.user_agent ?? info.userAgent };
  // Wrong codes count on the one-time token (five tries), as on the sign-in screen.
  const user = await verifyCode(steps(deps, hooks.mail), pending, body.code.trim(), meta);
  // Spent once the code was right, so a second exchange of it gets nothing.
  if (!(await readPending(deps, body.pending_authentication_token, true)))
    throw invalidGrant('The pending authentication token was already used. Sign in again.', 'invalid_pending_authentication_token');
  return signIn(deps, hooks, client.clientId, presented, user, pending.amr, body, info);
}

/**
 * `authenticateWithTotp`: completes an mfa_challenge (or an mfa_enrollment once the person has set
 * an authenticator app up) with a code from the app, checked like the sign-in screen's (throttled
 * per account and address, a used code refused), then mints as the first factor would have.
 */
export async function authenticateWithTotp(deps: Deps, hooks: WorkOSHooks, body: MfaTotpGrant, info: RequestInfo) {
  const { client, presented } = await authenticateClient(deps, body.client_id, body.client_secret, info);
  if (presented === undefined) throw invalidClient('This grant needs the client secret (the API key).');
  const pending = await readMfaPending(deps, client.clientId, body.pending_authentication_token, body.authentication_challenge_id);
  const user = await deps.store.users.findById(pending.accountId);
  if (!user || user.disabled) throw invalidGrant('This sign-in can no longer complete. Sign in again.', 'invalid_pending_authentication_token');
  const meta = { ip: body.ip_address ?? info.ip, userAgent: body.user_agent ?? info.userAgent };
  await verifyTotpForUser(steps(deps, hooks.mail), user, body.code, meta);
  await spendMfaPending(deps, body.pending_authentication_token, body.authentication_challenge_id);
  const amr = [...new Set([...pending.amr, 'otp', 'mfa'])];
  return signIn(deps, hooks, client.clientId, presented, user, amr, { ...body, invitation_token: pending.invitationToken }, info);
}
