/**
 * The BFF's entry into an upstream provider: a full-page navigation (the BFF
 * answers with a redirect to the provider), never a fetch.
 */
export function federationStartUrl(connectionId: string, uid: string, loginHint?: string): string {
  const q = new URLSearchParams({ uid });
  if (loginHint) q.set('login_hint', loginHint);
  return `/bff/federation/${encodeURIComponent(connectionId)}/start?${q.toString()}`;
}
