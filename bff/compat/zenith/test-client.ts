/**
 * A small Zenith client for the tests, on the `ws` package (as real Zenith
 * clients are): connects with the ZenithJson subprotocol, queues incoming
 * messages, and reports a refused upgrade's HTTP status.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { ClientRequest } from 'node:http';
import { WebSocket } from 'ws';
import type { TestApp } from '../../testing/test-app.ts';
import { Agent, authorizeThrough } from '../../testing/agent.ts';

export interface Msg {
  Controller?: string;
  Topic?: string;
  TransactionID?: number;
  Action?: string;
  Data?: Record<string, unknown> | string;
}

export interface Conn {
  ws: WebSocket;
  /** The next message, or a rejection after `ms`. */
  next(ms?: number): Promise<Msg>;
  /** Sends (a string as it is, anything else as JSON) and waits for the next message. */
  call(msg: unknown): Promise<Msg>;
  closed: Promise<{ code: number; reason: string }>;
}

export interface ConnectOptions {
  /** null: no `version` parameter at all. */
  version?: string | null;
  protocol?: string | null;
  headers?: Record<string, string>;
  origin?: string;
  /**
   * Handshake headers set exactly as given, after ws has set its own (ws insists on
   * `Connection: Upgrade` and its own extension offer otherwise).
   */
  handshake?: Record<string, string>;
}

export class Refused extends Error {
  status: number;
  constructor(status: number) {
    super(`upgrade refused with ${status}`);
    this.status = status;
  }
}

export function zenithUrl(app: TestApp, version: string | null = '1.1'): string {
  return `${app.url.replace(/^http/, 'ws')}/Zenith${version === null ? '' : `?version=${encodeURIComponent(version)}`}`;
}

const open = new Set<WebSocket>();

/** Terminates every socket a test opened (call it after each test). */
export function closeAll(): void {
  for (const ws of open) ws.terminate();
  open.clear();
}

export function connect(app: TestApp, opts: ConnectOptions = {}): Promise<Conn> {
  const protocols = opts.protocol === null ? [] : [opts.protocol ?? 'ZenithJson'];
  const handshake = opts.handshake;
  const finishRequest = handshake
    ? (req: ClientRequest) => {
        for (const [name, value] of Object.entries(handshake)) req.setHeader(name, value);
        req.end();
      }
    : undefined;
  const ws = new WebSocket(zenithUrl(app, opts.version), protocols, { headers: opts.headers, origin: opts.origin, finishRequest });
  open.add(ws);
  const queue: Msg[] = [];
  const waiters: Array<(m: Msg) => void> = [];
  ws.on('message', (data) => {
    const m = JSON.parse(String(data)) as Msg;
    const w = waiters.shift();
    if (w) w(m);
    else queue.push(m);
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.on('close', (code, reason) => {
      open.delete(ws);
      resolve({ code, reason: reason.toString() });
    }),
  );
  const next = (ms = 5000) =>
    new Promise<Msg>((resolve, reject) => {
      const queued = queue.shift();
      if (queued) return resolve(queued);
      const timer = setTimeout(() => reject(new Error('no message within the time limit')), ms);
      waiters.push((m) => {
        clearTimeout(timer);
        resolve(m);
      });
    });
  const conn: Conn = {
    ws,
    next,
    call(msg) {
      ws.send(typeof msg === 'string' ? msg : JSON.stringify(msg));
      return next();
    },
    closed,
  };
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(conn));
    ws.once('unexpected-response', (req, res) => {
      reject(new Refused(res.statusCode ?? 0));
      res.resume();
      req.destroy();
    });
    ws.on('error', reject);
  });
}

/** The HTTP status that refused the upgrade (fails if the socket opened). */
export async function refusal(app: TestApp, opts: ConnectOptions = {}): Promise<number> {
  try {
    const c = await connect(app, opts);
    c.ws.terminate();
  } catch (e) {
    if (e instanceof Refused) return e.status;
    throw e;
  }
  throw new Error('the upgrade was accepted');
}

export const REDIRECT = 'https://partner.example/cb';

/** Drives the real portal sign-in (and consent) for a partner and returns the code it redirects with. */
export async function codeFor(
  app: TestApp,
  agent: Agent,
  clientId: string,
  email: string,
  password: string,
  extra: Record<string, string> = {},
): Promise<string> {
  const q = new URLSearchParams({
    client_id: clientId,
    redirect_uri: REDIRECT,
    response_type: 'code',
    scope: 'openid profile offline_access',
    state: 'zenith-state',
    ...extra,
  });
  const end = await authorizeThrough(agent, `/oauth/authorize?${q}`, { email, password });
  const code = end.searchParams.get('code');
  if (!code) throw new Error(`no code in ${end.href}`);
  return code;
}

export async function tokensFor(app: TestApp, code: string, clientId: string, secret: string): Promise<{ access_token: string; refresh_token: string }> {
  return token(app, { grant_type: 'authorization_code', code, redirect_uri: REDIRECT }, clientId, secret);
}

export async function token(
  app: TestApp,
  params: Record<string, string>,
  clientId: string,
  secret: string,
): Promise<{ access_token: string; refresh_token: string }> {
  const res = await fetch(`${app.config.issuer}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${clientId}:${secret}`).toString('base64')}` },
    body: new URLSearchParams(params),
  });
  if (res.status !== 200) throw new Error(`token endpoint answered ${res.status}: ${await res.text()}`);
  return (await res.json()) as { access_token: string; refresh_token: string };
}

export { Agent };

/** POST /oauth/token as a partner does: HTTP Basic for a confidential client, client_id in the form for a public one (secret null). */
export async function tokenCall(
  app: TestApp,
  params: Record<string, string>,
  clientId: string,
  secret: string | null,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
  if (secret !== null) headers.authorization = `Basic ${Buffer.from(`${clientId}:${secret}`).toString('base64')}`;
  const body = new URLSearchParams(secret === null ? { ...params, client_id: clientId } : params);
  const res = await fetch(`${app.config.issuer}/token`, { method: 'POST', headers, body });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/** An RFC 7636 S256 pair. */
export function pkcePair(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

/** The claims of a JWT, unverified (the tests only read what the portal put there). */
export function jwtClaims(jwt: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;
}
