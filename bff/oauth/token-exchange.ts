/**
 * OAuth 2.0 Token Exchange (RFC 8693), for the portal's own BFF only: it trades
 * a session's access token for an audience-restricted one for a registered API
 * resource (RFC 8707), which the gateway (bff/gateway/) sends to that API. The
 * new token belongs to the same grant, so logout and revocation end it too, and
 * carries the same extra claims (impersonation's `act`). Why an exchange and not
 * a refresh with `resource`: decision 0020.
 */
import type Provider from 'oidc-provider';
import { errors, type KoaContextWithOIDC } from 'oidc-provider';
import type { Store } from '../store/store.ts';
import { noneUnlessOutage } from '../http/error-handler.ts';

export const TOKEN_EXCHANGE_GRANT = 'urn:ietf:params:oauth:grant-type:token-exchange';
export const ACCESS_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token';

/** Registers the grant; only first-party clients (the portal's BFF) may use it (client-options.ts gives them the grant type). */
export function registerTokenExchange(provider: Provider, store: Store, accessTokenTtl: number): void {
  provider.registerGrantType(TOKEN_EXCHANGE_GRANT, (ctx: KoaContextWithOIDC) => exchange(provider, store, accessTokenTtl, ctx), [
    'subject_token',
    'subject_token_type',
    'resource',
    'scope',
  ]);
}

async function exchange(provider: Provider, store: Store, ttl: number, ctx: KoaContextWithOIDC): Promise<void> {
  const client = ctx.oidc.client!;
  const params = ctx.oidc.params as Record<string, string | undefined>;
  if (client.metadata().portal_first_party !== true) throw new errors.UnauthorizedClient('token exchange is for the portal itself');
  if (params.subject_token_type !== ACCESS_TOKEN_TYPE) throw new errors.InvalidRequest(`subject_token_type must be ${ACCESS_TOKEN_TYPE}`);
  if (!params.subject_token) throw new errors.InvalidRequest('subject_token is required');
  if (!params.resource) throw new errors.InvalidTarget('resource is required');

  const subject = await provider.AccessToken.find(params.subject_token).catch(noneUnlessOutage);
  if (!subject || subject.isExpired || subject.clientId !== client.clientId || !subject.grantId)
    throw new errors.InvalidGrant('subject token invalid or expired');
  const grant = await provider.Grant.find(subject.grantId).catch(noneUnlessOutage);
  if (!grant || grant.clientId !== client.clientId || grant.accountId !== subject.accountId) throw new errors.InvalidGrant('grant not found');
  const user = await store.users.findById(subject.accountId);
  if (!user || user.disabled) throw new errors.InvalidGrant('account not found or disabled');

  const resource = await store.resources.find(params.resource);
  if (!resource) throw new errors.InvalidTarget('unknown resource');
  const requested = params.scope ? params.scope.split(' ').filter(Boolean) : resource.scopes;
  const unknown = requested.filter((s) => !resource.scopes.includes(s));
  if (unknown.length) throw new errors.InvalidScope('the resource has no such scope', unknown.join(' '));

  const at = new provider.AccessToken({
    accountId: subject.accountId,
    client,
    grantId: subject.grantId,
    gty: 'token_exchange',
    scope: requested.join(' ') || undefined,
    sid: subject.sid,
    sessionUid: subject.sessionUid,
    expiresWithSession: subject.expiresWithSession,
  } as ConstructorParameters<typeof provider.AccessToken>[0]);
  at.resourceServer = new provider.ResourceServer(resource.identifier, {
    scope: resource.scopes.join(' '),
    audience: resource.identifier,
    accessTokenFormat: 'jwt',
    accessTokenTTL: ttl,
    jwt: { sign: { alg: 'ES256' } },
  });
  ctx.oidc.entity('AccessToken', at);
  const value = await at.save();
  ctx.body = {
    access_token: value,
    issued_token_type: ACCESS_TOKEN_TYPE,
    token_type: 'Bearer',
    expires_in: at.expiration,
    ...(at.scope ? { scope: at.scope } : {}),
  };
}
