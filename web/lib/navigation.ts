/**
 * Full-page navigations (leaving the SPA: OAuth redirects, the BFF's login).
 * In-app moves use react-router instead.
 */
export function leaveTo(url: string): void {
  window.location.assign(url);
}

/** The BFF's login entry point, coming back to `returnTo` (an in-app path). */
export function loginUrl(returnTo?: string): string {
  if (returnTo === undefined) return '/bff/login';
  // Keep `/` readable (`?returnTo=/account`); everything else is escaped.
  return `/bff/login?returnTo=${encodeURIComponent(returnTo).replace(/%2F/gi, '/')}`;
}
