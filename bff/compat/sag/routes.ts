/**
 * SaG `POST /admin/login/auth_code`: a partner's operator signs in with the
 * client's credentials and their own, and gets an authorization code that
 * redeems at /oauth/token like any other (with the RedirectUri the request
 * named, else the client's first registered one: docs/compat-sag.md). A translator: the client is checked here (failures throttled
 * with /oauth/token's counters), the password by accounts (same throttle and
 * uniform failure as the browser sign-in), the code is minted by the core.
 */
import express, { Router, type NextFunction, type Request, type Response } from 'express';
import type { Deps } from '../../deps.ts';
import { AppError, badRequest, tooMany } from '../../http/errors.ts';
import { toAppError } from '../../http/error-handler.ts';
import { clientIp, refuseCrossSiteBrowsers } from '../../http/security.ts';
import { checkClient } from '../../oauth/client-auth.ts';
import { assertNoNul } from '../../http/input-guard.ts';
import { type FieldProblem, zodProblems } from '../../http/validate.ts';
import { checkCredentials } from '../../accounts/accounts.ts';
import { isHashingBusy } from '../../accounts/hash-gate.ts';
import { issueCode } from '../../oauth/core.ts';
import type { ClientRecord, User } from '../../store/store.ts';
import { clientAuthFailed } from '../../oauth/client-throttle.ts';
import { formatOf, MAX_BODY, parseBody, type Format } from './body.ts';
import { failure, ok, toJson, toXml, type Envelope } from './map.ts';
import { AUTH_CODE_REQUEST_XML, authCodeRequest, FIELDS, PATH, type AuthCodeRequest } from './schema.ts';

/** One answer for a wrong client and a wrong user: telling them apart would confirm a guessed secret. */
const INVALID_CREDENTIALS = 'The client credentials, the username or the password are incorrect.';
const TOO_MANY = 'Too many failed attempts. Try again later.';

export function sagRoutes(deps: Deps): Router {
  const { store, config, audit, now } = deps;
  const r = Router();
  const readBody = express.raw({ type: () => true, limit: MAX_BODY });

  async function verifyClient(input: AuthCodeRequest, format: Format): Promise<ClientRecord | null> {
    // A form body decodes a raw '+' to a space, and base64 secrets are often sent unencoded. No
    // secret holds a space, so a space can only have been a '+'. Both compares always run.
    const asSent = format === 'form' ? input.ClientSecret.replaceAll(' ', '+') : input.ClientSecret;
    const { client, secretMatches } = await checkClient(store, input.ClientId, [input.ClientSecret, asSent]);
    // Only partner apps with a secret (secretMatches says it has one): never the portal's own BFF.
    return client && secretMatches && !client.firstParty && client.redirectUris.length > 0 ? client : null;
  }

  r.post(
    PATH,
    // A server-to-server API: a browser page on another site has no business here.
    refuseCrossSiteBrowsers(config.publicUrl),
    readBody,
    async (req: Request, res: Response) => {
      const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      const { fields, format } = parseBody(raw, req.get('content-type'), FIELDS, AUTH_CODE_REQUEST_XML);
      assertNoNul(fields);
      const parsed = authCodeRequest.safeParse(Object.fromEntries(fields));
      if (!parsed.success) {
        const [{ field, message }] = zodProblems(parsed.error) as [FieldProblem];
        throw badRequest('invalid_request', `${field} ${message}`, { [field]: message });
      }
      const input = parsed.data;
      const meta = { ip: clientIp(req), userAgent: req.get('user-agent') ?? null };

      const client = await verifyClient(input, format);
      // Told only to a caller that also gets the password right: never an oracle for the secret.
      const target = client ? codeTarget(client, input) : null;
      // The password is checked whatever the client: a wrong secret and a wrong password cost one
      // hash each, count alike and answer alike, so the answer is no oracle for the secret.
      let user: User | null = null;
      let refusal: AppError | null = null;
      try {
        user = await checkCredentials(input.Username, input.Password, {
          store,
          now: now(),
          maxFailures: config.rateLimit.loginPerAccount,
          windowMs: config.rateLimit.window * 1000,
          ip: meta.ip,
          recordSuccess: client !== null && !(target instanceof AppError),
        });
      } catch (e) {
        // A refusal before any check (the hashing queue full: 503 busy) answers as itself.
        if (!(e instanceof AppError) || isHashingBusy(e)) throw e;
        refusal = e;
      }
      if (!client || !user) {
        // Every failed request counts for its client id and address, whichever part was wrong.
        const clientWait = await clientAuthFailed(store, input.ClientId, meta.ip, now());
        const reason = client ? (refusal?.code ?? 'invalid_credentials') : 'invalid_client';
        await audit.record('sign_in_failed', {
          ...meta,
          data: { via: 'sag', email: input.Username.slice(0, 320).toLowerCase(), reason, clientId: input.ClientId },
        });
        const wait = Math.max(clientWait ?? 0, refusal?.retryAfter ?? 0);
        if (wait > 0) throw tooMany(TOO_MANY, wait);
        throw new AppError('invalid_credentials', INVALID_CREDENTIALS, { status: 401 });
      }
      if (target instanceof AppError || !target) throw target ?? new AppError('invalid_credentials', INVALID_CREDENTIALS, { status: 401 });
      const { code } = await issueCode(deps, {
        clientId: client.clientId,
        accountId: user.id,
        scopes: target.scopes,
        redirectUri: target.redirectUri,
        amr: ['pwd'],
      });
      await audit.record('sign_in', { ...meta, actorId: user.id, subjectId: user.id, data: { method: 'password', via: 'sag', clientId: client.clientId } });
      send(req, res, 200, ok(code));
    },
    (err: unknown, req: Request, res: Response, _next: NextFunction) => {
      const e = toAppError(err);
      if (e.status >= 500) deps.logger.error({ err: e.cause ?? e, path: req.path }, 'sag auth_code failed');
      if (e.retryAfter) res.setHeader('Retry-After', String(e.retryAfter));
      const message = e.expose ? e.message : 'Something went wrong on our side. Try again in a moment.';
      send(req, res, e.status, failure(e.expose ? e.code : 'server_error', message));
    },
  );

  r.all(PATH, (req, res) => {
    res.setHeader('Allow', 'POST');
    send(req, res, 405, failure('method_not_allowed', 'Use POST.'));
  });

  return r;
}

/** The redirect URI and scopes the code is issued for (docs/compat-sag.md), or why not. */
function codeTarget(client: ClientRecord, input: AuthCodeRequest): { redirectUri: string; scopes: string[] } | AppError {
  const redirectUri = input.RedirectUri || client.redirectUris[0]!;
  if (!client.redirectUris.includes(redirectUri)) {
    return badRequest('invalid_redirect_uri', 'RedirectUri must be one of the redirect URIs registered for this client.', {
      RedirectUri: 'Not registered for this client.',
    });
  }
  const asked = [...new Set((input.Scope ?? '').split(' ').filter(Boolean))];
  const outside = asked.filter((s) => !client.scopes.includes(s));
  if (outside.length)
    return badRequest('invalid_scope', `Scope names scopes this client may not have: ${outside.join(', ')}.`, { Scope: 'Not allowed for this client.' });
  return { redirectUri, scopes: asked.length ? asked : client.scopes };
}

const JSON_TYPES = ['application/json', 'text/json'];
const XML_TYPES = ['application/xml', 'text/xml'];

/** Writes the envelope in the format `Accept` asks for, else the request's own (its exact type; JSON for a form). */
function send(req: Request, res: Response, status: number, envelope: Envelope): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  const requestType = (req.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
  const xmlFirst = formatOf(requestType).format === 'xml';
  const ordered = xmlFirst ? [...XML_TYPES, ...JSON_TYPES] : [...JSON_TYPES, ...XML_TYPES];
  const candidates = ordered.includes(requestType) ? [requestType, ...ordered.filter((t) => t !== requestType)] : ordered;
  const chosen = (req.get('accept') ? req.accepts(candidates) : false) || candidates[0]!;
  const xml = chosen.endsWith('/xml');
  res.status(status);
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Content-Type', `${chosen}; charset=utf-8`);
  res.send(xml ? toXml(envelope) : toJson(envelope));
}
