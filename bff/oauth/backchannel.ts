/**
 * OpenID Connect Back-Channel Logout 1.0, delivered from the durable outbox
 * (decision 0025). Doors that end sessions queue rows (accounts/partner-logout.ts,
 * and RP-initiated logout through `useOutboxForBackchannelLogout`); this worker
 * signs each logout token when it sends it (so `iat`/`exp` are fresh on every
 * attempt) and posts it to the partner. A failure (an error status, a refused
 * connection, no answer within 5 s) is retried with exponential backoff, then
 * given up, logged and audited. Rows are claimed with a lease (and SKIP LOCKED
 * on PostgreSQL), so two instances never post the same row at once; a worker
 * that dies mid-post leaves a lease that lapses, so delivery is at least once.
 */
import { randomUUID } from 'node:crypto';
import type Provider from 'oidc-provider';
import type { Logger } from '../http/logger.ts';
import type { PartnerLogout, Store } from '../store/store.ts';
import { queuePartnerLogout } from '../store/logout-queue.ts';

export const BACKCHANNEL_LOGOUT_EVENT = 'http://schemas.openid.net/event/backchannel-logout';
/** Attempts before a logout is given up: with the backoff below, about ten minutes of trying. */
export const LOGOUT_MAX_ATTEMPTS = 6;
/** Longer than one post may take (its timeout), so a live worker's lease never lapses. */
export const LOGOUT_LEASE_MS = 30_000;
const POST_TIMEOUT_MS = 5_000;
const BATCH = 20;

/** The wait after the n-th failed attempt: 10 s, 20 s, 40 s, … at most an hour. */
export function logoutBackoffMs(attempts: number): number {
  return Math.min(10_000 * 2 ** Math.max(0, attempts - 1), 3_600_000);
}

/** The audit log as the worker uses it (the provider core imports no domain: app.ts passes it in). */
export interface LogoutAudit {
  record(kind: string, ctx: { subjectId?: string | null; data?: Record<string, unknown> }): Promise<unknown>;
}

export interface LogoutDeliveryDeps {
  store: Store;
  provider: Provider;
  audit: LogoutAudit;
  logger: Logger;
  now: () => number;
}

export interface LogoutRound {
  delivered: number;
  retrying: number;
  failed: number;
}

export interface LogoutDelivery {
  /** Delivers what is due now (the outbox's tick); rounds of one worker never overlap. */
  runOnce(): Promise<LogoutRound>;
  /** Polls every `intervalMs`: new rows, retries, rows other instances queued. */
  start(intervalMs: number): void;
  stop(): Promise<void>;
}

interface LogoutIdToken {
  mask: Record<string, unknown>;
  set(key: string, value: unknown): void;
  issue(opts: { use: 'logout' }): Promise<string>;
}

/** A logout token signed like the client's ID tokens: typ logout+jwt, iss, aud, iat, exp, jti, events, sub, sid. */
async function logoutToken(provider: Provider, client: unknown, l: PartnerLogout): Promise<string> {
  const IdToken = provider.IdToken as unknown as new (claims: Record<string, unknown>, opts: { client: unknown; ctx: undefined }) => LogoutIdToken;
  const token = new IdToken({ sub: l.sub }, { client, ctx: undefined });
  token.mask = { sub: null };
  token.set('events', { [BACKCHANNEL_LOGOUT_EVENT]: {} });
  token.set('jti', randomUUID());
  if (l.sid !== null) token.set('sid', l.sid);
  return token.issue({ use: 'logout' });
}

class GiveUp extends Error {}

async function post(uri: string, token: string): Promise<void> {
  const res = await fetch(uri, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ logout_token: token }),
    signal: AbortSignal.timeout(POST_TIMEOUT_MS),
  });
  await res.body?.cancel();
  // The specification's success is 200; 204 is what many partners answer and means the same.
  if (res.status !== 200 && res.status !== 204) throw new Error(`the partner answered ${res.status}`);
}

export function createLogoutDelivery(d: LogoutDeliveryDeps): LogoutDelivery {
  const owner = randomUUID();
  let running: Promise<LogoutRound> | null = null;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;

  async function deliver(l: PartnerLogout): Promise<void> {
    const client = await d.provider.Client.find(l.clientId);
    const uri = (client as { backchannelLogoutUri?: string } | undefined)?.backchannelLogoutUri;
    if (!client || !uri) throw new GiveUp('the app was deleted or no longer has a back-channel logout URI');
    await post(uri, await logoutToken(d.provider, client, l));
  }

  async function one(l: PartnerLogout, round: LogoutRound): Promise<void> {
    try {
      await deliver(l);
    } catch (err) {
      const giveUp = err instanceof GiveUp || l.attempts >= LOGOUT_MAX_ATTEMPTS;
      const reason = err instanceof Error ? (err.name === 'TimeoutError' ? 'no answer within 5 seconds' : err.message) : String(err);
      await d.store.logoutOutbox.markFailed(l.id, owner, reason, giveUp ? null : d.now() + logoutBackoffMs(l.attempts), d.now());
      const line = { logoutId: l.id, clientId: l.clientId, attempts: l.attempts, reason };
      if (!giveUp) {
        d.logger.warn(line, 'back-channel logout failed; it will be retried');
        round.retrying++;
        return;
      }
      d.logger.error(line, 'back-channel logout failed for good: gave up');
      await d.audit.record('backchannel_logout_failed', { subjectId: l.sub, data: { clientId: l.clientId, sid: l.sid, attempts: l.attempts, reason } });
      round.failed++;
      return;
    }
    await d.store.logoutOutbox.markDelivered(l.id, owner, d.now());
    round.delivered++;
  }

  async function round(): Promise<LogoutRound> {
    const result: LogoutRound = { delivered: 0, retrying: 0, failed: 0 };
    for (;;) {
      const batch = await d.store.logoutOutbox.claim(owner, d.now(), LOGOUT_LEASE_MS, BATCH);
      // One slow partner must not hold up the others' logouts.
      await Promise.all(batch.map((l) => one(l, result)));
      if (batch.length < BATCH) return result;
    }
  }

  async function runOnce(): Promise<LogoutRound> {
    while (running) await running.catch(() => null);
    running = round().finally(() => {
      running = null;
    });
    return running;
  }

  return {
    runOnce,
    start(intervalMs) {
      const tick = () => {
        if (stopped || running) return;
        runOnce().catch((err) => d.logger.warn({ err }, 'back-channel logout round failed'));
      };
      timer = setInterval(tick, intervalMs);
      timer.unref();
      tick();
    },
    async stop() {
      stopped = true;
      clearInterval(timer);
      while (running) await running.catch(() => null);
    },
  };
}

/**
 * oidc-provider's RP-initiated logout calls `client.backchannelLogout(sub, sid)` for each partner
 * of the ending session, and its own version posts at once and forgets; this one queues the
 * logout in the outbox instead, so /oauth/logout never waits for a partner.
 */
export function useOutboxForBackchannelLogout(provider: Provider, store: Store, now: () => number): void {
  const proto = provider.Client.prototype as unknown as { backchannelLogout(this: { clientId: string }, sub: string, sid: string | undefined): Promise<void> };
  proto.backchannelLogout = async function backchannelLogout(sub, sid) {
    await queuePartnerLogout(store, this.clientId, sub, sid ?? null, now());
  };
}
