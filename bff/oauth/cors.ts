/**
 * CORS for browser partners (single-page apps on their own origin), decision
 * 0018. oidc-provider answers CORS on discovery, JWKS, token, revocation and
 * introspection, and checks a client's own origin on client-authenticated
 * calls through `clientBasedCORS` (an origin of one of its redirect URIs). It
 * opens discovery, JWKS and every preflight to any origin; here those are
 * narrowed to the origins of registered partners' redirect URIs, so a page on
 * any other origin gets no `Access-Control-*` header at all. /oauth/userinfo
 * is answered by the portal (userinfo.ts) and applies the same rules itself.
 * The interaction and /bff routes never answer CORS.
 */
import type { Request, Response } from 'express';
import type { KoaContextWithOIDC } from 'oidc-provider';
import type { Store } from '../store/store.ts';

/** The origins a client's registered redirect URIs name. */
export function redirectOrigins(redirectUris: readonly string[] | undefined): Set<string> {
  const out = new Set<string>();
  for (const u of redirectUris ?? []) {
    try {
      out.add(new URL(u).origin);
    } catch {
      // Validated at registration; an unparsable one names no origin.
    }
  }
  return out;
}

/** Whether `origin` is the origin of a redirect URI of some registered partner (never the portal's own client). */
export async function isPartnerOrigin(store: Store, origin: string): Promise<boolean> {
  if (!origin || origin === 'null') return false;
  for (const c of await store.clients.list()) if (!c.firstParty && redirectOrigins(c.redirectUris).has(origin)) return true;
  return false;
}

/** Whether a partner (by client id) may be called from `origin`. */
export async function clientAllowsOrigin(store: Store, clientId: string, origin: string): Promise<boolean> {
  const c = await store.clients.find(clientId);
  return !!c && !c.firstParty && redirectOrigins(c.redirectUris).has(origin);
}

const CORS_HEADERS = [
  'access-control-allow-origin',
  'access-control-allow-methods',
  'access-control-allow-headers',
  'access-control-max-age',
  'access-control-expose-headers',
  'access-control-allow-credentials',
];

type Next = () => Promise<unknown>;

/**
 * Koa middleware inside the provider: after oidc-provider answered, a request
 * from a browser origin that no partner registered loses every CORS header
 * oidc-provider set (its open discovery/JWKS and its preflights). Requests
 * without an Origin (servers) are left as oidc-provider answers them.
 */
export function partnerCors(store: Store) {
  return async (ctx: KoaContextWithOIDC, next: Next) => {
    await next();
    const origin = ctx.get('Origin');
    if (!origin || !ctx.response.get('Access-Control-Allow-Origin')) return;
    if (await isPartnerOrigin(store, origin)) return;
    for (const h of CORS_HEADERS) ctx.remove(h);
    ctx.vary('Origin');
  };
}

/**
 * An Express preflight answer for an endpoint the portal serves itself: the
 * CORS headers only for a registered partner's origin, a bare 204 otherwise.
 */
export function preflight(store: Store, methods: string) {
  return async (req: Request, res: Response) => {
    res.vary('Origin');
    const origin = req.get('origin') ?? '';
    if (req.get('access-control-request-method') && (await isPartnerOrigin(store, origin))) {
      res.setHeader('Access-Control-Allow-Origin', origin);
      res.setHeader('Access-Control-Allow-Methods', methods);
      const asked = req.get('access-control-request-headers');
      if (asked) res.setHeader('Access-Control-Allow-Headers', asked);
      res.setHeader('Access-Control-Max-Age', '3600');
    }
    res.status(204).end();
  };
}
