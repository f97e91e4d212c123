/**
 * The portal's name, logo and support address, as the BFF wrote them into index.html
 * (`<meta name="portal-branding">`, bff/branding/branding.ts): read once on start, so the
 * first paint of every screen, the sign-in screen included, has them without another request.
 * Without the tag (the dev server, tests) the defaults stand.
 */
export interface PageBranding {
  portalName: string;
  logoUrl: string | null;
  supportEmail: string | null;
}

export const DEFAULT_PAGE_BRANDING: PageBranding = { portalName: 'Portal', logoUrl: null, supportEmail: null };

let read: PageBranding | undefined;

export function pageBranding(): PageBranding {
  if (read) return read;
  const content = typeof document === 'undefined' ? null : document.querySelector('meta[name="portal-branding"]')?.getAttribute('content');
  try {
    const b = content ? (JSON.parse(content) as Partial<PageBranding>) : {};
    read = {
      portalName: typeof b.portalName === 'string' && b.portalName ? b.portalName : DEFAULT_PAGE_BRANDING.portalName,
      // Only the portal's own path or an https address: the tag is ours, but a logo is an image request.
      logoUrl: typeof b.logoUrl === 'string' && /^(https:\/\/|\/)/.test(b.logoUrl) ? b.logoUrl : null,
      supportEmail: typeof b.supportEmail === 'string' && b.supportEmail ? b.supportEmail : null,
    };
  } catch {
    read = DEFAULT_PAGE_BRANDING;
  }
  return read;
}
