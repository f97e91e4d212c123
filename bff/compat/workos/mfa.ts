/**
 * WorkOS MFA, translated onto the portal's second factors (bff/mfa/): a
 * sign-in through the API (password, magic auth, email verification) by
 * someone with an authenticator app stops with `mfa_challenge` (a pending
 * authentication token, the factor, the user); someone policy requires to have
 * one and who has none stops with `mfa_enrollment`. `challengeFactor`
 * (POST /auth/factors/:id/challenge) names the factor answered, and
 * `authenticateWithTotp` (grant urn:workos:oauth:grant-type:mfa-totp) completes
 * the sign-in with a code checked by the same throttled, replay-proof check as
 * the sign-in screen's. Pending tokens and challenges are sealed in the store,
 * single use, for ten minutes (org-selection.ts). See docs/decisions/0015.
 */
import type { Deps } from '../../deps.ts';
import type { ClientRecord, User } from '../../store/store.ts';
import { secondFactorFor } from '../../mfa/policy.ts';
import { putPending, readPending } from './org-selection.ts';
import { invalidGrant, WorkOSError, workosUser } from './map.ts';

/** What the pending token of an mfa_challenge or mfa_enrollment holds. */
export interface PendingMfa {
  kind: 'mfa';
  clientId: string;
  accountId: string;
  /** The first factor's amr, kept for the token minted once the code is right. */
  amr: string[];
  invitationToken?: string;
}

interface PendingChallenge {
  kind: 'mfa_challenge';
  clientId: string;
  accountId: string;
  factorId: string;
}

const FACTOR_PREFIX = 'auth_factor_';
const CHALLENGE_PREFIX = 'auth_challenge_';

/** The WorkOS id of a user's authenticator app: stable while they have one, and names them. */
export const totpFactorId = (userId: string): string => FACTOR_PREFIX + Buffer.from(userId, 'utf8').toString('base64url');

function userOfFactor(factorId: string): string | null {
  if (!factorId.startsWith(FACTOR_PREFIX)) return null;
  const userId = Buffer.from(factorId.slice(FACTOR_PREFIX.length), 'base64url').toString('utf8');
  return userId && totpFactorId(userId) === factorId ? userId : null;
}

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * Before a token is minted for `user` through the API: throws `mfa_challenge` when they have a
 * second factor, `mfa_enrollment` when policy (MFA_ADMINS / MFA_USERS) requires one they lack.
 * Returns when neither applies.
 */
export async function requireSecondFactor(deps: Deps, clientId: string, user: User, amr: string[], invitationToken: string | undefined): Promise<void> {
  const need = await secondFactorFor(deps, user);
  if (!need.ask && !need.setupRequired) return;
  const pending: PendingMfa = { kind: 'mfa', clientId, accountId: user.id, amr, ...(invitationToken ? { invitationToken } : {}) };
  const token = await putPending(deps, pending);
  if (need.ask) {
    const totp = need.factors.includes('totp') ? await deps.store.mfa.totp.find(user.id) : null;
    const message = totp
      ? 'The user must complete an MFA challenge to finish authenticating.'
      : 'The user must complete an MFA challenge to finish authenticating. Their second factor is a passkey, which only the portal’s sign-in page can ask for: send them through getAuthorizationUrl.';
    throw new WorkOSError(403, 'mfa_challenge', message, {
      code: 'mfa_challenge',
      extra: {
        pending_authentication_token: token,
        authentication_factors: totp ? [{ id: totpFactorId(user.id), type: 'totp' }] : [],
        user: workosUser(user),
      },
    });
  }
  throw new WorkOSError(
    403,
    'mfa_enrollment',
    'The user must enroll in MFA to finish authenticating: they set up an authenticator app or a passkey on the portal’s account page.',
    {
      code: 'mfa_enrollment',
      extra: { pending_authentication_token: token, user: workosUser(user) },
    },
  );
}

const factorNotFound = () => new WorkOSError(404, 'not_found', 'No authentication factor with this id.', { code: 'authentication_factor_not_found' });

/** `challengeFactor`: a challenge of a user's authenticator app, for this client, that authenticateWithTotp then names. */
export async function challengeFactor(deps: Deps, client: ClientRecord, factorId: string) {
  const userId = userOfFactor(factorId);
  const totp = userId ? await deps.store.mfa.totp.find(userId) : null;
  if (!userId || !totp) throw factorNotFound();
  const now = deps.now();
  const pending: PendingChallenge = { kind: 'mfa_challenge', clientId: client.clientId, accountId: userId, factorId };
  const token = await putPending(deps, pending);
  return {
    object: 'authentication_challenge',
    id: CHALLENGE_PREFIX + token,
    created_at: iso(now),
    updated_at: iso(now),
    expires_at: null,
    authentication_factor_id: factorId,
  };
}

const invalidPending = () =>
  invalidGrant('The pending authentication token is not valid, was already used or has expired. Sign in again.', 'invalid_pending_authentication_token');

/** The mfa pending token and the challenge it is answered with, unspent; both this client's and one person's. */
export async function readMfaPending(deps: Deps, clientId: string, pendingToken: string, challengeId: string): Promise<PendingMfa> {
  const pending = await readPending<PendingMfa>(deps, pendingToken, false);
  if (!pending || pending.kind !== 'mfa' || pending.clientId !== clientId) throw invalidPending();
  const challenge = challengeId.startsWith(CHALLENGE_PREFIX)
    ? await readPending<PendingChallenge>(deps, challengeId.slice(CHALLENGE_PREFIX.length), false)
    : null;
  if (!challenge || challenge.kind !== 'mfa_challenge' || challenge.clientId !== clientId || challenge.accountId !== pending.accountId) {
    throw invalidGrant(
      'The authentication challenge is not valid, was already used or has expired: create one with challengeFactor for a factor of this user.',
      'authentication_challenge_not_found',
    );
  }
  return pending;
}

/** Spends both once the code was right, so a second exchange of them gets nothing. */
export async function spendMfaPending(deps: Deps, pendingToken: string, challengeId: string): Promise<void> {
  const [pending, challenge] = await Promise.all([readPending(deps, pendingToken, true), readPending(deps, challengeId.slice(CHALLENGE_PREFIX.length), true)]);
  if (!pending || !challenge) throw invalidPending();
}
