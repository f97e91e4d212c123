/**
 * One Zenith socket: parses each frame, serves the Auth controller, keeps the
 * connection's identity alive only while its token is, and bounds what one
 * client can make the server do (messages per second, requests in flight).
 */
import type { WebSocket, RawData } from 'ws';
import type { ZodError } from 'zod';
import type { Deps } from '../../deps.ts';
import { StoreUnavailableError } from '../../store/store.ts';
import { zodProblems } from '../../http/validate.ts';
import { authCodeData, authTokenData, container, decodeAccessToken, echoOf, type Container, type Echo } from './schema.ts';
import { identityFromToken, identityFromUpstream, throttleFor, type Identity } from './auth.ts';
import { redeemAuthCode } from './auth-code.ts';
import { abandon, identityFromAuthToken } from './renewal.ts';
import { authReply, errorReply, identityData, IDENTIFY, MESSAGES, REJECT, type ZenithMessage } from './map.ts';

export const LIMITS = {
  /** Messages per second before Error replies start. */
  perSecond: 20,
  /** Over-limit messages (in consecutive busy seconds) before the socket is closed with 1008. */
  strikes: 20,
  /** Requests queued or running at once. */
  pending: 8,
  /** How often a live socket pings and re-checks that its token still stands (ms). */
  heartbeat: 30_000,
  /** An unauthenticated socket is closed after this long (ms). */
  authTimeout: 60_000,
};

export interface ConnectionContext {
  deps: Deps;
  /** version=2.0 and later: replies echo the request topic instead of Identify. */
  echoTopic: boolean;
  ip: string;
  /** Set when the upgrade carried a valid Authorization header. */
  identity: Identity | null;
}

const MAX_TIMER = 2 ** 31 - 1;

export function serveConnection(ws: WebSocket, ctx: ConnectionContext): void {
  const { deps, echoTopic } = ctx;
  const throttle = throttleFor(deps, ctx.ip);
  let identity: Identity | null = null;
  let expiryTimer: NodeJS.Timeout | undefined;
  let authTimer: NodeJS.Timeout | undefined;
  let queue: Promise<void> = Promise.resolve();
  let pending = 0;
  let windowStart = Date.now();
  let inWindow = 0;
  let strikes = 0;
  let alive = true;

  const send = (msg: ZenithMessage) => {
    if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(msg));
  };
  const replyTopic = (requestTopic: string) => (echoTopic ? requestTopic : IDENTIFY);

  /** Destroys a held refresh token nobody can use any more (in the background: nothing waits on it). */
  function release(held: Identity['renewal']): void {
    if (held) abandon(deps, held).catch((err: unknown) => deps.logger.warn({ err }, 'zenith: could not destroy a connection refresh token'));
  }

  function setIdentity(next: Identity | null): void {
    if (identity?.renewal && identity.renewal.refreshToken !== next?.renewal?.refreshToken) release(identity.renewal);
    identity = next;
    clearTimeout(expiryTimer);
    clearTimeout(authTimer);
    // A request that finishes after the socket closed must not leave timers (or a refresh token) behind.
    if (ws.readyState !== ws.OPEN) {
      identity = null;
      release(next?.renewal);
      return;
    }
    if (next) {
      // Fire just after the token's last valid second, then confirm with the store.
      const delay = Math.min(MAX_TIMER, Math.max(0, next.exp * 1000 - Date.now() + 50));
      expiryTimer = setTimeout(() => void recheck('expired'), delay);
    } else {
      authTimer = setTimeout(() => ws.close(1008, 'Authentication required'), LIMITS.authTimeout);
    }
  }

  /** Tells the client its identity is gone, then closes with 1008 (policy violation). */
  function lose(reason: 'expired' | 'revoked', notice?: ZenithMessage): void {
    setIdentity(null);
    clearTimeout(authTimer);
    send(notice ?? authReply(IDENTIFY, undefined, REJECT));
    ws.close(1008, reason === 'expired' ? 'Authentication expired' : 'Authentication revoked');
  }

  /** Whether the identity's token still stands; loses the identity (and the socket) when it does not. */
  async function recheck(reason: 'expired' | 'revoked', notice?: ZenithMessage): Promise<boolean> {
    const current = identity;
    if (!current) return false;
    let still: Identity | null;
    try {
      still = current.upstream ? await identityFromUpstream(deps, current.upstream, current.token) : await identityFromToken(deps, current.token);
    } catch (err) {
      // The store cannot answer: the token's own expiry still holds meanwhile.
      deps.logger.warn({ err }, 'zenith: could not re-check a connection token');
      still = current;
    }
    // Re-authenticated while we waited: the newer identity decides.
    if (identity !== current) return identity !== null;
    if (still && still.exp * 1000 > Date.now()) {
      // What the connection was narrowed to, and what it holds, stay as they are.
      setIdentity({ ...current, exp: still.exp });
      return true;
    }
    lose(current.exp * 1000 <= Date.now() ? 'expired' : reason, notice);
    return false;
  }

  function invalidData(msg: Container, error: ZodError): void {
    const [first] = zodProblems(error, 'Data');
    send(errorReply(msg, `Invalid Data: ${first ? `${first.field} ${first.message}` : 'not valid'}`));
  }

  /** Answers and returns true when this address has failed too often. */
  async function lockedOut(msg: Container): Promise<boolean> {
    const wait = await throttle.blocked();
    if (wait !== null) send(errorReply(msg, MESSAGES.throttled(wait)));
    return wait !== null;
  }

  async function authToken(msg: Container): Promise<void> {
    const parsed = authTokenData.safeParse(msg.Data);
    if (!parsed.success) return invalidData(msg, parsed.error);
    if (await lockedOut(msg)) return;
    const { Provider, AccessToken } = parsed.data;
    await conclude(msg, await identityFromAuthToken(deps, Provider, decodeAccessToken(AccessToken), identity));
  }

  async function authCode(msg: Container): Promise<void> {
    const parsed = authCodeData.safeParse(msg.Data);
    if (!parsed.success) return invalidData(msg, parsed.error);
    if (await lockedOut(msg)) return;
    await conclude(msg, await redeemAuthCode(deps, parsed.data));
  }

  async function conclude(msg: Container, next: Identity | null): Promise<void> {
    const topic = replyTopic(msg.Topic);
    // A connection keeps one user: a token for someone else does not switch it.
    if (!next || (identity && next.userId !== identity.userId)) {
      release(next?.renewal);
      await throttle.failed();
      send(authReply(topic, msg.TransactionID, REJECT));
      return;
    }
    await throttle.succeeded();
    setIdentity(next);
    deps.logger.info({ userId: next.userId, clientId: next.clientId, via: `zenith:${msg.Topic}` }, 'zenith connection authenticated');
    send(authReply(topic, msg.TransactionID, identityData(next, true)));
  }

  async function queryIdentify(msg: Container): Promise<void> {
    const tid = msg.TransactionID;
    if (!identity) {
      send(authReply('QueryIdentify', tid, REJECT));
      return;
    }
    const reject = authReply('QueryIdentify', tid, REJECT);
    if (await recheck('revoked', reject)) send(authReply('QueryIdentify', tid, identityData(identity!, false)));
  }

  function enqueue(msg: Container, op: (m: Container) => Promise<void>): void {
    if (pending >= LIMITS.pending) {
      send(errorReply(msg, MESSAGES.tooManyPending));
      return;
    }
    pending++;
    queue = queue
      .then(() => (ws.readyState === ws.OPEN ? op(msg) : undefined))
      .catch((err: unknown) => {
        const unavailable = err instanceof StoreUnavailableError;
        if (!unavailable) deps.logger.error({ err, topic: msg.Topic }, 'zenith request failed');
        send(errorReply(msg, MESSAGES.unavailable));
      })
      .finally(() => {
        pending--;
      });
  }

  /** True when this message may be handled; answers or closes when the client floods. */
  function withinRate(echo: Echo): boolean {
    const now = Date.now();
    if (now - windowStart >= 1000) {
      if (inWindow <= LIMITS.perSecond) strikes = 0;
      windowStart = now;
      inWindow = 0;
    }
    inWindow++;
    if (inWindow <= LIMITS.perSecond) return true;
    strikes++;
    if (strikes > LIMITS.strikes) ws.close(1008, 'Message rate limit exceeded');
    else send(errorReply(echo, MESSAGES.rateLimited));
    return false;
  }

  function onMessage(raw: RawData, isBinary: boolean): void {
    let value: unknown;
    if (!isBinary) {
      try {
        value = JSON.parse(raw.toString());
      } catch {
        value = undefined;
      }
    }
    const obj = value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
    const echo = obj ? echoOf(obj) : {};
    if (!withinRate(echo)) return;
    if (!obj) {
      send(errorReply(echo, isBinary ? MESSAGES.binary : MESSAGES.notJson));
      return;
    }
    const parsed = container.safeParse(obj);
    if (!parsed.success) {
      send(errorReply(echo, `Malformed message: ${parsed.error.issues[0]?.message ?? 'invalid container'}`));
      return;
    }
    const msg = parsed.data;
    if (msg.Controller !== 'Auth') {
      send(errorReply(msg, identity ? MESSAGES.unsupportedController : MESSAGES.notAuthenticated));
      return;
    }
    if (msg.Topic === 'AuthToken') enqueue(msg, authToken);
    else if (msg.Topic === 'AuthCode') enqueue(msg, authCode);
    else if (msg.Topic === 'QueryIdentify') enqueue(msg, queryIdentify);
    else send(errorReply(msg, MESSAGES.unknownTopic));
  }

  const heartbeat = setInterval(() => {
    if (!alive) {
      ws.terminate();
      return;
    }
    alive = false;
    ws.ping();
    // Revocation (logout, withdrawn consent) is noticed here even if the client stays silent.
    if (identity) void recheck('revoked');
  }, LIMITS.heartbeat);

  ws.on('pong', () => {
    alive = true;
  });
  ws.on('message', onMessage);
  ws.on('error', (err) => {
    // ws closes the socket itself (1009 for an oversized frame, 1002 for a protocol error).
    deps.logger.debug({ code: (err as { code?: string }).code }, 'zenith socket error');
  });
  ws.on('close', () => {
    clearInterval(heartbeat);
    clearTimeout(expiryTimer);
    clearTimeout(authTimer);
    release(identity?.renewal);
    identity = null;
  });

  setIdentity(ctx.identity);
  if (ctx.identity) deps.logger.info({ userId: ctx.identity.userId, clientId: ctx.identity.clientId, via: 'zenith:header' }, 'zenith connection authenticated');
}
