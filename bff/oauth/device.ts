/**
 * The device authorization grant (RFC 8628, oidc-provider's deviceFlow),
 * with the person's side in the SPA (/device) instead of oidc-provider's own
 * HTML: the verification URI redirects there, and the BFF (sign-in/device-routes.ts)
 * finds the device code by its user code and completes it through
 * oidc-provider's DeviceCode and Grant models, as its own interaction would:
 * account, grant, scope on approval; `access_denied` on denial. The device's
 * polling stays oidc-provider's (authorization_pending, expired_token,
 * access_denied); polling faster than the interval gets `slow_down` here.
 */
import { createHash } from 'node:crypto';
import { errors, type Configuration, type KoaContextWithOIDC } from 'oidc-provider';
import type { Store } from '../store/store.ts';

export const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';
/** RFC 8628 §3.2: the device waits this long between polls when the response names no interval. */
export const POLL_INTERVAL_SECONDS = 5;
/** User codes: eight consonants (no vowels, so no words), shown as XXXX-XXXX. */
const CHARSET = 'BCDFGHJKLMNPQRSTVWXZ';

/** The user code as stored: upper case, without the dash or spaces people type. */
export function normalizeUserCode(input: string): string {
  return input.toUpperCase().replace(/[^A-Z]/g, '');
}

export function looksLikeUserCode(normalized: string): boolean {
  return normalized.length === 8 && [...normalized].every((c) => CHARSET.includes(c));
}

/** oidc-provider's deviceFlow feature: its pages are never shown, the SPA's /device is (deviceEntry). */
export function deviceFlowFeature(publicUrl: string): NonNullable<Configuration['features']>['deviceFlow'] {
  const toSpa = async (ctx: KoaContextWithOIDC) => {
    ctx.redirect(`${publicUrl}/device`);
  };
  return { enabled: true, charset: 'base-20', mask: '****-****', userCodeInputSource: toSpa, userCodeConfirmSource: toSpa, successSource: toSpa };
}

type Next = () => Promise<unknown>;

/**
 * Koa middleware: the verification URI (and verification_uri_complete) open the SPA's /device
 * screen. The provider's own resume step (`GET /device/:uid`) is never used (the BFF approves the
 * device code itself), so a GET (or HEAD) below /device is answered here: left to the provider, an unknown
 * uid (or `/device/auth`, the POST-only endpoint) failed inside its session handling with a 500.
 */
export function deviceEntry(publicUrl: string) {
  return async (ctx: KoaContextWithOIDC, next: Next) => {
    const read = ctx.method === 'GET' || ctx.method === 'HEAD';
    if (read && ctx.path.startsWith('/device/')) {
      const post = ctx.path === '/device/auth';
      ctx.status = post ? 405 : 404;
      if (post) ctx.set('Allow', 'POST, OPTIONS');
      ctx.set('Cache-Control', 'no-store');
      ctx.body = {
        error: 'invalid_request',
        error_description: post ? 'The device authorization endpoint takes POST.' : `Nothing here: people confirm a device's code at ${publicUrl}/device.`,
      };
      return;
    }
    if (!read || ctx.path !== '/device') return next();
    const code = typeof ctx.query.user_code === 'string' ? normalizeUserCode(ctx.query.user_code) : '';
    ctx.status = 303;
    ctx.redirect(`${publicUrl}/device${looksLikeUserCode(code) ? `?user_code=${code.slice(0, 4)}-${code.slice(4)}` : ''}`);
  };
}

/**
 * Called when the token endpoint loads a device code: a second poll within the interval is
 * `slow_down` (RFC 8628 §3.5), counted in the shared store so every instance agrees.
 */
export async function refuseFastPolling(store: Store, deviceCodeId: string, now: number): Promise<void> {
  const key = `device-poll:${createHash('sha256').update(deviceCodeId).digest('base64url')}`;
  const { count } = await store.throttle.hit(key, now, POLL_INTERVAL_SECONDS * 1000);
  if (count > 1) throw new errors.SlowDown();
}
