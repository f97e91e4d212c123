/**
 * "AuthToken … is also used to pass updated credentials when an authority
 * would expire, using a Refresh Token." Every refresh here goes through the
 * core's `refreshGrant`, i.e. the real token endpoint, so rotation, reuse
 * detection and scope narrowing are exactly those of /oauth/token. The
 * refresh token a connection holds stays on the server: Zenith has no field
 * to carry one.
 */
import type { Deps } from '../../deps.ts';
import { refreshGrant, type TokenResult } from '../../oauth/core.ts';
import { identityFromToken, identityFromUpstream, type Identity, type Renewal } from './auth.ts';
import { noneUnlessOutage } from '../../http/error-handler.ts';

type Credentials = Omit<Renewal, 'refreshToken'>;

const credentialsOf = ({ refreshToken: _rt, ...creds }: Renewal): Credentials => creds;

/**
 * Auth:AuthToken (and the upgrade's `Authorization: <Provider> <token>`):
 * a Provider other than Bearer names a federation connection; with Bearer the
 * value is the connection's own token presented again (renew with what the
 * connection holds), a portal access token, or a portal refresh token.
 */
export async function identityFromAuthToken(deps: Deps, provider: string, token: string, current: Identity | null): Promise<Identity | null> {
  if (provider.toLowerCase() !== 'bearer') return identityFromUpstream(deps, provider, token);
  const held = current?.renewal;
  if (current && held && (token === current.token || token === held.presented)) return renew(deps, current, held);
  return (await identityFromToken(deps, token)) ?? identityFromRefreshToken(deps, token, current);
}

/** An identity from a token endpoint answer; it keeps the (rotated) refresh token, with `creds`, to renew itself. */
export async function identityFromTokenResponse(deps: Deps, res: TokenResult, creds: Credentials): Promise<Identity | null> {
  const { access_token: accessToken, refresh_token: refreshToken } = res.body;
  if (res.status !== 200 || typeof accessToken !== 'string') return null;
  const renewal = typeof refreshToken === 'string' ? { ...creds, refreshToken } : undefined;
  const id = await identityFromToken(deps, accessToken);
  if (!id) {
    if (renewal) await abandon(deps, renewal);
    return null;
  }
  return renewal ? { ...id, renewal } : id;
}

/**
 * Narrows an identity to the scopes asked for (null: all it has). The token
 * handed out must not carry more than the reply says, so a narrower set is
 * obtained the way OAuth down-scopes (RFC 6749 §6): a refresh with `scope`.
 * When nothing asked was granted, the identity stands with no scope and its
 * token is withheld.
 */
export async function narrow(deps: Deps, id: Identity, asked: readonly string[] | null | undefined): Promise<Identity | null> {
  if (asked === null || asked === undefined) return id;
  const scope = id.scope.filter((s) => asked.includes(s));
  if (scope.length === id.scope.length) return id;
  if (scope.length === 0 || !id.renewal) return { ...id, scope, tokenWithheld: true };
  const next = await identityFromTokenResponse(deps, await refreshGrant(deps, { ...id.renewal, scope }), credentialsOf(id.renewal));
  // The wider token was never handed out: nobody can hold it.
  await (await deps.provider.AccessToken.find(id.token).catch(noneUnlessOutage))?.destroy();
  if (!next) await abandon(deps, id.renewal);
  return next;
}

/** Renews with the refresh token the connection holds, keeping the scope it was narrowed to. */
async function renew(deps: Deps, current: Identity, held: Renewal): Promise<Identity | null> {
  const scope = current.tokenWithheld ? undefined : current.scope;
  const next = await identityFromTokenResponse(deps, await refreshGrant(deps, { ...held, scope }), credentialsOf(held));
  if (!next || !current.tokenWithheld) return next;
  return { ...next, scope: current.scope.filter((s) => next.scope.includes(s)), tokenWithheld: true };
}

/**
 * A portal refresh token sent as the AccessToken. A public client's token is
 * refreshed with its client_id, as at /oauth/token; a confidential client's
 * only on a connection that proved that client's secret in AuthCode, since
 * AuthToken has no field for one. Checked before anything is spent.
 */
async function identityFromRefreshToken(deps: Deps, token: string, current: Identity | null): Promise<Identity | null> {
  const rt = await deps.provider.RefreshToken.find(token, { ignoreExpiration: true }).catch(noneUnlessOutage);
  if (!rt?.clientId || !rt.accountId) return null;
  // A connection keeps one user: refuse someone else's token before it is spent.
  if (current && rt.accountId !== current.userId) return null;
  const client = await deps.store.clients.find(rt.clientId);
  if (!client || client.firstParty) return null;
  let clientSecret: string | null = null;
  if (client.secret !== null) {
    const known = current?.renewal;
    if (!known || known.clientId !== client.clientId || known.clientSecret === null) return null;
    clientSecret = known.clientSecret;
  }
  const creds: Credentials = { clientId: client.clientId, clientSecret, presented: token };
  return identityFromTokenResponse(deps, await refreshGrant(deps, { ...creds, refreshToken: token }), creds);
}

/**
 * Destroys a held refresh token that nobody can use any more (its connection
 * closed, or holds another one now), unless rotation already spent it: a spent
 * token stays, so its reuse is still recognised as such.
 */
export async function abandon(deps: Deps, renewal: Renewal): Promise<void> {
  const rt = await deps.provider.RefreshToken.find(renewal.refreshToken, { ignoreExpiration: true }).catch(noneUnlessOutage);
  if (rt && !rt.consumed) await rt.destroy();
}
