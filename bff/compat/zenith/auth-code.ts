/**
 * Auth:AuthCode, translated: the code is redeemed at this instance's own
 * /oauth/token (`tokenRequest`), so single use, PKCE and client
 * authentication are the provider's. The reply is narrowed to the Scope
 * asked for, and the refresh token stays with the connection (renewal.ts).
 */
import type { Deps } from '../../deps.ts';
import { tokenRequest } from '../../oauth/core.ts';
import { checkClient } from '../../oauth/client-auth.ts';
import type { Identity } from './auth.ts';
import { identityFromTokenResponse, narrow } from './renewal.ts';
import type { AuthCodeData } from './schema.ts';
import { noneUnlessOutage } from '../../http/error-handler.ts';

/**
 * Redeems an authorization code issued to `ClientID`. The code is read first
 * (without consuming it) for its redirect URI. What cannot succeed is refused
 * before the token endpoint, so the code stays usable by its rightful owner:
 * another client's code, a missing secret, and a PKCE-bound code without its
 * verifier. A public client has no secret ("if any"): its proof that it
 * started the flow is the verifier, which the provider checks. A replayed
 * code does reach the token endpoint, so its reuse rule applies here too.
 */
export async function redeemAuthCode(deps: Deps, data: AuthCodeData): Promise<Identity | null> {
  const { code: value, codeVerifier } = data.AuthGrant;
  const code = await deps.provider.AuthorizationCode.find(value).catch(noneUnlessOutage);
  if (!code || code.clientId !== data.ClientID || !code.redirectUri) return null;
  if (code.codeChallenge && !codeVerifier) return null;
  // The lookup and compare every adapter makes; the secret itself is the token endpoint's to judge.
  const { client } = await checkClient(deps.store, data.ClientID, data.ClientSecret ? [data.ClientSecret] : []);
  if (!client || client.firstParty) return null;
  let clientSecret: string | null = null;
  if (client.secret === null) {
    // No secret to present, so the code must be PKCE-bound (the provider requires it of public clients).
    if (data.ClientSecret || !code.codeChallenge) return null;
  } else {
    if (!data.ClientSecret) return null;
    clientSecret = data.ClientSecret;
  }
  const params = {
    grant_type: 'authorization_code',
    code: value,
    redirect_uri: code.redirectUri,
    code_verifier: codeVerifier,
    client_id: clientSecret === null ? client.clientId : undefined,
  };
  const res = await tokenRequest(deps, params, clientSecret === null ? undefined : { clientId: client.clientId, clientSecret });
  const id = await identityFromTokenResponse(deps, res, { clientId: client.clientId, clientSecret });
  return id && narrow(deps, id, data.Scope);
}
