/**
 * One Zenith socket: parses each frame, serves the Auth controller, keeps the
 * connection's identity alive only while its token is, and bounds what one
 * client can make the server do (messages per second, requests in flight).
 *
 * A process holds up to 100,000 of these, so each costs as little as it can:
 * its state is one object whose methods live on the prototype (no closures
 * per socket), the socket events go to shared functions, and the liveness
 * ping and revocation re-check run from one shared wheel (heartbeat.ts) that
 * visits a thirtieth of the sockets each second, rather than a timer each.
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
import type { Heartbeat } from './heartbeat.ts';

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
  /** The shared wheel that pings the socket and re-checks its token every LIMITS.heartbeat ms. */
  heartbeat: Heartbeat<Connection>;
}

const MAX_TIMER = 2 ** 31 - 1;
/** The Connection behind each socket, for the shared event handlers. */
const connections = new WeakMap<WebSocket, Connection>();

export function serveConnection(ws: WebSocket, ctx: ConnectionContext): void {
  const c = new Connection(ws, ctx);
  connections.set(ws, c);
  ws.on('pong', onPong);
  ws.on('message', onMessage);
  ws.on('error', onError);
  ws.on('close', onClose);
  ctx.heartbeat.add(c);
  c.setIdentity(ctx.identity);
  if (ctx.identity)
    ctx.deps.logger.info({ userId: ctx.identity.userId, clientId: ctx.identity.clientId, via: 'zenith:header' }, 'zenith connection authenticated');
}

function onPong(this: WebSocket): void {
  const c = connections.get(this);
  if (c) c.alive = true;
}

function onMessage(this: WebSocket, raw: RawData, isBinary: boolean): void {
  connections.get(this)?.message(raw, isBinary);
}

function onError(this: WebSocket, err: Error): void {
  // ws closes the socket itself (1009 for an oversized frame, 1002 for a protocol error).
  // Not `code`: the logger redacts that key everywhere (authorization codes), which left the line without its reason.
  connections.get(this)?.deps.logger.debug({ errorCode: (err as { code?: string }).code }, 'zenith socket error');
}

function onClose(this: WebSocket): void {
  connections.get(this)?.closed();
  connections.delete(this);
}

/** Fires just after the token's last valid second, then confirms with the store. */
function onExpiry(c: Connection): void {
  void c.recheck('expired');
}

function onAuthTimeout(c: Connection): void {
  c.ws.close(1008, 'Authentication required');
}

export class Connection {
  readonly ws: WebSocket;
  readonly deps: Deps;
  readonly echoTopic: boolean;
  readonly ip: string;
  readonly heartbeat: Heartbeat<Connection>;
  identity: Identity | null = null;
  expiryTimer: NodeJS.Timeout | undefined = undefined;
  authTimer: NodeJS.Timeout | undefined = undefined;
  queue: Promise<void> = Promise.resolve();
  pending = 0;
  windowStart = Date.now();
  inWindow = 0;
  strikes = 0;
  alive = true;
  /** The heartbeat wheel's slot (heartbeat.ts). */
  slot = 0;

  constructor(ws: WebSocket, ctx: ConnectionContext) {
    this.ws = ws;
    this.deps = ctx.deps;
    this.echoTopic = ctx.echoTopic;
    this.ip = ctx.ip;
    this.heartbeat = ctx.heartbeat;
  }

  /** Made when needed rather than kept: a socket that never fails never needs one. */
  throttle() {
    return throttleFor(this.deps, this.ip);
  }

  send(msg: ZenithMessage): void {
    if (this.ws.readyState === this.ws.OPEN) this.ws.send(JSON.stringify(msg));
  }

  replyTopic(requestTopic: string): string {
    return this.echoTopic ? requestTopic : IDENTIFY;
  }

  /** Destroys a held refresh token nobody can use any more (in the background: nothing waits on it). */
  release(held: Identity['renewal']): void {
    const { deps } = this;
    if (held) abandon(deps, held).catch((err: unknown) => deps.logger.warn({ err }, 'zenith: could not destroy a connection refresh token'));
  }

  setIdentity(next: Identity | null): void {
    if (this.identity?.renewal && this.identity.renewal.refreshToken !== next?.renewal?.refreshToken) this.release(this.identity.renewal);
    this.identity = next;
    clearTimeout(this.expiryTimer);
    clearTimeout(this.authTimer);
    this.expiryTimer = this.authTimer = undefined;
    // A request that finishes after the socket closed must not leave timers (or a refresh token) behind.
    if (this.ws.readyState !== this.ws.OPEN) {
      this.identity = null;
      this.release(next?.renewal);
      return;
    }
    if (next) {
      const delay = Math.min(MAX_TIMER, Math.max(0, next.exp * 1000 - Date.now() + 50));
      this.expiryTimer = setTimeout(onExpiry, delay, this);
    } else {
      this.authTimer = setTimeout(onAuthTimeout, LIMITS.authTimeout, this);
    }
  }

  /** Tells the client its identity is gone, then closes with 1008 (policy violation). */
  lose(reason: 'expired' | 'revoked', notice?: ZenithMessage): void {
    this.setIdentity(null);
    clearTimeout(this.authTimer);
    this.send(notice ?? authReply(IDENTIFY, undefined, REJECT));
    this.ws.close(1008, reason === 'expired' ? 'Authentication expired' : 'Authentication revoked');
  }

  /** Whether the identity's token still stands; loses the identity (and the socket) when it does not. */
  async recheck(reason: 'expired' | 'revoked', notice?: ZenithMessage): Promise<boolean> {
    const { deps } = this;
    const current = this.identity;
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
    if (this.identity !== current) return this.identity !== null;
    if (still && still.exp * 1000 > Date.now()) {
      // What the connection was narrowed to, and what it holds, stay as they are.
      this.setIdentity({ ...current, exp: still.exp });
      return true;
    }
    this.lose(current.exp * 1000 <= Date.now() ? 'expired' : reason, notice);
    return false;
  }

  /** The shared wheel's visit: no pong since the last one ends the socket; revocation is noticed even if the client stays silent. */
  beat(): void {
    if (!this.alive) {
      this.ws.terminate();
      return;
    }
    this.alive = false;
    this.ws.ping();
    if (this.identity) void this.recheck('revoked');
  }

  closed(): void {
    this.heartbeat.delete(this);
    clearTimeout(this.expiryTimer);
    clearTimeout(this.authTimer);
    this.release(this.identity?.renewal);
    this.identity = null;
  }

  invalidData(msg: Container, error: ZodError): void {
    const [first] = zodProblems(error, 'Data');
    this.send(errorReply(msg, `Invalid Data: ${first ? `${first.field} ${first.message}` : 'not valid'}`));
  }

  /** Answers and returns true when this address has failed too often. */
  async lockedOut(msg: Container): Promise<boolean> {
    const wait = await this.throttle().blocked();
    if (wait !== null) this.send(errorReply(msg, MESSAGES.throttled(wait)));
    return wait !== null;
  }

  async authToken(msg: Container): Promise<void> {
    const parsed = authTokenData.safeParse(msg.Data);
    if (!parsed.success) return this.invalidData(msg, parsed.error);
    if (await this.lockedOut(msg)) return;
    const { Provider, AccessToken } = parsed.data;
    await this.conclude(msg, await identityFromAuthToken(this.deps, Provider, decodeAccessToken(AccessToken), this.identity));
  }

  async authCode(msg: Container): Promise<void> {
    const parsed = authCodeData.safeParse(msg.Data);
    if (!parsed.success) return this.invalidData(msg, parsed.error);
    if (await this.lockedOut(msg)) return;
    await this.conclude(msg, await redeemAuthCode(this.deps, parsed.data));
  }

  async conclude(msg: Container, next: Identity | null): Promise<void> {
    const topic = this.replyTopic(msg.Topic);
    // A connection keeps one user: a token for someone else does not switch it.
    if (!next || (this.identity && next.userId !== this.identity.userId)) {
      this.release(next?.renewal);
      await this.throttle().failed();
      this.send(authReply(topic, msg.TransactionID, REJECT));
      return;
    }
    await this.throttle().succeeded();
    this.setIdentity(next);
    this.deps.logger.info({ userId: next.userId, clientId: next.clientId, via: `zenith:${msg.Topic}` }, 'zenith connection authenticated');
    this.send(authReply(topic, msg.TransactionID, identityData(next, true)));
  }

  async queryIdentify(msg: Container): Promise<void> {
    const tid = msg.TransactionID;
    if (!this.identity) {
      this.send(authReply('QueryIdentify', tid, REJECT));
      return;
    }
    const reject = authReply('QueryIdentify', tid, REJECT);
    if (await this.recheck('revoked', reject)) this.send(authReply('QueryIdentify', tid, identityData(this.identity!, false)));
  }

  enqueue(msg: Container, op: (this: Connection, m: Container) => Promise<void>): void {
    if (this.pending >= LIMITS.pending) {
      this.send(errorReply(msg, MESSAGES.tooManyPending));
      return;
    }
    this.pending++;
    this.queue = this.queue
      .then(() => (this.ws.readyState === this.ws.OPEN ? op.call(this, msg) : undefined))
      .catch((err: unknown) => {
        const unavailable = err instanceof StoreUnavailableError;
        if (!unavailable) this.deps.logger.error({ err, topic: msg.Topic }, 'zenith request failed');
        this.send(errorReply(msg, MESSAGES.unavailable));
      })
      .finally(() => {
        this.pending--;
      });
  }

  /** True when this message may be handled; answers or closes when the client floods. */
  withinRate(echo: Echo): boolean {
    const now = Date.now();
    if (now - this.windowStart >= 1000) {
      if (this.inWindow <= LIMITS.perSecond) this.strikes = 0;
      this.windowStart = now;
      this.inWindow = 0;
    }
    this.inWindow++;
    if (this.inWindow <= LIMITS.perSecond) return true;
    this.strikes++;
    if (this.strikes > LIMITS.strikes) this.ws.close(1008, 'Message rate limit exceeded');
    else this.send(errorReply(echo, MESSAGES.rateLimited));
    return false;
  }

  message(raw: RawData, isBinary: boolean): void {
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
    if (!this.withinRate(echo)) return;
    if (!obj) {
      this.send(errorReply(echo, isBinary ? MESSAGES.binary : MESSAGES.notJson));
      return;
    }
    const parsed = container.safeParse(obj);
    if (!parsed.success) {
      this.send(errorReply(echo, `Malformed message: ${parsed.error.issues[0]?.message ?? 'invalid container'}`));
      return;
    }
    const msg = parsed.data;
    if (msg.Controller !== 'Auth') {
      this.send(errorReply(msg, this.identity ? MESSAGES.unsupportedController : MESSAGES.notAuthenticated));
      return;
    }
    if (msg.Topic === 'AuthToken') this.enqueue(msg, Connection.prototype.authToken);
    else if (msg.Topic === 'AuthCode') this.enqueue(msg, Connection.prototype.authCode);
    else if (msg.Topic === 'QueryIdentify') this.enqueue(msg, Connection.prototype.queryIdentify);
    else this.send(errorReply(msg, MESSAGES.unknownTopic));
  }
}
