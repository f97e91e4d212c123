/**
 * oidc-provider, configured (not re-implemented): the authorization server
 * core mounted at /oauth. Login and consent are interactions rendered by the
 * SPA at /interaction/:uid.
 */
import Provider, { type AuthorizationCode, type Configuration, type JWK } from 'oidc-provider';
import { createLocalJWKSet, jwtVerify } from 'jose';
import type { Config } from '../config/config.ts';
import type { Store } from '../store/store.ts';
import { isClientAbort, type Logger } from '../http/logger.ts';
import { createAdapterClass } from './adapter.ts';
import { CLAIMS, SCOPE_NAMES } from './scopes.ts';
import { UNREGISTERED_POST_LOGOUT, errorPage, logoutPage, loggedOutPage, unregisteredPostLogoutPage } from './pages.ts';
import { answerOutage, outagePage } from './outage.ts';
import { loadExistingGrant } from './grants.ts';
import { defaultResourceFor, resourceServerInfo } from './machine.ts';
import { deviceEntry, deviceFlowFeature } from './device.ts';
import { partnerCors, redirectOrigins } from './cors.ts';
import { ACR_VALUES, interactionPolicyWithAcr } from './acr.ts';
import { registerTokenExchange } from './token-exchange.ts';
import type { ClaimsContributor } from './claims.ts';
import { clientSecretAccepted } from './client-auth.ts';
import { useOutboxForBackchannelLogout } from './backchannel.ts';
import {
  CONNECTION_PARAM,
  FLOW_PARAM,
  SCREEN_PARAM,
  PORTAL_CLIENT_PROPERTIES,
  accessTokenTtlFor,
  defaultScope,
  expiresWithSession,
  interactionUrl,
} from './client-settings.ts';

export interface ProviderDeps {
  config: Config;
  store: Store;
  now: () => number;
  logger: Logger;
  /** Private signing JWKs, newest first (the first one signs). */
  signingKeys: JWK[];
  /** Extra claims for access tokens (impersonation, organization…), by grant; see claims.ts. */
  extraAccessTokenClaims?: ClaimsContributor;
}

export function createProvider(deps: ProviderDeps): Provider {
  const { config, store, now } = deps;
  const publicJwks = { keys: deps.signingKeys.map(({ d: _d, ...pub }) => pub) };
  const localJwks = createLocalJWKSet(publicJwks as Parameters<typeof createLocalJWKSet>[0]);

  const Adapter = createAdapterClass({
    store,
    now,
    refreshReuseWindow: config.refreshReuseWindow,
    async jwtAccessTokenId(value) {
      try {
        const { payload } = await jwtVerify(value, localJwks, { issuer: config.issuer, typ: 'at+jwt', clockTolerance: 0 });
        return typeof payload.jti === 'string' ? payload.jti : null;
      } catch {
        return null;
      }
    },
  });

  const cookieKeys = Object.entries(config.cookieSecrets)
    .sort(([a], [b]) => Number(b) - Number(a))
    .map(([, s]) => s);

  const secure = config.secureCookies;
  const cookieOpts = { httpOnly: true, sameSite: 'lax' as const, secure, path: '/', signed: true };
  // Over https the authorization endpoint also takes POST (OpenID Connect Core 3.1.2.1). A partner's
  // cross-site form post carries the provider session only if it is SameSite=None, which browsers
  // accept only on a Secure cookie: plain-http development keeps GET and Lax.
  const longCookie = secure ? { ...cookieOpts, sameSite: 'none' as const } : cookieOpts;

  const configuration: Configuration = {
    adapter: Adapter,
    clients: [],
    jwks: { keys: deps.signingKeys },
    cookies: {
      keys: cookieKeys,
      long: longCookie,
      short: cookieOpts,
      // `__Host-` (Secure, Path=/, no Domain) like the BFF's own cookies. oidc-provider scopes the
      // resume cookie to /oauth/authorize/<uid>, which `__Host-` forbids: it gets `__Secure-`.
      names: secure
        ? { session: '__Host-portal_op', interaction: '__Host-portal_op_i', resume: '__Secure-portal_op_r' }
        : { session: 'portal_op', interaction: 'portal_op_i', resume: 'portal_op_r' },
    },
    routes: {
      authorization: '/authorize',
      token: '/token',
      userinfo: '/userinfo',
      jwks: '/jwks',
      revocation: '/revoke',
      introspection: '/introspect',
      end_session: '/logout',
    },
    enableHttpPostMethods: secure,
    scopes: SCOPE_NAMES,
    // Every ID token says how the sign-in went (amr: pwd, otp, mfa …; acr: mfa), not only on request.
    claims: { ...CLAIMS, openid: [...CLAIMS.openid!, 'acr', 'amr'] },
    conformIdTokenClaims: false,
    responseTypes: ['code'],
    allowOmittingSingleRegisteredRedirectUri: false,
    clientDefaults: {
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      id_token_signed_response_alg: 'ES256',
      token_endpoint_auth_method: 'client_secret_basic',
    },
    extraClientMetadata: { properties: PORTAL_CLIENT_PROPERTIES },
    pkce: { required: (_ctx, client) => client.clientAuthMethod === 'none' },
    rotateRefreshToken: true,
    issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),
    // The BFF revokes its own grants explicitly (logout, impersonation stop); binding its tokens to
    // the provider session would log the admin out when an impersonation signs this browser in as
    // someone else. Partners: per flow, see decision 0008.
    expiresWithSession: async (ctx, code) => expiresWithSession(ctx, code as AuthorizationCode),
    // `impersonation`: the id of an admin's impersonation request (see impersonation/);
    // `portal_flow=workos`: added by /user_management/authorize (decision 0008).
    // `portal_connection`: sign in with that identity provider at once (interactionUrl).
    // `portal_screen=sign-up`: open the sign-in interaction on the sign-up screen.
    extraParams: ['impersonation', FLOW_PARAM, CONNECTION_PARAM, SCREEN_PARAM],
    ttl: {
      AccessToken: (_ctx, _token, client) => accessTokenTtlFor(client, config.ttl.accessToken),
      ClientCredentials: (_ctx, _token, client) => accessTokenTtlFor(client, config.ttl.accessToken),
      // RFC 8628: the person has ten minutes to type the device's code.
      DeviceCode: 600,
      AuthorizationCode: config.ttl.code,
      IdToken: config.ttl.idToken,
      Interaction: 3600,
      Session: config.ttl.session,
      Grant: config.ttl.refreshToken,
      // Rotation never extends the absolute lifetime: a rotated token gets what is left.
      RefreshToken: (_ctx, token) => {
        const iiat = (token as { iiat?: number }).iiat;
        if (!iiat) return config.ttl.refreshToken;
        return Math.max(1, iiat + config.ttl.refreshToken - Math.floor(now() / 1000));
      },
    },
    findAccount: async (_ctx, sub) => {
      const user = await store.users.findById(sub);
      if (!user || user.disabled) return undefined;
      return {
        accountId: user.id,
        claims: async () => ({
          sub: user.id,
          email: user.email,
          email_verified: user.emailVerified,
          name: user.name,
          updated_at: Math.floor(user.updatedAt / 1000),
        }),
      };
    },
    loadExistingGrant: (ctx) => loadExistingGrant(ctx, store),
    // `acr: "mfa"` after a second factor; partners may ask for it with acr_values=mfa (acr.ts).
    acrValues: ACR_VALUES,
    interactions: {
      url: (_ctx, interaction) => interactionUrl(interaction as never),
      policy: interactionPolicyWithAcr(),
    },
    features: {
      devInteractions: { enabled: false },
      revocation: { enabled: true },
      // A client may introspect only its own tokens.
      introspection: { enabled: true, allowedPolicy: async (_ctx, client, token) => token.clientId === client.clientId },
      userinfo: { enabled: true },
      rpInitiatedLogout: {
        enabled: true,
        logoutSource: async (ctx, form) => {
          ctx.type = 'html';
          ctx.body = logoutPage(form, ctx.oidc.client?.clientName as string | undefined);
        },
        postLogoutSuccessSource: async (ctx) => {
          ctx.type = 'html';
          ctx.body = loggedOutPage(config.publicUrl);
        },
      },
      resourceIndicators: {
        enabled: true,
        defaultResource: async (_ctx, client) => defaultResourceFor(client),
        useGrantedResource: async () => true,
        // The portal's own resource for people's apps; registered API resources for machine clients (machine.ts).
        getResourceServerInfo: (_ctx, resource, client) => resourceServerInfo(store, resource, client, accessTokenTtlFor(client, config.ttl.accessToken)),
      },
      clientCredentials: { enabled: true },
      // RFC 8628; the person's side is the SPA's /device screen (device.ts).
      deviceFlow: deviceFlowFeature(config.publicUrl),
      // OpenID Connect Back-Channel Logout: oidc-provider's discovery and client metadata; delivery
      // through the portal's durable outbox (backchannel.ts), not oidc-provider's one-shot post.
      backchannelLogout: { enabled: true },
    },
    formats: {
      customizers: {
        // oidc-provider does not store JWT access tokens; we do, before the token leaves,
        // so that revocation and "revoke this app" stop them at once (introspection, userinfo).
        jwt: async (_ctx, token, jwt) => {
          const t = token as unknown as Record<string, unknown> & { jti: string; exp?: number; grantId?: string; constructor: { IN_PAYLOAD: string[] } };
          const payload: Record<string, unknown> = { format: 'jwt' };
          for (const key of t.constructor.IN_PAYLOAD) if (t[key] !== undefined) payload[key] = t[key];
          payload.kind = 'AccessToken';
          const { iat, exp } = jwt.payload as { iat: number; exp: number };
          payload.iat = iat;
          payload.exp = exp;
          await store.oidc.upsert('AccessToken', t.jti, payload, exp * 1000, { grantId: t.grantId });
        },
      },
    },
    extraTokenClaims: async (ctx, token) => {
      if (!deps.extraAccessTokenClaims) return undefined;
      return deps.extraAccessTokenClaims(ctx, token as never);
    },
    // A browser partner calls token, revocation and introspection from its redirect URIs' origins only (cors.ts).
    clientBasedCORS: (_ctx, origin, client) => redirectOrigins(client.redirectUris).has(origin),
    renderError: async (ctx, out, err) => {
      ctx.type = 'html';
      if (answerOutage(ctx, err)) ctx.body = outagePage(config.publicUrl);
      else if (out.error_description === UNREGISTERED_POST_LOGOUT)
        ctx.body = unregisteredPostLogoutPage(ctx.oidc?.params?.post_logout_redirect_uri, config.publicUrl);
      else ctx.body = errorPage(out.error, out.error_description, config.publicUrl);
    },
    enabledJWA: {
      idTokenSigningAlgValues: ['ES256', 'EdDSA'],
      userinfoSigningAlgValues: ['ES256', 'EdDSA'],
      // Client secrets are stored hashed (decision 0025): nothing keyed with a secret can be checked.
      clientAuthSigningAlgValues: ['RS256', 'PS256', 'ES256', 'Ed25519', 'EdDSA'],
      requestObjectSigningAlgValues: ['RS256', 'PS256', 'ES256', 'Ed25519', 'EdDSA'],
    },
    // No client_secret_jwt: it needs the plain secret, and the portal keeps only its hash.
    clientAuthMethods: ['client_secret_basic', 'client_secret_post', 'private_key_jwt', 'none'],
  };

  const provider = new Provider(config.issuer, configuration);
  // The client's `client_secret` is the stored hash (client-auth.ts): compare the presented secret with it.
  provider.Client.prototype.compareClientSecret = function compareClientSecret(this: { clientId: string; clientSecret?: string }, actual: string) {
    return Promise.resolve(clientSecretAccepted(config.cookieSecrets, this.clientId, this.clientSecret ?? null, actual, now()));
  };
  useOutboxForBackchannelLogout(provider, store, now);
  // The gateway's per-API tokens (bff/gateway/, decision 0020).
  registerTokenExchange(provider, store, config.ttl.accessToken);
  provider.proxy = config.trustProxy > 0;
  // PUBLIC_URL says the browser speaks https, whatever the last hop (a TLS proxy that is not
  // trusted for X-Forwarded-Proto): Koa would otherwise refuse to set a Secure cookie (a 500).
  // The request itself says so (not only ctx.cookies): oidc-provider sets the session cookie through
  // its own jar (ctx.oidc.cookies), Secure only when ctx.secure is, so every response that saved the
  // provider session (sign-out, the end of a sign-in) was still a 500.
  if (secure) {
    provider.use(async (ctx, next) => {
      Object.defineProperty(ctx.request, 'secure', { value: true });
      await next();
    });
  }
  provider.use(partnerCors(store));
  provider.use(defaultScope(provider));
  provider.use(deviceEntry(config.publicUrl));
  // Only the hops TRUST_PROXY names, like Express's req.ip: Koa would otherwise take the leftmost (client-written) X-Forwarded-For entry.
  provider.maxIpsCount = config.trustProxy;

  provider.on('server_error', (ctx, err) => {
    // Emitted after the body is set (or, at /authorize, before the page is rendered): a store outage becomes a 503.
    if (isClientAbort(err, ctx.req)) deps.logger.debug({ path: ctx.path }, 'oidc-provider: client closed the connection mid-request');
    else if (answerOutage(ctx, err)) deps.logger.warn({ err }, 'oidc-provider: store unavailable');
    else deps.logger.error({ err }, 'oidc-provider server_error');
  });
  return provider;
}
