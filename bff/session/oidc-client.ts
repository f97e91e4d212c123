/**
 * The BFF's own relying party: a confidential first-party client of /oauth,
 * driven by openid-client. Requests to the provider go to this instance over
 * loopback, whatever PUBLIC_URL says (it may be an address only the load
 * balancer answers).
 */
import { createHmac } from 'node:crypto';
import * as oidc from 'openid-client';
import type { Config } from '../config/config.ts';
import type { ClientRecord } from '../store/store.ts';

export const BFF_CLIENT_ID = 'portal-bff';

/** Same on every instance that shares the cookie secrets; never stored in a config file. */
export function bffClientSecret(config: Config): string {
  const [top] = Object.entries(config.cookieSecrets).sort(([a], [b]) => Number(b) - Number(a));
  return createHmac('sha256', top![1]).update('portal-bff-client-secret').digest('base64url');
}

export function bffRedirectUri(config: Config): string {
  return `${config.publicUrl}/bff/callback`;
}

export function bffClientRecord(config: Config, now: number): ClientRecord {
  return {
    clientId: BFF_CLIENT_ID,
    name: 'Portal',
    secret: bffClientSecret(config),
    redirectUris: [bffRedirectUri(config)],
    postLogoutRedirectUris: [`${config.publicUrl}/`],
    scopes: ['openid', 'profile', 'email', 'offline_access'],
    logoUrl: null,
    firstParty: true,
    createdAt: now,
  };
}

/** Where this process itself listens, set once the server is up. */
export interface SelfOrigin {
  value: string | null;
}

export function createBffOidcConfig(config: Config, self: SelfOrigin): oidc.Configuration {
  const issuer = config.issuer;
  const server: oidc.ServerMetadata = {
    issuer,
    authorization_endpoint: `${issuer}/authorize`,
    token_endpoint: `${issuer}/token`,
    userinfo_endpoint: `${issuer}/userinfo`,
    jwks_uri: `${issuer}/jwks`,
    revocation_endpoint: `${issuer}/revoke`,
    introspection_endpoint: `${issuer}/introspect`,
    end_session_endpoint: `${issuer}/logout`,
    id_token_signing_alg_values_supported: ['ES256'],
    code_challenge_methods_supported: ['S256'],
    authorization_response_iss_parameter_supported: true,
  };
  const cfg = new oidc.Configuration(server, BFF_CLIENT_ID, { id_token_signed_response_alg: 'ES256' }, oidc.ClientSecretBasic(bffClientSecret(config)));
  const publicOrigin = new URL(config.publicUrl).origin;
  cfg[oidc.customFetch] = (url, options) => {
    const target = new URL(url);
    if (self.value && target.origin === publicOrigin) {
      const internal = new URL(self.value);
      target.protocol = internal.protocol;
      target.host = internal.host;
      const headers = new Headers(options.headers as HeadersInit);
      // The provider trusts X-Forwarded-Proto only behind TRUST_PROXY; say what the outside sees.
      headers.set('x-forwarded-proto', new URL(publicOrigin).protocol.replace(':', ''));
      headers.set('x-forwarded-host', new URL(publicOrigin).host);
      return fetch(target, { ...options, headers } as RequestInit) as ReturnType<typeof fetch>;
    }
    return fetch(url, options as RequestInit);
  };
  // Shorter than the session's refresh lock (15 s), so a slow answer never outlives the lock.
  cfg.timeout = 10;
  if (issuer.startsWith('http:') || self.value?.startsWith('http:')) oidc.allowInsecureRequests(cfg);
  return cfg;
}
