/**
 * The few HTML pages oidc-provider renders itself (errors that must not
 * redirect, the logout confirmation). Every reflected value is escaped.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

export function escapeHtml(s: unknown): string {
  return String(s ?? '').replace(/[&<>"'`]/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * A whole page in the SPA's frame: the same top bar (the brand leads home), a
 * skip link, and the body in a card, styled by /oauth-pages.css (a file: the
 * CSP allows no inline style or script).
 */
export function htmlPage(title: string, body: string): string {
  const { portalName, logoUrl, supportEmail } = brandOfRequest.getStore() ?? DEFAULT_PAGE_BRAND;
  const name = escapeHtml(portalName);
  const brand = logoUrl
    ? `<a class="topbar__brand topbar__brand--logo" href="/"><img class="topbar__logo" src="${escapeHtml(logoUrl)}" alt="">${name}</a>`
    : `<a class="topbar__brand" href="/">${name}</a>`;
  const help = supportEmail ? `<p class="support">Need help? Write to <a href="mailto:${escapeHtml(supportEmail)}">${escapeHtml(supportEmail)}</a>.</p>` : '';
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><meta name="color-scheme" content="light"><title>${escapeHtml(title)} · ${name}</title><link rel="stylesheet" href="/oauth-pages.css"><link rel="stylesheet" href="/branding.css"></head><body><a class="skip-link" href="#main">Skip to content</a><header class="topbar">${brand}</header><main id="main" class="main"><div class="card">${body}${help}</div></main></body></html>`;
}

/** The portal's name, logo and support address as these pages show them. */
export interface PageBrand {
  portalName: string;
  logoUrl: string | null;
  supportEmail: string | null;
}

const DEFAULT_PAGE_BRAND: PageBrand = { portalName: 'Portal', logoUrl: null, supportEmail: null };
const brandOfRequest = new AsyncLocalStorage<PageBrand>();

/**
 * Middleware, first in the app: the branding these pages show for this request. The pages are
 * built synchronously deep inside oidc-provider and the edge guards, so the brand rides along
 * the request's async context instead of being passed to each page (or kept in a global, which
 * two apps in one process would share).
 */
export function pageBrandFor(current: () => PageBrand) {
  return (_req: unknown, _res: unknown, next: () => void): void => {
    const { portalName, logoUrl, supportEmail } = current();
    brandOfRequest.run({ portalName, logoUrl, supportEmail }, next);
  };
}

const FRIENDLY: Record<string, string> = {
  invalid_redirect_uri: 'The app that sent you here gave a return address that is not registered with the portal, so you were not sent back to it.',
  invalid_client: 'The app that sent you here is not registered with the portal.',
  invalid_request: 'The app that sent you here made a request the portal cannot accept.',
  access_denied: 'Access was denied.',
  login_required: 'You need to sign in first.',
  interaction_required: 'The sign-in could not be completed.',
  invalid_grant: 'This sign-in request has expired or was already used.',
  server_error: 'Something went wrong on our side. Please try again.',
  temporarily_unavailable: 'The portal cannot reach its database right now. Please try again in a moment.',
};

export function errorPage(code: string, description: string | undefined, publicUrl: string): string {
  // Own keys only: a code such as `constructor` must not find Object.prototype's function.
  const friendly = Object.hasOwn(FRIENDLY, code) ? FRIENDLY[code] : 'The sign-in request could not be completed.';
  const detail = (description ?? '').replace(/[\r\n\t]/g, ' ');
  return htmlPage(
    'Sign-in error',
    `<h1>We could not continue</h1><p>${escapeHtml(friendly)}</p><p class="muted">Error: <code>${escapeHtml(code)}</code>${detail ? ` — ${escapeHtml(detail)}` : ''}</p><p><a href="${escapeHtml(publicUrl)}/">Go to the portal</a></p>`,
  );
}

/** oidc-provider's description when RP-initiated logout names a return address the client did not register. */
export const UNREGISTERED_POST_LOGOUT = 'post_logout_redirect_uri not registered';

/** Sign-out asked to return to an address the app did not register: nothing happened, and the person is told so. */
export function unregisteredPostLogoutPage(uri: unknown, publicUrl: string): string {
  const where = typeof uri === 'string' && uri ? ` (<code>${escapeHtml(uri)}</code>)` : '';
  return htmlPage(
    'Sign-out error',
    `<h1>You were not signed out</h1><p>The app that sent you here asked to send you back to an address${where} that it has not registered with the portal for sign-out, so the portal did not sign you out or send you there.</p><p class="muted">The app's developers can ask the portal's administrator to register that address as a post-logout redirect URI.</p><p><a href="${escapeHtml(publicUrl)}/">Go to the portal</a></p>`,
  );
}

export function logoutPage(form: string, clientName: string | undefined): string {
  // `form` is oidc-provider's own hidden form (action + xsrf token); the buttons submit it.
  return htmlPage(
    'Sign out',
    `<h1>Sign out${clientName ? ` of ${escapeHtml(clientName)}` : ''}?</h1><p>Do you want to sign out of the portal?</p>${form}<div class="actions"><button type="submit" form="op.logoutForm" name="logout" value="yes" class="button button--primary">Yes, sign me out</button><button type="submit" form="op.logoutForm" class="button button--secondary">No, stay signed in</button></div>`,
  );
}

export function loggedOutPage(publicUrl: string): string {
  return htmlPage('Signed out', `<h1>You are signed out</h1><p><a href="${escapeHtml(publicUrl)}/">Back to the portal</a></p>`);
}

/**
 * The SPA's look (web/styles.css: its colours, font, top bar, card and
 * buttons), cut down to what these pages use. Kept in step by hand: the
 * values are copied, not imported, so the BFF needs no build of the SPA.
 */
export const PAGES_CSS = `:root{color-scheme:light;--font-sans:system-ui,-apple-system,'Segoe UI',Roboto,'Helvetica Neue',Arial,'Noto Sans',sans-serif;--font-mono:ui-monospace,'SFMono-Regular','Cascadia Mono',Menlo,Consolas,'Liberation Mono',monospace;--bg:#f4f6fb;--surface:#fff;--text:#17202e;--text-muted:#4a5568;--border:#d3d9e4;--border-strong:#8a94a6;--primary:#2446c7;--primary-hover:#1a3699;--focus:#0d2a8a;--radius:10px;--radius-small:6px;--shadow:0 1px 2px rgb(16 24 40 / 6%),0 4px 16px rgb(16 24 40 / 8%)}
*,*::before,*::after{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{margin:0;min-height:100vh;display:flex;flex-direction:column;background:var(--bg);color:var(--text);font-family:var(--font-sans);font-size:1rem;line-height:1.55;-webkit-font-smoothing:antialiased}
h1{font-size:1.6rem;line-height:1.25;margin:0 0 .5rem;text-wrap:balance}
p{margin:0 0 .75rem}p:last-child{margin-bottom:0}
a{color:var(--primary);text-underline-offset:.15em}a:hover{color:var(--primary-hover)}
code{font-family:var(--font-mono);font-size:.875em;overflow-wrap:anywhere}
:focus-visible{outline:3px solid var(--focus);outline-offset:2px}
.skip-link{position:absolute;left:1rem;top:-3rem;z-index:10;padding:.5rem 1rem;background:var(--surface);border-radius:var(--radius-small)}
.skip-link:focus{top:.5rem;box-shadow:var(--shadow)}
.topbar{display:flex;align-items:center;gap:1rem;padding:.75rem clamp(1rem,4vw,2rem);background:var(--surface);border-bottom:1px solid var(--border)}
.topbar__brand{font-weight:700;font-size:1.15rem;color:var(--text);text-decoration:none;letter-spacing:-.01em}
.topbar__brand:hover{color:var(--text)}
.topbar__brand--logo::before{display:none}
.topbar__logo{height:1.75rem;width:auto;max-width:8rem;margin-right:.5rem;vertical-align:middle;object-fit:contain}
.support{margin:1.25rem 0 0;font-size:.9rem;color:var(--text-muted)}
.topbar__brand::before{content:'';display:inline-block;width:1.1rem;height:1.1rem;margin-right:.5rem;vertical-align:-.15rem;border-radius:4px;background:var(--primary)}
.main{flex:1;display:flex;flex-direction:column;justify-content:center;width:100%;max-width:29rem;min-height:60vh;margin:0 auto;padding:clamp(1rem,4vw,2.5rem) clamp(1rem,4vw,2rem) 3rem}
.card{background:var(--surface);border:1px solid var(--border);border-radius:var(--radius);box-shadow:var(--shadow);padding:clamp(1.25rem,4vw,2rem);overflow-wrap:anywhere}
.muted{color:var(--text-muted);font-size:.925rem}
.actions{display:flex;flex-wrap:wrap;gap:.75rem;margin-top:1.25rem}
.button{display:inline-flex;align-items:center;justify-content:center;min-height:2.75rem;padding:.55rem 1.1rem;border:1px solid transparent;border-radius:var(--radius-small);font:inherit;font-weight:600;line-height:1.2;cursor:pointer}
.button--primary{background:var(--primary);color:#fff}.button--primary:hover{background:var(--primary-hover)}
.button--secondary{background:var(--surface);color:var(--text);border-color:var(--border-strong)}.button--secondary:hover{background:var(--bg)}
@media (max-width:24rem){.actions .button{width:100%}}`;
