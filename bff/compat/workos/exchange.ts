/**
 * `POST /user_management/authenticate`, translated: the client is checked,
 * the organization the grant acts for is chosen (an invitation, the one
 * asked for, or the user's only one), then the code or refresh token is
 * redeemed at the real token endpoint (`tokenRequest`), and its answer is
 * written back as WorkOS's authentication response. Nothing here mints a
 * token or checks a password.
 */
import type { Deps } from '../../deps.ts';
import type { Mail } from '../../mail/mail.ts';
import type { ClientRecord } from '../../store/store.ts';
import type { AcceptInvitationInput, AcceptedInvitation } from '../../store/orgs.ts';
import { authenticationMethod, tokenRequest, type TokenResult } from '../../oauth/core.ts';
import { safeEqual } from '../../http/security.ts';
import { checkClient, internalClientCredential } from '../../oauth/client-auth.ts';
import { clientAuthFailed } from '../../oauth/client-throttle.ts';
import { checkInvitation, defaultOrganization } from '../../orgs/orgs.ts';
import { connectionForAcr } from '../../federation/public.ts';
import { rememberSession } from './session-meta.ts';
import type { AuthorizationCodeGrant, OrganizationSelectionGrant, RefreshTokenGrant } from './schema.ts';
import { requireOrganizationSelection, takePendingAuthentication } from './org-selection.ts';
import { authenticationResponse, fromTokenError, invalidClient, invalidGrant, WorkOSError, type Impersonator, type UpstreamOAuthTokens } from './map.ts';
import { noneUnlessOutage } from '../../http/error-handler.ts';

/** The impersonation feature tells who impersonates behind a grant (null: nobody). */
/** `acr` is the source token's (impersonation sessions carry `imp:<id>`). */
export type ImpersonatorLookup = (grantId: string, acr?: string) => Promise<Impersonator | null>;
/** The federation feature hands back the upstream provider's tokens (null: none). */
export type OAuthTokensLookup = (userId: string, acr: string | undefined) => Promise<UpstreamOAuthTokens | null>;

export interface WorkOSHooks {
  /** The mail outbox: the password grant's email verification step sends its code with it. */
  mail?: Mail;
  /** Ends a user's BFF sessions (a password reset signs out everywhere). */
  endBffSessions?: (userId: string, exceptId?: string) => Promise<number>;
  impersonator?: ImpersonatorLookup;
  oauthTokens?: OAuthTokensLookup;
}

export interface RequestInfo {
  ip: string | null;
  userAgent: string | null;
  /** The `Authorization: Bearer` value: the SDK sends its API key there too. */
  bearer: string | null;
}

interface SourceToken {
  accountId?: string;
  clientId?: string;
  grantId?: string;
  amr?: string[];
  acr?: string;
  consumed?: unknown;
  isExpired?: boolean;
  redirectUri?: string;
  codeChallenge?: string;
}

/** A code or refresh token, read before redeeming it, that names the account and grant it is for. */
interface Redeemable extends SourceToken {
  accountId: string;
  grantId: string;
}

/** `t` when this client may redeem it now: unconsumed, unexpired, its own, naming an account and grant. */
function redeemableBy(t: SourceToken | undefined, clientId: string): Redeemable | null {
  if (!t || t.consumed || t.isExpired || t.clientId !== clientId) return null;
  const { accountId, grantId } = t;
  if (!accountId || !grantId) return null;
  return { accountId, grantId, clientId, amr: t.amr, acr: t.acr, redirectUri: t.redirectUri, codeChallenge: t.codeChallenge };
}

/** The refusal of a machine client's key wherever the WorkOS API acts for people (sign-in, mail, sessions). */
export const MACHINE_SIGNS_NOBODY_IN = 'A machine client signs nobody in: it gets its tokens with client_credentials at /oauth/token.';

/** Counts a failed client authentication and throws its answer: invalid_client, or 429 once this source is over the limit. */
export async function refuseClient(deps: Deps, clientId: string | null, ip: string | null, description: string): Promise<never> {
  const retryAfter = await clientAuthFailed(deps.store, clientId, ip, deps.now());
  if (retryAfter !== null) throw new WorkOSError(429, 'rate_limit_exceeded', 'Too many failed client authentications. Try again later.', { retryAfter });
  throw invalidClient(description);
}

/**
 * The client, once its credentials hold. Failed client authentications count
 * on /oauth/token's counters, per client and address (429 + Retry-After for
 * that source only); a correct secret is never refused by them.
 * `secret` is what the token endpoint will be given (null: a public client).
 */
export async function authenticateClient(deps: Deps, clientId: string, bodySecret: string | undefined, info: RequestInfo) {
  const { store } = deps;
  const fail = (description: string) => refuseClient(deps, clientId, info.ip, description);
  if (bodySecret !== undefined && info.bearer !== null && !safeEqual(bodySecret, info.bearer)) {
    return fail('The client_secret and the Authorization header disagree.');
  }
  const presented = bodySecret ?? info.bearer ?? undefined;
  const { client, secretMatches } = await checkClient(store, clientId, presented === undefined ? [] : [presented]);
  if (!client || client.firstParty) return fail('Client authentication failed: unknown client.');
  if (client.secret === null) {
    if (presented !== undefined) return fail('This is a public client: it has no secret; prove the code with code_verifier instead.');
    return { client, presented: undefined };
  }
  if (presented !== undefined && !secretMatches) return fail('Client authentication failed.');
  // A machine client (client_credentials only) signs nobody in: no grant here may check a password or mint for it.
  if (client.machine) return fail(MACHINE_SIGNS_NOBODY_IN);
  return { client, presented };
}

/**
 * The person's own address and browser, as the partner's server reports them in
 * `ip_address` and `user_agent` (as WorkOS records them), else the caller's.
 * The address that actually called is kept beside them.
 */
async function recordAuthentication(
  deps: Deps,
  grantType: string,
  src: SourceToken,
  body: { client_id: string; ip_address?: string; user_agent?: string },
  info: RequestInfo,
) {
  await deps.audit.record('workos_authenticated', {
    actorId: src.accountId,
    subjectId: src.accountId,
    ip: body.ip_address ?? info.ip,
    userAgent: body.user_agent ?? info.userAgent,
    data: { clientId: body.client_id, grantType, session: src.grantId, requestIp: info.ip },
  });
  // A new session: WorkOS keeps the person's address and browser on it (listSessions).
  if (grantType === 'authorization_code' && src.grantId) {
    const upstream = src.amr?.includes('fed') ? await connectionForAcr(deps.store, src.acr) : null;
    await rememberSession(
      deps,
      src.grantId,
      src,
      body.client_id,
      { ip: body.ip_address ?? info.ip, userAgent: body.user_agent ?? info.userAgent },
      upstream?.issuer ?? null,
    );
  }
}

async function finish(deps: Deps, hooks: WorkOSHooks, res: TokenResult, src: Redeemable): Promise<Record<string, unknown>> {
  const { grantId } = src;
  const user = await deps.store.users.findById(src.accountId);
  if (!user) throw invalidGrant('The account behind this grant no longer exists.');
  const org = await deps.store.orgs.findGrantOrganization(grantId);
  const upstream = src.amr?.includes('fed') ? await connectionForAcr(deps.store, src.acr) : null;
  return authenticationResponse({
    user,
    organizationId: org && org.role !== null && org.userId === user.id ? org.organizationId : null,
    accessToken: String(res.body.access_token),
    refreshToken: typeof res.body.refresh_token === 'string' ? res.body.refresh_token : undefined,
    authenticationMethod: authenticationMethod(src.amr, src.acr, upstream?.issuer),
    impersonator: (await hooks.impersonator?.(grantId, src.acr)) ?? null,
    oauthTokens: (await hooks.oauthTokens?.(user.id, src.acr)) ?? null,
  });
}

function basic(client: ClientRecord, secret: string | null) {
  return secret === null ? undefined : { clientId: client.clientId, clientSecret: secret };
}

export async function authenticateWithCode(deps: Deps, hooks: WorkOSHooks, body: AuthorizationCodeGrant, info: RequestInfo) {
  const { store, provider } = deps;
  const { client, presented } = await authenticateClient(deps, body.client_id, body.client_secret, info);
  // Read before redeeming: the redirect_uri the provider insists on, and the amr/acr.
  const code = (await provider.AuthorizationCode.find(body.code).catch(noneUnlessOutage)) as SourceToken | undefined;
  const usable = redeemableBy(code, client.clientId);

  let secret: string | null = null;
  if (client.secret !== null) {
    if (presented !== undefined) secret = presented;
    // WorkOS lets a confidential client prove a PKCE-bound code with the verifier alone;
    // the provider still checks the verifier against the code's challenge.
    // The portal keeps only the secret's hash: the token endpoint is given its internal credential.
    else if (body.code_verifier && usable?.codeChallenge) secret = internalClientCredential(deps.config.cookieSecrets, client.clientId, deps.now());
    else throw invalidClient('client_secret is required (or a code_verifier for a code issued with PKCE).');
  }
  const redirectUri = code?.redirectUri ?? (client.redirectUris.length === 1 ? client.redirectUris[0] : undefined);

  let accepted: (AcceptInvitationInput & AcceptedInvitation) | null = null;
  let invitationInfo: { id: string; organizationId: string; role: string } | null = null;
  if (usable) {
    const user = await store.users.findById(usable.accountId);
    if (!user) throw invalidGrant('The account behind this code no longer exists.');
    const now = deps.now();
    if (body.invitation_token) {
      // Its 400s (unknown, used, expired, someone else's) go out as invalid_grant with their own code.
      const inv = await checkInvitation(store, body.invitation_token, user, now);
      // Before redeeming, so the minted access token already carries the organization.
      const input = { invitationId: inv.id, userId: user.id, grantId: usable.grantId, now };
      const result = await store.orgs.acceptInvitation(input);
      if (!result) throw invalidGrant('The invitation has already been accepted or has expired.', 'invitation_already_accepted');
      accepted = { ...input, ...result };
      invitationInfo = { id: inv.id, organizationId: inv.organizationId, role: inv.role };
    } else {
      const orgId = await defaultOrganization(store, usable.grantId, user.id);
      if (orgId) await store.orgs.setGrantOrganization(usable.grantId, user.id, orgId, now);
    }
  }

  let res: TokenResult;
  try {
    res = await tokenRequest(
      deps,
      {
        grant_type: 'authorization_code',
        code: body.code,
        redirect_uri: redirectUri,
        code_verifier: body.code_verifier,
        client_id: secret === null ? client.clientId : undefined,
      },
      basic(client, secret),
    );
  } catch (e) {
    if (accepted) await store.orgs.revertInvitation(accepted);
    throw e;
  }
  if (res.status !== 200 || typeof res.body.access_token !== 'string') {
    if (accepted) await store.orgs.revertInvitation(accepted);
    throw fromTokenError(res.status === 200 ? 500 : res.status, res.body);
  }
  if (!usable) throw fromTokenError(500, { error: 'server_error', error_description: 'a code the provider accepted was not readable before' });
  if (invitationInfo) {
    await deps.audit.record('invitation_accepted', {
      actorId: usable.accountId,
      subjectId: usable.accountId,
      ip: info.ip,
      userAgent: info.userAgent,
      data: { invitationId: invitationInfo.id, organizationId: invitationInfo.organizationId, role: invitationInfo.role, clientId: client.clientId },
    });
  }
  await recordAuthentication(deps, 'authorization_code', usable, body, info);
  if (!invitationInfo && typeof res.body.refresh_token === 'string' && !(await store.orgs.findGrantOrganization(usable.grantId))) {
    // Several organizations and none named: the partner's user picks one (organization_selection_required).
    const memberships = await store.orgs.listMemberships(usable.accountId);
    const user = await store.users.findById(usable.accountId);
    if (memberships.length > 1 && user) {
      const pending = {
        refreshToken: res.body.refresh_token,
        clientId: client.clientId,
        accountId: user.id,
        grantId: usable.grantId,
        amr: usable.amr,
        acr: usable.acr,
      };
      await requireOrganizationSelection(
        deps,
        pending,
        user,
        memberships.map((m) => m.organizationId),
      );
    }
  }
  return finish(deps, hooks, res, usable);
}

export async function authenticateWithRefreshToken(deps: Deps, hooks: WorkOSHooks, body: RefreshTokenGrant, info: RequestInfo) {
  const { store, provider } = deps;
  const { client, presented } = await authenticateClient(deps, body.client_id, body.client_secret, info);
  if (client.secret !== null && presented === undefined) throw invalidClient('client_secret is required for this client.');
  const rt = (await provider.RefreshToken.find(body.refresh_token).catch(noneUnlessOutage)) as SourceToken | undefined;
  const usable = redeemableBy(rt, client.clientId);

  let previous: string | null | undefined;
  if (usable && body.organization_id) {
    const membership = await store.orgs.findMembership(usable.accountId, body.organization_id);
    if (!membership) throw invalidGrant(`The user is not a member of the organization ${body.organization_id}.`, 'organization_membership_not_found');
    previous = (await store.orgs.findGrantOrganization(usable.grantId))?.organizationId ?? null;
    await store.orgs.setGrantOrganization(usable.grantId, usable.accountId, body.organization_id, deps.now());
  }
  const restore = async () => {
    if (!usable || previous === undefined || previous === body.organization_id) return;
    if (previous === null) await store.orgs.deleteGrantOrganization(usable.grantId);
    else await store.orgs.setGrantOrganization(usable.grantId, usable.accountId, previous, deps.now());
  };

  let res: TokenResult;
  try {
    res = await tokenRequest(
      deps,
      { grant_type: 'refresh_token', refresh_token: body.refresh_token, client_id: presented === undefined ? client.clientId : undefined },
      basic(client, presented ?? null),
    );
  } catch (e) {
    await restore();
    throw e;
  }
  if (res.status !== 200 || typeof res.body.access_token !== 'string') {
    await restore();
    throw fromTokenError(res.status === 200 ? 500 : res.status, res.body);
  }
  if (!usable) throw fromTokenError(500, { error: 'server_error', error_description: 'refresh token vanished' });
  await recordAuthentication(deps, 'refresh_token', usable, body, info);
  return finish(deps, hooks, res, usable);
}

/** `authenticateWithOrganizationSelection`: the pending authentication, for the organization chosen. */
export async function authenticateWithOrganizationSelection(deps: Deps, hooks: WorkOSHooks, body: OrganizationSelectionGrant, info: RequestInfo) {
  const { store } = deps;
  const { client, presented } = await authenticateClient(deps, body.client_id, body.client_secret, info);
  if (client.secret !== null && presented === undefined) throw invalidClient('client_secret is required for this client.');
  const pending = await takePendingAuthentication(deps, body.pending_authentication_token);
  if (!pending || pending.clientId !== client.clientId)
    throw invalidGrant('The pending authentication token is invalid, used or expired.', 'invalid_pending_authentication_token');
  if (!(await store.orgs.findMembership(pending.accountId, body.organization_id))) {
    throw invalidGrant(`The user is not a member of the organization ${body.organization_id}.`, 'organization_membership_not_found');
  }
  await store.orgs.setGrantOrganization(pending.grantId, pending.accountId, body.organization_id, deps.now());
  const res = await tokenRequest(
    deps,
    { grant_type: 'refresh_token', refresh_token: pending.refreshToken, client_id: presented === undefined ? client.clientId : undefined },
    basic(client, presented ?? null),
  );
  if (res.status !== 200 || typeof res.body.access_token !== 'string') throw fromTokenError(res.status === 200 ? 500 : res.status, res.body);
  const src: Redeemable = { accountId: pending.accountId, grantId: pending.grantId, amr: pending.amr, acr: pending.acr };
  await recordAuthentication(deps, 'organization_selection', src, body, info);
  return finish(deps, hooks, res, src);
}
