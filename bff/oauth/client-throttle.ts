/**
 * Guessing a client secret at /oauth/token, /introspect or /revoke is slowed
 * down (RFC 6749 §2.3.1: the server MUST protect against brute force). Failed
 * client authentications are counted per client id (HTTP Basic) and per
 * address in the shared store, so the limit holds across instances; once over
 * it, those endpoints answer 429 with Retry-After before oidc-provider runs.
 */
import type { Request, Response, NextFunction } from 'express';
import type Provider from 'oidc-provider';
import type { Store } from '../store/store.ts';
import type { Logger } from '../http/logger.ts';

const PATHS = new Set(['/token', '/introspect', '/revoke']);
const PER_CLIENT = 20;
const PER_ADDRESS = 50;
const WINDOW_MS = 15 * 60_000;

function basicClientId(header: string | undefined): string | null {
  if (!header || !/^basic /i.test(header)) return null;
  try {
    const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
    const i = decoded.indexOf(':');
    return i > 0 ? decodeURIComponent(decoded.slice(0, i)) : null;
  } catch {
    return null;
  }
}

export function clientThrottle(deps: { store: Store; provider: Provider; logger: Logger; now: () => number }) {
  const { store, now } = deps;
  // Counted inside oidc-provider's own middleware chain, after it answered and before Koa writes
  // the answer, so the count is stored before the client hears its 401.
  deps.provider.use(async (ctx, next) => {
    await next();
    const body = ctx.body as { error?: string } | undefined;
    if (ctx.method !== 'POST' || ctx.status !== 401 || body?.error !== 'invalid_client') return;
    const oidc = (ctx as unknown as { oidc?: { client?: { clientId: string }; params?: Record<string, unknown> } }).oidc;
    const id = oidc?.client?.clientId ?? (typeof oidc?.params?.client_id === 'string' ? oidc.params.client_id : null) ?? basicClientId(ctx.get('authorization'));
    const t = now();
    try {
      await Promise.all([id ? store.throttle.hit(`oauth-client:${id}`, t, WINDOW_MS) : null, ctx.ip ? store.throttle.hit(`oauth-client-ip:${ctx.ip}`, t, WINDOW_MS) : null]);
    } catch (e) {
      deps.logger.warn({ err: e }, 'counting a failed client authentication failed');
    }
    deps.logger.warn({ clientId: id, ip: ctx.ip }, 'failed client authentication');
  });

  return async (req: Request, res: Response, next: NextFunction) => {
    if (req.method !== 'POST' || !PATHS.has(req.path)) return next();
    const t = now();
    const id = basicClientId(req.get('authorization'));
    const [key, limit] = id ? [`oauth-client:${id}`, PER_CLIENT] : [`oauth-client-ip:${req.ip}`, PER_ADDRESS];
    const state = await store.throttle.peek(key, t);
    if (state && state.count >= limit && state.resetAt > t) {
      res.setHeader('Retry-After', String(Math.ceil((state.resetAt - t) / 1000)));
      res.setHeader('Cache-Control', 'no-store');
      res.status(429).json({ error: 'invalid_client', error_description: 'too many failed client authentications; retry later' });
      return;
    }
    next();
  };
}
