/**
 * A real upstream OpenID Provider for federation tests: a second oidc-provider
 * instance on its own loopback port, with its own users and its own login
 * page (labelled "Email" and "Password", a "Sign in" button, a "Cancel"
 * button that answers access_denied). Not a mock: the portal discovers it,
 * sends PKCE/state/nonce, and verifies its signed ID tokens.
 *
 * It can be told to misbehave (`op.misbehave = 'wrong_nonce'`): the token
 * endpoint then answers with an ID token re-signed by its real key but with a
 * wrong nonce, an expired `exp`, a foreign audience, or signed by a key it
 * does not publish.
 *
 * Run it on its own (for Playwright or by hand):
 *   node bff/testing/upstream-op.ts --port 4010 --redirect-uri http://127.0.0.1:3000/bff/federation/callback \
 *     [--user bob@example.com:bob-pw …] [--unverified-user eve@example.com:eve-pw …] [--misbehave wrong_nonce]
 * It prints its issuer, client id and secret, and users as JSON once it listens.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { parseArgs } from 'node:util';
import express from 'express';
import Provider, { type Adapter, type AdapterPayload, type JWK } from 'oidc-provider';
import { decodeJwt, importJWK, SignJWT } from 'jose';
import { escapeHtml } from '../oauth/pages.ts';

export interface UpstreamUser {
  sub: string;
  email: string;
  password: string;
  name: string;
  emailVerified: boolean;
}

/** The default users. Alice's email is verified upstream; Uma's is not. */
export const UPSTREAM_USERS: readonly UpstreamUser[] = [
  { sub: 'up-alice', email: 'alice@acme.test', password: 'alice-upstream-pw', name: 'Alice Upstream', emailVerified: true },
  { sub: 'up-uma', email: 'uma@acme.test', password: 'uma-upstream-pw', name: 'Uma Unverified', emailVerified: false },
];

export const UPSTREAM_CLIENT_ID = 'portal-federation';
export const UPSTREAM_CLIENT_SECRET = 'upstream-client-secret-for-tests-0001';

export type Misbehaviour = 'none' | 'wrong_nonce' | 'expired_id_token' | 'wrong_audience' | 'bad_signature';

export interface UpstreamOpOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  /** Redirect URIs of the default client (the portal's /bff/federation/callback). */
  redirectUris?: string[];
  /** Extra or replacement clients. */
  clients?: Array<{ clientId: string; clientSecret: string; redirectUris: string[] }>;
  users?: UpstreamUser[];
  /** Access token lifetime in seconds (default 3600). */
  accessTokenTtl?: number;
  /** Put email claims in the ID token (default false: like many providers, only userinfo has them). */
  emailInIdToken?: boolean;
}

export interface UpstreamOp {
  /** The issuer identifier, also the base URL: http://127.0.0.1:<port> */
  issuer: string;
  port: number;
  clientId: string;
  clientSecret: string;
  users: UpstreamUser[];
  misbehave: Misbehaviour;
  provider: Provider;
  close(): Promise<void>;
}

/** oidc-provider's storage for a throwaway instance. */
function memoryAdapter(): new (name: string) => Adapter {
  const rows = new Map<string, { payload: AdapterPayload; exp: number }>();
  const key = (model: string, id: string) => `${model}:${id}`;
  return class MemoryAdapter implements Adapter {
    name: string;
    constructor(name: string) {
      this.name = name;
    }
    async upsert(id: string, payload: AdapterPayload, expiresIn: number) {
      rows.set(key(this.name, id), { payload: { ...payload }, exp: expiresIn ? Date.now() + expiresIn * 1000 : Infinity });
    }
    async find(id: string) {
      const row = rows.get(key(this.name, id));
      return row && row.exp > Date.now() ? row.payload : undefined;
    }
    async findByUserCode() {
      return undefined;
    }
    async findByUid(uid: string) {
      for (const [k, row] of rows) if (k.startsWith(`${this.name}:`) && row.payload.uid === uid && row.exp > Date.now()) return row.payload;
      return undefined;
    }
    async consume(id: string) {
      const row = rows.get(key(this.name, id));
      if (row) row.payload.consumed = Math.floor(Date.now() / 1000);
    }
    async destroy(id: string) {
      rows.delete(key(this.name, id));
    }
    async revokeByGrantId(grantId: string) {
      for (const [k, row] of rows) if (row.payload.grantId === grantId) rows.delete(k);
    }
  };
}

function page(title: string, body: string, status = 200) {
  return {
    status,
    html: `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)} · Upstream IdP</title></head><body><main>${body}</main></body></html>`,
  };
}

function loginPage(uid: string, clientId: string, error?: string, email = '') {
  const u = escapeHtml(uid);
  return page(
    'Sign in',
    `<h1>Upstream IdP: sign in</h1><p>to continue to <strong>${escapeHtml(clientId)}</strong></p>` +
      (error ? `<p role="alert">${escapeHtml(error)}</p>` : '') +
      `<form method="post" action="/interaction/${u}/login">` +
      `<p><label for="email">Email</label> <input id="email" name="email" type="email" autocomplete="username" value="${escapeHtml(email)}" required></p>` +
      `<p><label for="password">Password</label> <input id="password" name="password" type="password" autocomplete="current-password" required></p>` +
      `<p><button type="submit">Sign in</button></p></form>` +
      `<form method="post" action="/interaction/${u}/abort"><button type="submit">Cancel</button></form>`,
    error ? 401 : 200,
  );
}

export async function startUpstreamOp(opts: UpstreamOpOptions = {}): Promise<UpstreamOp> {
  const server: Server = createServer();
  await new Promise<void>((r) => server.listen(opts.port ?? 0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  const issuer = `http://127.0.0.1:${port}`;
  const users = [...(opts.users ?? UPSTREAM_USERS.map((u) => ({ ...u })))];

  const signing = {
    ...(generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' }) as JWK),
    kid: `up-${randomBytes(4).toString('hex')}`,
    alg: 'RS256',
    use: 'sig',
  };
  const rogue = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' });

  const clients = [
    ...(opts.redirectUris ? [{ clientId: UPSTREAM_CLIENT_ID, clientSecret: UPSTREAM_CLIENT_SECRET, redirectUris: opts.redirectUris }] : []),
    ...(opts.clients ?? []),
  ];
  const provider = new Provider(issuer, {
    adapter: memoryAdapter(),
    clients: clients.map((c) => ({
      client_id: c.clientId,
      client_secret: c.clientSecret,
      redirect_uris: c.redirectUris,
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
    })),
    jwks: { keys: [signing] },
    cookies: {
      keys: [randomBytes(32).toString('base64url')],
      names: { session: 'upstream_op', interaction: 'upstream_op_i', resume: 'upstream_op_r' },
    },
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
    conformIdTokenClaims: !opts.emailInIdToken,
    findAccount: async (_ctx, sub) => {
      const u = users.find((x) => x.sub === sub);
      if (!u) return undefined;
      return { accountId: u.sub, claims: async () => ({ sub: u.sub, email: u.email, email_verified: u.emailVerified, name: u.name }) };
    },
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    features: { devInteractions: { enabled: false } },
    pkce: { required: () => true },
    rotateRefreshToken: true,
    issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),
    ttl: { AccessToken: opts.accessTokenTtl ?? 3600, IdToken: 3600, Interaction: 600, Session: 3600, Grant: 86400, RefreshToken: 86400, AuthorizationCode: 60 },
  });

  const op: UpstreamOp = {
    issuer,
    port,
    clientId: UPSTREAM_CLIENT_ID,
    clientSecret: UPSTREAM_CLIENT_SECRET,
    users,
    misbehave: 'none',
    provider,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };

  // Misbehaviour: rewrite the token endpoint's ID token after the provider made it.
  provider.use(async (ctx, next) => {
    await next();
    const body = ctx.body as Record<string, unknown> | undefined;
    if (op.misbehave === 'none' || ctx.method !== 'POST' || ctx.path !== '/token' || typeof body?.id_token !== 'string') return;
    const claims = decodeJwt(body.id_token);
    const now = Math.floor(Date.now() / 1000);
    if (op.misbehave === 'wrong_nonce') claims.nonce = 'a-nonce-this-client-never-sent';
    if (op.misbehave === 'expired_id_token') Object.assign(claims, { iat: now - 900, exp: now - 600 });
    if (op.misbehave === 'wrong_audience') claims.aud = 'someone-else';
    const key = await importJWK((op.misbehave === 'bad_signature' ? rogue : signing) as Parameters<typeof importJWK>[0], 'RS256');
    ctx.body = { ...body, id_token: await new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid: signing.kid }).sign(key) };
  });

  const app = express();
  app.disable('x-powered-by');
  const form = express.urlencoded({ extended: false, limit: '8kb' });
  const send = (res: express.Response, p: { status: number; html: string }) => {
    res.status(p.status).type('html').setHeader('Cache-Control', 'no-store').send(p.html);
  };

  async function details(req: express.Request, res: express.Response) {
    try {
      const d = await provider.interactionDetails(req, res);
      return d.uid === req.params.uid ? d : null;
    } catch {
      return null;
    }
  }

  /** Signs in (and consents for the requested scopes: the portal is a trusted client here). */
  async function finishLogin(req: express.Request, res: express.Response, d: NonNullable<Awaited<ReturnType<typeof details>>>, accountId: string) {
    const grant = new provider.Grant({ accountId, clientId: String(d.params.client_id) });
    grant.addOIDCScope(String(d.params.scope ?? 'openid'));
    const grantId = await grant.save();
    await provider.interactionFinished(req, res, { login: { accountId }, consent: { grantId } }, { mergeWithLastSubmission: false });
  }

  app.get('/interaction/:uid', async (req, res) => {
    const d = await details(req, res);
    if (!d) return send(res, page('Expired', '<h1>This sign-in has expired</h1>', 400));
    if (d.prompt.name === 'consent' && d.session?.accountId) return finishLogin(req, res, d, d.session.accountId);
    send(res, loginPage(d.uid, String(d.params.client_id), undefined, typeof d.params.login_hint === 'string' ? d.params.login_hint : ''));
  });

  app.post('/interaction/:uid/login', form, async (req, res) => {
    const d = await details(req, res);
    if (!d) return send(res, page('Expired', '<h1>This sign-in has expired</h1>', 400));
    const email = String(req.body?.email ?? '')
      .trim()
      .toLowerCase();
    const user = users.find((u) => u.email === email && u.password === String(req.body?.password ?? ''));
    if (!user) return send(res, loginPage(d.uid, String(d.params.client_id), 'Wrong email or password.', email));
    await finishLogin(req, res, d, user.sub);
  });

  app.post('/interaction/:uid/abort', async (req, res) => {
    const d = await details(req, res);
    if (!d) return send(res, page('Expired', '<h1>This sign-in has expired</h1>', 400));
    await provider.interactionFinished(
      req,
      res,
      { error: 'access_denied', error_description: 'The user cancelled the sign-in.' },
      { mergeWithLastSubmission: false },
    );
  });

  app.use(provider.callback());
  server.on('request', app);
  return op;
}

if (import.meta.main) {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: '4010' },
      'redirect-uri': { type: 'string', multiple: true },
      'access-token-ttl': { type: 'string' },
      misbehave: { type: 'string', default: 'none' },
      user: { type: 'string', multiple: true },
      'unverified-user': { type: 'string', multiple: true },
    },
  });
  const extra = (list: string[] | undefined, emailVerified: boolean): UpstreamUser[] =>
    (list ?? []).map((spec) => {
      const i = spec.indexOf(':');
      const email = spec.slice(0, i).toLowerCase();
      return { sub: `up-${email}`, email, password: spec.slice(i + 1), name: email.split('@')[0]!, emailVerified };
    });
  const op = await startUpstreamOp({
    port: Number(values.port),
    redirectUris: values['redirect-uri'] ?? ['http://127.0.0.1:3000/bff/federation/callback'],
    accessTokenTtl: values['access-token-ttl'] ? Number(values['access-token-ttl']) : undefined,
    users: [...UPSTREAM_USERS.map((u) => ({ ...u })), ...extra(values.user, true), ...extra(values['unverified-user'], false)],
  });
  op.misbehave = values.misbehave as Misbehaviour;
  process.stdout.write(JSON.stringify({ issuer: op.issuer, clientId: op.clientId, clientSecret: op.clientSecret, users: op.users }, null, 2) + '\n');
  const stop = () => void op.close().then(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}
