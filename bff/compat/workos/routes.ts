/**
 * The WorkOS user-management API, as a translator onto the portal's own
 * OAuth core (see docs: shared/seeds/003_…):
 *
 *   GET  /user_management/authorize        → 302 to /oauth/authorize (the real sign-in)
 *   POST /user_management/authenticate     → the real /oauth/token, answered as WorkOS
 *   GET  /sso/jwks/:clientId               → the keys that verify the access tokens
 *   GET  /user_management/sessions/logout  → revokes the grant named by the token's `sid`,
 *                                            for the client it belongs to (Bearer API key) or
 *                                            the person's own signed-in browser
 *   GET  /user_management/users/:id/sessions, POST /user_management/sessions/revoke
 *                                          → that client's sessions of a user (sessions.ts)
 *
 * Errors are WorkOS JSON (`{error, error_description, code, message}`) on the
 * API routes, and a plain page on the browser ones.
 */
import { randomUUID } from 'node:crypto';
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import type { Deps } from '../../deps.ts';
import type { ClientRecord } from '../../store/store.ts';
import { securityHeaders, clientIp } from '../../http/security.ts';
import { secretMatches } from '../../oauth/client-auth.ts';
import { jsonBody, refuseBadBody } from '../../http/input-guard.ts';
import { loggedOutPage, errorPage } from '../../oauth/pages.ts';
import { hashInvitationToken } from '../../orgs/orgs.ts';
import { CONNECTION_PARAM, FLOW_PARAM, SCREEN_PARAM, WORKOS_FLOW } from '../../oauth/client-settings.ts';
import { requestedConnection } from './authorize.ts';
import {
  authenticateWithCode,
  authenticateWithOrganizationSelection,
  authenticateWithRefreshToken,
  refuseClient,
  type RequestInfo,
  type WorkOSHooks,
} from './exchange.ts';
import { errorBody, invalidRequest, toWorkOSError, WorkOSError } from './map.ts';
import {
  AUTHORIZE_PASSTHROUGH,
  authorizationCodeGrant,
  createMagicAuthBody,
  createPasswordResetBody,
  resetPasswordBody,
  verifyEmailBody,
  EMAIL_VERIFICATION,
  emailVerificationGrant,
  GRANT_TYPES,
  MAGIC_AUTH,
  magicAuthGrant,
  logoutQuery,
  revokeSessionBody,
  ORGANIZATION_SELECTION,
  organizationSelectionGrant,
  passwordGrant,
  refreshTokenGrant,
  WORKOS_SCOPES,
  MFA_TOTP,
  mfaTotpGrant,
} from './schema.ts';
import { authenticateWithEmailVerification, authenticateWithPassword, authenticateWithTotp } from './password.ts';
import { authenticateWithMagicAuth, clientByApiKey, createMagicAuth } from './magic-auth.ts';
import { challengeFactor } from './mfa.ts';
import { createPasswordReset, resetPassword, sendVerificationEmail, verifyEmail } from './account-mail.ts';
import { endSession, listSessions, revokeSession } from './sessions.ts';
import type { z } from 'zod';
import { noneUnlessOutage } from '../../http/error-handler.ts';
import { zodProblems } from '../../http/validate.ts';

export type { ImpersonatorLookup, OAuthTokensLookup, WorkOSHooks } from './exchange.ts';

/** Public JWK members only: a private key member never leaves, whatever the store holds. */
const PUBLIC_JWK_MEMBERS = ['kty', 'crv', 'x', 'y', 'n', 'e', 'kid', 'alg', 'use'];

function validation(error: z.ZodError): WorkOSError {
  const errors = zodProblems(error).map(({ field, message }) => ({ field, code: `${field}_invalid`, message }));
  const first = errors[0];
  return new WorkOSError(422, 'invalid_request', first ? `${first.field}: ${first.message}` : 'The request is not valid.', {
    code: 'invalid_request_parameters',
    errors,
  });
}

function bearerOf(req: Request): string | null {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(req.get('authorization') ?? '');
  return m ? m[1]! : null;
}

/** Whether `returnTo` is on the origin of one of the client's registered redirect or post-logout URIs. */
function allowedReturnTo(client: ClientRecord, returnTo: string): URL | null {
  let url: URL;
  try {
    url = new URL(returnTo);
  } catch {
    return null;
  }
  if ((url.protocol !== 'https:' && url.protocol !== 'http:') || url.username || url.password) return null;
  const origins = new Set<string>();
  for (const u of [...client.redirectUris, ...client.postLogoutRedirectUris]) {
    try {
      origins.add(new URL(u).origin);
    } catch {
      // A malformed registration simply allows nothing.
    }
  }
  return origins.has(url.origin) ? url : null;
}

const bodyRefusal = (field: string, problem: string) => invalidRequest(`${field}: ${problem}`, 'invalid_request');

export function workosRoutes(deps: Deps, hooks: WorkOSHooks = {}): Router {
  const { store, provider, config } = deps;
  const router = express.Router();
  const html = securityHeaders({ https: config.publicUrl.startsWith('https://') });
  const api = (_req: Request, res: Response, next: NextFunction) => {
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('X-Request-ID', randomUUID());
    next();
  };
  const noStore = (_req: Request, res: Response, next: NextFunction) => {
    res.setHeader('Cache-Control', 'no-store');
    res.setHeader('Pragma', 'no-cache');
    next();
  };
  const body = [
    ...jsonBody({ limit: '64kb' }, bodyRefusal),
    express.urlencoded({ extended: false, limit: '64kb', parameterLimit: 100 }),
    refuseBadBody(bodyRefusal),
  ];

  router.get('/user_management/authorize', async (req, res) => {
    const query = new URL(req.originalUrl, 'http://portal.invalid').searchParams;
    const out = new URLSearchParams();
    for (const name of AUTHORIZE_PASSTHROUGH) for (const v of query.getAll(name)) out.append(name, v);
    const ids = query.getAll('client_id');
    const client = ids.length === 1 ? await store.clients.find(ids[0]!) : null;
    out.set('scope', WORKOS_SCOPES.filter((s) => !client || s === 'openid' || client.scopes.includes(s)).join(' '));
    // A WorkOS session outlives the portal's browser session; its own logout ends it (decision 0010).
    out.set(FLOW_PARAM, WORKOS_FLOW);
    const connection = await requestedConnection(store, query);
    if (connection) out.set(CONNECTION_PARAM, connection);
    // The sign-up screen exists only with SIGNUP=open; otherwise the sign-in screen shows.
    if (query.get('screen_hint') === 'sign-up' && config.signup === 'open') out.set(SCREEN_PARAM, 'sign-up');
    // An invitation names who is expected: prefill the sign-in with it (the token itself stays here).
    const invitationToken = query.get('invitation_token');
    if (invitationToken && !out.has('login_hint')) {
      const inv = await store.orgs.findInvitationByTokenHash(hashInvitationToken(invitationToken));
      if (inv && inv.acceptedAt === null && inv.expiresAt > deps.now()) out.set('login_hint', inv.email);
    }
    res.setHeader('Cache-Control', 'no-store');
    res.setHeader('Referrer-Policy', 'no-referrer');
    // The provider checks client and redirect_uri itself and shows its own error page (never redirects).
    res.redirect(302, `${config.issuer}/authorize?${out.toString()}`);
  });

  /** Each grant: its schema, then its translator. */
  const grant =
    <S extends z.ZodType, R>(schema: S, run: (deps: Deps, hooks: WorkOSHooks, body: z.infer<S>, info: RequestInfo) => Promise<R>) =>
    async (input: unknown, info: RequestInfo): Promise<R> => {
      const parsed = schema.safeParse(input);
      if (!parsed.success) throw validation(parsed.error);
      return run(deps, hooks, parsed.data, info);
    };
  const organizationSelection = grant(organizationSelectionGrant, authenticateWithOrganizationSelection);
  const refresh = grant(refreshTokenGrant, authenticateWithRefreshToken);
  const password = grant(passwordGrant, authenticateWithPassword);
  const emailVerification = grant(emailVerificationGrant, authenticateWithEmailVerification);
  const code = grant(authorizationCodeGrant, authenticateWithCode);
  const magicAuth = grant(magicAuthGrant, authenticateWithMagicAuth);
  const newMagicAuth = grant(createMagicAuthBody, createMagicAuth);
  const totp = grant(mfaTotpGrant, authenticateWithTotp);
  const infoOf = (req: Request): RequestInfo => ({ ip: clientIp(req), userAgent: req.get('user-agent') ?? null, bearer: bearerOf(req) });

  // `/send`: what older SDKs' sendMagicAuthCode / sendPasswordResetEmail call; the same step.
  router.post(['/user_management/magic_auth', '/user_management/magic_auth/send'], api, noStore, ...body, async (req, res) => {
    res.status(201).json(await newMagicAuth(req.body, infoOf(req)));
  });
  /** Parses `req.body` with `schema` as every WorkOS route does (422 with the fields). */
  const bodyOf = <S extends z.ZodType>(schema: S, req: Request): z.infer<S> => {
    const parsed = schema.safeParse(req.body ?? {});
    if (!parsed.success) throw validation(parsed.error);
    return parsed.data;
  };
  router.post('/user_management/users/:id/email_verification/send', api, noStore, ...body, async (req, res) => {
    res.json(await sendVerificationEmail(deps, hooks, String(req.params.id), infoOf(req)));
  });
  router.post('/user_management/users/:id/email_verification/confirm', api, noStore, ...body, async (req, res) => {
    res.json(await verifyEmail(deps, hooks, String(req.params.id), bodyOf(verifyEmailBody, req).code, infoOf(req)));
  });
  router.post(['/user_management/password_reset', '/user_management/password_reset/send'], api, noStore, ...body, async (req, res) => {
    res.status(201).json(await createPasswordReset(deps, hooks, bodyOf(createPasswordResetBody, req).email, infoOf(req)));
  });
  router.post('/user_management/password_reset/confirm', api, noStore, ...body, async (req, res) => {
    const b = bodyOf(resetPasswordBody, req);
    res.json(await resetPassword(deps, hooks, b.token, b.new_password, infoOf(req)));
  });

  // `workos.mfa.challengeFactor`: names the factor an mfa_challenge is answered with (mfa.ts).
  router.post('/auth/factors/:id/challenge', api, noStore, ...body, async (req, res) => {
    const client = await clientByApiKey(deps, bearerOf(req), clientIp(req));
    res.status(201).json(await challengeFactor(deps, client, String(req.params.id)));
  });

  router.get('/user_management/users/:id/sessions', api, noStore, async (req, res) => {
    res.json(await listSessions(deps, hooks, String(req.params.id), req.query as Record<string, unknown>, infoOf(req)));
  });
  router.post('/user_management/sessions/revoke', api, noStore, ...body, async (req, res) => {
    res.json(await revokeSession(deps, bodyOf(revokeSessionBody, req).session_id, infoOf(req)));
  });

  router.post('/user_management/authenticate', api, noStore, ...body, async (req, res) => {
    const input: unknown = req.body;
    if (!input || typeof input !== 'object' || Array.isArray(input)) {
      throw invalidRequest('Send the parameters as a JSON object (Content-Type: application/json).', 'invalid_body');
    }
    const grantType = (input as Record<string, unknown>).grant_type;
    if (typeof grantType === 'string' && grantType && !(GRANT_TYPES as readonly string[]).includes(grantType)) {
      throw new WorkOSError(
        400,
        'unsupported_grant_type',
        `grant_type ${JSON.stringify(grantType.slice(0, 100))} is not supported here; use ${GRANT_TYPES.join(', ')}.`,
      );
    }
    const info = infoOf(req);
    const handler =
      grantType === ORGANIZATION_SELECTION
        ? organizationSelection
        : grantType === 'refresh_token'
          ? refresh
          : grantType === 'password'
            ? password
            : grantType === EMAIL_VERIFICATION
              ? emailVerification
              : grantType === MAGIC_AUTH
                ? magicAuth
                : grantType === MFA_TOTP
                  ? totp
                  : code;
    res.json(await handler(input, info));
  });

  router.get('/sso/jwks/:clientId', api, async (req, res) => {
    const client = await store.clients.find(String(req.params.clientId));
    if (!client || client.firstParty) throw new WorkOSError(404, 'not_found', 'No client with this id.', { code: 'client_not_found' });
    const keys = (await store.keys.list()).map((k) => Object.fromEntries(Object.entries(k.jwk).filter(([name]) => PUBLIC_JWK_MEMBERS.includes(name))));
    // Rotation adds a key before it signs, so a short cache is safe.
    res.setHeader('Cache-Control', 'public, max-age=300');
    res.json({ keys });
  });

  router.get('/user_management/sessions/logout', html, async (req, res) => {
    res.setHeader('Cache-Control', 'no-store');
    const parsed = logoutQuery.safeParse(req.query);
    if (!parsed.success) {
      res
        .status(400)
        .type('html')
        .send(errorPage('invalid_request', 'session_id is required (once).', config.publicUrl));
      return;
    }
    const { session_id: grantId, return_to: returnTo } = parsed.data;
    const grant = await provider.Grant.find(grantId).catch(noneUnlessOutage);
    // A session id is no credential (it is the `sid` of every access token the session has).
    // Two callers may end a session: the client it belongs to, with its API key as everywhere
    // else, and the person's own browser — the SDK's getLogoutUrl() is a browser redirect —
    // which proves itself with the portal sign-in of the same account.
    const owner = grant?.clientId ? await store.clients.find(grant.clientId) : null;
    const bearer = bearerOf(req);
    const matches = secretMatches(owner?.secret ?? null, [bearer ?? '']);
    const op = await provider.Session.get({ req, res } as never).catch(noneUnlessOutage);
    const ownBrowser = bearer === null && Boolean(grant?.accountId) && op?.accountId === grant?.accountId;
    if (!grant?.accountId || !owner || owner.firstParty || !(ownBrowser || (owner.secret !== null && bearer !== null && matches))) {
      if (bearer === null) {
        res
          .status(401)
          .type('html')
          .send(
            errorPage(
              'login_required',
              'This sign-out link only works in the browser that is signed in to the portal as the same person. Sign in, then use the link again.',
              config.publicUrl,
            ),
          );
        return;
      }
      return refuseClient(
        deps,
        owner?.clientId ?? null,
        clientIp(req),
        'Authenticate as the client this session belongs to (Authorization: Bearer <API key>).',
      );
    }
    // The browser's portal sign-in ends too, when it is the same person's.
    if (op?.accountId === grant.accountId) await op.destroy();
    await endSession(deps, grantId, grant, owner, { ip: clientIp(req), userAgent: req.get('user-agent') ?? null });
    const target = returnTo ? allowedReturnTo(owner, returnTo) : null;
    if (target) {
      res.redirect(302, target.href);
      return;
    }
    res.type('html').send(loggedOutPage(config.publicUrl));
  });

  router.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    const e = toWorkOSError(err);
    if (e.status >= 500) deps.logger.error({ err: e.cause ?? e, method: req.method, path: req.path }, 'WorkOS request failed');
    if (res.headersSent) {
      res.end();
      return;
    }
    if (e.retryAfter) res.setHeader('Retry-After', String(e.retryAfter));
    res.setHeader('Cache-Control', 'no-store');
    // The logout answers a browser with a page, an API caller (it sent its key) with JSON.
    if ((req.path === '/user_management/sessions/logout' && !req.get('authorization')) || req.path === '/user_management/authorize') {
      res
        .status(e.status)
        .type('html')
        .send(errorPage(e.expose ? e.oauthError : 'server_error', e.expose ? e.message : undefined, config.publicUrl));
      return;
    }
    res.status(e.status).json(errorBody(e));
  });

  return router;
}
