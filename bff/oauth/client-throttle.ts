/**
 * Guessing a client secret is slowed down (RFC 6749 §2.3.1: the server MUST
 * protect against brute force) at /oauth/token, /introspect and /revoke, and
 * at the WorkOS and SaG doors, all on the same counters in the shared store.
 *
 * Failures count per (client, source address) and per address, never per
 * client alone: a stranger failing for a client id slows only their own
 * address, so nobody can lock out a partner, or the portal's own `portal-bff`
 * client and with it every sign-in (docs/decisions/0006-throttling.md). A
 * request presenting the client's correct secret is never refused by the
 * throttle, even from a throttled address (a shared NAT, or a proxy that was
 * not declared in TRUST_PROXY); a throttled source gets 429 + Retry-After for
 * every request that fails client authentication. Nothing is read or counted
 * for a request that authenticates (decision 0021).
 */
import type Provider from 'oidc-provider';
import type { Store } from '../store/store.ts';
import type { Logger } from '../http/logger.ts';

const PATHS = new Set(['/token', '/introspect', '/revoke']);
/** Failed client authentications from one address for one client, per window. */
export const CLIENT_FAILURES_PER_SOURCE = 20;
/** Failed client authentications from one address for any clients, per window. */
export const CLIENT_FAILURES_PER_ADDRESS = 50;
const WINDOW_MS = 15 * 60_000;

const sourceKey = (clientId: string, ip: string) => `oauth-client:${clientId}|${ip}`;
const addressKey = (ip: string) => `oauth-client-ip:${ip}`;

type Counted = { count: number; resetAt: number } | null;

function wait(pairs: Array<[Counted, number]>, now: number): number | null {
  let until = 0;
  for (const [s, limit] of pairs) if (s && s.count > limit && s.resetAt > now) until = Math.max(until, s.resetAt);
  return until ? Math.max(1, Math.ceil((until - now) / 1000)) : null;
}

/**
 * Seconds this source must wait before a failing client authentication is
 * answered again (null: not throttled). Without an address nothing is keyed.
 */
export async function clientAuthBlocked(store: Store, clientId: string | null, ip: string | null, now: number): Promise<number | null> {
  if (!ip) return null;
  const [source, address] = await Promise.all([clientId ? store.throttle.peek(sourceKey(clientId, ip), now) : null, store.throttle.peek(addressKey(ip), now)]);
  // peek reports the failures so far: at the limit, the next one would be over it.
  return wait(
    [
      [source, CLIENT_FAILURES_PER_SOURCE - 1],
      [address, CLIENT_FAILURES_PER_ADDRESS - 1],
    ],
    now,
  );
}

/** Counts one failed client authentication; returns seconds to wait when the source is now over a limit, else null. */
export async function clientAuthFailed(store: Store, clientId: string | null, ip: string | null, now: number): Promise<number | null> {
  if (!ip) return null;
  const [source, address] = await Promise.all([
    clientId ? store.throttle.hit(sourceKey(clientId, ip), now, WINDOW_MS) : null,
    store.throttle.hit(addressKey(ip), now, WINDOW_MS),
  ]);
  return wait(
    [
      [source, CLIENT_FAILURES_PER_SOURCE],
      [address, CLIENT_FAILURES_PER_ADDRESS],
    ],
    now,
  );
}

function basicCredentials(header: string | undefined): { id: string; secret: string } | null {
  if (!header || !/^basic /i.test(header)) return null;
  try {
    const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
    const i = decoded.indexOf(':');
    return i > 0 ? { id: decodeURIComponent(decoded.slice(0, i)), secret: decodeURIComponent(decoded.slice(i + 1)) } : null;
  } catch {
    return null;
  }
}

export function clientThrottle(deps: { store: Store; provider: Provider; logger: Logger; now: () => number }): void {
  const { store, now } = deps;
  // Inside oidc-provider's own middleware chain, after it answered and before Koa writes the
  // answer: only a failed client authentication reads or counts anything, so a request that
  // authenticates (the owner, whatever its address) costs the throttle nothing, and the count is
  // stored before the client hears its 401. ctx.ip honours TRUST_PROXY like Express's req.ip
  // (provider.ts sets maxIpsCount).
  deps.provider.use(async (ctx, next) => {
    await next();
    const body = ctx.body as { error?: string } | undefined;
    if (ctx.method !== 'POST' || ctx.status !== 401 || body?.error !== 'invalid_client') return;
    const oidc = (ctx as unknown as { oidc?: { client?: { clientId: string }; params?: Record<string, unknown> } }).oidc;
    const id =
      oidc?.client?.clientId ??
      (typeof oidc?.params?.client_id === 'string' ? oidc.params.client_id : null) ??
      basicCredentials(ctx.get('authorization'))?.id ??
      null;
    const ip = ctx.ip || null;
    try {
      const retryAfter = PATHS.has(ctx.path) ? await clientAuthBlocked(store, id, ip, now()) : null;
      if (retryAfter !== null) {
        // Over a limit: refused, and not counted again. A right secret never gets here (it does
        // not fail client authentication), so the owner is never refused.
        ctx.status = 429;
        ctx.remove('WWW-Authenticate');
        ctx.set('Retry-After', String(retryAfter));
        ctx.set('Cache-Control', 'no-store');
        ctx.body = { error: 'invalid_client', error_description: 'too many failed client authentications; retry later' };
        return;
      }
      await clientAuthFailed(store, id, ip, now());
    } catch (e) {
      deps.logger.warn({ err: e }, 'counting a failed client authentication failed');
    }
    deps.logger.warn({ clientId: id, ip: ctx.ip }, 'failed client authentication');
  });
}
