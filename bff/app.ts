/**
 * The composition root: createApp({config, store, now}) builds every part and
 * mounts the routers. It never listens (main.ts and the tests do, with its `handler`).
 */
import { resolve } from 'node:path';
import express, { type Express, type Request, type Response } from 'express';
import type Provider from 'oidc-provider';
import type { Config } from './config/config.ts';
import type { Store } from './store/store.ts';
import type { Deps } from './deps.ts';
import { createLogger, type Logger } from './http/logger.ts';
import { errorHandler } from './http/error-handler.ts';
import { healthRoute } from './http/health.ts';
import { mountSpa } from './http/spa.ts';
import { INTERACTION_DATA_ID } from '../api/interaction.ts';
import { newcomerRoutes } from './oauth/newcomer-routes.ts';
import { oauthErrorHandler } from './oauth/outage.ts';
import { jsonBody } from './http/input-guard.ts';
import { edgeGuard } from './edge-guard.ts';
import { notFound } from './http/errors.ts';
import { requireSameOrigin, securityHeaders } from './http/security.ts';
import { createAudit, type Audit } from './audit/audit.ts';
import { sealStoredSecrets, secretsAtRest } from './oauth/secrets-at-rest.ts';
import { cachedClients } from './oauth/client-cache.ts';
import { ensureSigningKeys } from './oauth/keys.ts';
import { createProvider } from './oauth/provider.ts';
import { createLogoutDelivery, type LogoutDelivery } from './oauth/backchannel.ts';
import { PAGES_CSS, pageBrandFor } from './oauth/pages.ts';
import { secondFactorRoutes } from './sign-in/second-factor-routes.ts';
import { passwordChangeRoutes } from './sign-in/password-change-routes.ts';
import { mfaRoutes } from './mfa/routes.ts';
import { userinfoRoutes } from './oauth/userinfo.ts';
import { structuredTokenShim } from './oauth/structured-tokens.ts';
import { clientThrottle } from './oauth/client-throttle.ts';
import { legacyRefresh } from './oauth/legacy-refresh.ts';
import { bffClientRecord, createBffOidcConfig, type SelfOrigin } from './session/oidc-client.ts';
import { createSessionService, type SessionService, type SessionTestHooks } from './session/sessions.ts';
import { sessionRoutes } from './session/routes.ts';
import { cookieOptions } from './session/cookies.ts';
import type { SessionCore, SessionDeps } from './session/guard.ts';
import { interactionRoutes, interactionScreen } from './sign-in/routes.ts';
import { createSealCache } from './session/seal-cache.ts';
import { composeClaims } from './oauth/claims.ts';
import { impersonationClaims, impersonationHooks } from './impersonation/impersonation.ts';
import { impersonatorLookup } from './impersonation/impersonator.ts';
import { impersonationRoutes } from './impersonation/routes.ts';
import { auditRoutes } from './audit/routes.ts';
import { auditExportRoutes } from './audit/export-routes.ts';
import { activityRoutes } from './activity/routes.ts';
import { brandIndexHtml, createBranding } from './branding/branding.ts';
import { brandingCssRoute, brandingLogoRoute, brandingRoutes } from './branding/routes.ts';
import { setupRoutes } from './accounts/setup.ts';
import { accountRoutes } from './accounts/routes.ts';
import { deviceRoutes } from './sign-in/device-routes.ts';
import { resourceRoutes } from './admin/resource-routes.ts';
import { apiRouteAdminRoutes } from './admin/api-route-routes.ts';
import { passkeyAccountRoutes } from './mfa/passkey-routes.ts';
import { passwordResetRoutes } from './accounts/reset-routes.ts';
import { adminRoutes } from './admin/routes.ts';
import { adminUserRoutes } from './admin/user-routes.ts';
import { adminUserAccessRoutes } from './admin/user-access-routes.ts';
import { accountSessionRoutes } from './accounts/session-routes.ts';
import { organizationAdminRoutes } from './orgs/admin-routes.ts';
import { workosClaims } from './compat/workos/claims.ts';
import { workosRoutes } from './compat/workos/routes.ts';
import { sagRoutes } from './compat/sag/routes.ts';
import { federationRoutes } from './federation/routes.ts';
import { upstreamTokensFor } from './federation/tokens.ts';
import { createMail, type Mail } from './mail/mail.ts';
import { gatewayRoutes, isGatewayUrl } from './gateway/routes.ts';
import type { TrustProxy } from './http/security.ts';
export { attachZenith } from './compat/zenith/upgrade.ts';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { attachGateway } from './gateway/upgrade.ts';
import { PATH as ZENITH_PATH } from './compat/zenith/schema.ts';

/** WebSocket upgrades below /api go through the gateway (issue 18); /Zenith is Zenith's. */
export function attachGatewayUpgrades(server: Server, app: Pick<App, 'deps' | 'trustProxy'>): void {
  attachGateway(server, app.deps, [ZENITH_PATH], app.trustProxy);
}

export interface AppOptions {
  config: Config;
  store: Store;
  logger?: Logger;
  now?: () => number;
  /** Where the built SPA lives (default ./dist/web). */
  webDir?: string;
  /** Test seams inside the session service (a crash mid-refresh). */
  sessionTestHooks?: SessionTestHooks;
}

export interface App {
  /** Everything but /api; listen with `handler`, not with this. */
  app: Express;
  /** The server's request listener: /api to the gateway, the rest to `app`. */
  handler: (req: IncomingMessage, res: ServerResponse) => void;
  /** The compiled `TRUST_PROXY` setting: which hops' X-Forwarded-For to believe (HTTP and WebSocket alike). */
  trustProxy: TrustProxy;
  provider: Provider;
  deps: SessionDeps;
  audit: Audit;
  sessions: SessionService;
  /** The mail outbox and its worker (main.ts starts polling; tests run rounds). */
  mail: Mail;
  /** Back-channel logout tokens owed to partners (main.ts starts polling; tests run rounds). */
  partnerLogout: LogoutDelivery;
  /** Tell the app where it listens, so the BFF reaches its own provider over loopback. */
  setSelfOrigin(origin: string): void;
}

export async function createApp(opts: AppOptions): Promise<App> {
  const { config } = opts;
  const now = opts.now ?? Date.now;
  const logger = opts.logger ?? createLogger(config.logLevel);
  // Everyone below reads and writes client secrets and signing keys through the encrypting store.
  const sealed = secretsAtRest(opts.store, config.dataEncryptionKeys);
  await sealStoredSecrets(sealed, config.dataEncryptionKeys);
  // Client records come from memory while the store's clients version stands (client-cache.ts).
  const store = cachedClients(sealed);
  const [firstAudit] = await store.audit.iterate(1, 1);
  if (firstAudit?.keyId === null) logger.warn('the audit log holds entries from before AUDIT_KEYS: run `portal audit rekey` once, then take a checkpoint');

  const signingKeys = await ensureSigningKeys(store, now());
  await store.clients.upsert(bffClientRecord(config, now()));

  // Each feature contributes its access-token claims here (see oauth/claims.ts).
  const extraAccessTokenClaims = composeClaims([impersonationClaims({ store, now }), workosClaims(store)]);
  const provider = createProvider({ config, store, now, logger, signingKeys, extraAccessTokenClaims });
  const audit = createAudit(store, now, config.auditKeys);
  const partnerLogout = createLogoutDelivery({ store, provider, audit, logger, now });
  const self: SelfOrigin = { value: null };
  const base: Deps = { config, store, provider, audit, logger, now, selfOrigin: () => self.value };

  const oidcConfiguration = createBffOidcConfig(config, self);
  const oidcConfig = () => oidcConfiguration;
  const sessions = createSessionService({ config, store, logger, now, oidcConfig, testHooks: opts.sessionTestHooks });
  const cookies = cookieOptions(base);
  const sealCache = createSealCache(cookies.session.password as Record<string, string>, cookies.session.ttl ?? 0);
  const core: SessionCore = { ...base, sessions, oidcConfig, cookies, sealCache };
  const deps: SessionDeps = { ...core, hooks: impersonationHooks(core) };

  // The branding reaches every mail as it is sent, and the server-rendered pages of each request.
  const branding = createBranding(store, logger, now);
  const app = express();
  app.use(pageBrandFor(() => branding.current()));
  app.disable('x-powered-by');
  app.set('trust proxy', config.trustProxy);
  app.set('etag', false);
  const https = config.publicUrl.startsWith('https://');
  const headers = securityHeaders({ https });
  // NUL, malformed percent-encoding and non-UTF-8 URLs never reach a router, a parser or the database.
  app.use(edgeGuard(config));
  // First-party apps' APIs below /api (issue 18) are not Express's: `handler` below sends them to the gateway.

  const mail = createMail(config, store, logger, now, () => branding.current());
  app.get(
    '/healthz',
    healthRoute(store, logger, async () => ({ mail: await mail.health() })),
  );
  // Root discovery and /oauth/auth: pointers to the real endpoints, before the provider's bare 404.
  app.use(newcomerRoutes(config.issuer));

  // The provider reads its own bodies: no parser may run before it.
  app.use('/oauth', (req, res, next) => {
    res.setHeader('X-Frame-Options', 'DENY');
    // No page here runs a script of its own; oidc-provider adds the hash of its auto-submitting form_post script.
    res.setHeader('Content-Security-Policy', "script-src 'self'; frame-ancestors 'none'; object-src 'none'; base-uri 'none'");
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Referrer-Policy', 'no-referrer');
    // RFC 6749 §5.1: token responses carry Pragma: no-cache too (oidc-provider sets only Cache-Control).
    if (req.path === '/token') res.setHeader('Pragma', 'no-cache');
    next();
  });
  app.use(userinfoRoutes(base));
  // Seed 004's GET /oauth?=token refresh, for clients that enabled the legacy mode.
  app.get('/oauth', legacyRefresh(base));
  // Before provider.callback(): Koa composes its middleware when the callback is made.
  clientThrottle({ store, provider, logger, now });
  const providerCallback = provider.callback();
  app.use('/oauth', structuredTokenShim(providerCallback));
  app.use('/oauth', providerCallback);
  // Errors from the Express middleware around the provider (throttle, userinfo) in RFC 6749 form.
  app.use('/oauth', oauthErrorHandler(logger, config.publicUrl));
  app.get('/branding.css', brandingCssRoute(branding));
  app.get(/^\/branding\/logo\//, brandingLogoRoute(store));
  app.get('/oauth-pages.css', (_req, res) => {
    res.type('css').setHeader('Cache-Control', 'public, max-age=3600');
    res.send(PAGES_CSS);
  });

  const bff = express.Router();
  bff.use(headers);
  bff.use(jsonBody({ limit: '64kb' }));
  bff.use(requireSameOrigin(config.publicUrl));
  bff.use(sessionRoutes(deps));
  bff.use(interactionRoutes(deps, mail));
  bff.use(secondFactorRoutes(deps, mail));
  bff.use(passwordChangeRoutes(deps));
  bff.use(mfaRoutes(deps, mail));
  bff.use(setupRoutes(deps));
  bff.use(accountRoutes(deps));
  bff.use(accountSessionRoutes(deps));
  bff.use(passkeyAccountRoutes(deps));
  bff.use(passwordResetRoutes(deps, mail));
  bff.use(adminRoutes(deps));
  bff.use(adminUserRoutes(deps, mail));
  bff.use(adminUserAccessRoutes(deps, mail));
  bff.use(organizationAdminRoutes(deps));
  bff.use(impersonationRoutes(deps));
  bff.use(auditRoutes(deps));
  bff.use(auditExportRoutes(deps));
  bff.use(activityRoutes(deps));
  bff.use(brandingRoutes(deps, branding));
  bff.use(federationRoutes(deps, mail));
  bff.use(deviceRoutes(deps));
  bff.use(resourceRoutes(deps));
  bff.use(apiRouteAdminRoutes(deps));
  bff.use((req) => {
    throw notFound('not_found', `No such endpoint: ${req.method} ${req.baseUrl}${req.path}`);
  });
  app.use('/bff', bff);
  app.use(
    workosRoutes(deps, {
      mail,
      endBffSessions: sessions.revokeAllForUser,
      impersonator: impersonatorLookup(store),
      oauthTokens: (userId, acr) => upstreamTokensFor(deps, userId, acr),
    }),
  );
  app.use(sagRoutes(deps));

  // The sign-in screen's first answer comes inside its HTML: one round trip fewer before the form.
  const interactionEmbed = { path: '/interaction/:uid', id: INTERACTION_DATA_ID, read: (req: Request, res: Response) => interactionScreen(deps, req, res) };
  mountSpa(app, opts.webDir ?? resolve('dist/web'), headers, {
    personalise: async (html) => brandIndexHtml(html, await branding.get()),
    embeds: [interactionEmbed],
  });
  app.use(errorHandler(logger));

  // Calls below /api go to the gateway on node's own request and response, everything else to Express:
  // the proxied call is the portal's hottest path, and Express's request/response objects and
  // middleware chain cost about as much CPU as the gateway's own work.
  const trustProxy = app.get('trust proxy fn') as TrustProxy;
  const gateway = gatewayRoutes(deps, { trustProxy });
  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    if (!isGatewayUrl(req.url ?? '')) {
      app(req, res);
      return;
    }
    gateway(req, res).catch((err: unknown) => {
      logger.warn({ err }, 'gateway request failed');
      res.destroy();
    });
  };

  return {
    app,
    handler,
    trustProxy,
    provider,
    deps,
    audit,
    sessions,
    mail,
    partnerLogout,
    setSelfOrigin(origin) {
      self.value = origin;
    },
  };
}
