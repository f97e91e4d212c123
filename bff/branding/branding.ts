/**
 * The portal's branding (name, logo, primary colour, support email), kept in
 * the Store's settings and cached per process. A save clears this process's
 * cache at once and tells the others through store.events (PostgreSQL
 * NOTIFY); should a notification be lost, the cache lives at most
 * BRANDING_TTL_MS, so every instance shows a change within that time.
 */
import type { Store } from '../store/store.ts';
import type { Logger } from '../http/logger.ts';
import { shade, tint } from '../../api/colour.ts';

export interface Branding {
  portalName: string;
  /** https URL of an image, or null for the name alone. */
  logoUrl: string | null;
  /** #rrggbb */
  primaryColour: string;
  supportEmail: string | null;
  /** Version for the console's stale-page check; 0 while nothing was saved. */
  updatedAt: number;
}

export const DEFAULT_BRANDING: Branding = { portalName: 'Portal', logoUrl: null, primaryColour: '#2446c7', supportEmail: null, updatedAt: 0 };

export const BRANDING_TTL_MS = 30_000;
const KEY = 'branding';
const CHANNEL = 'portal_branding';

export interface BrandingService {
  get(): Promise<Branding>;
  /**
   * The newest value this process has read, at once: for what cannot wait on the Store (a mail's
   * subject and sender, the server-rendered pages). A stale one is refreshed in the background.
   */
  current(): Branding;
  /** Saves only while the stored version is still `expectedUpdatedAt`; false when another admin saved first. */
  save(b: Omit<Branding, 'updatedAt'>, expectedUpdatedAt: number, now: number): Promise<Branding | null>;
}

function parse(raw: string | null): Branding {
  if (!raw) return DEFAULT_BRANDING;
  try {
    return { ...DEFAULT_BRANDING, ...(JSON.parse(raw) as Partial<Branding>) };
  } catch {
    return DEFAULT_BRANDING;
  }
}

export function createBranding(store: Store, logger: Logger, now: () => number): BrandingService {
  let cached: { value: Branding; raw: string | null; until: number } | null = null;
  let last = DEFAULT_BRANDING;
  let refreshing: Promise<unknown> | null = null;
  store.events.subscribe(CHANNEL, () => {
    cached = null;
    refresh();
  });
  async function read() {
    if (cached && cached.until > now()) return cached;
    const raw = await store.settings.get(KEY);
    cached = { value: parse(raw), raw, until: now() + BRANDING_TTL_MS };
    last = cached.value;
    return cached;
  }
  function refresh(): void {
    refreshing ??= read()
      .catch((err) => logger.warn({ err }, 'reading the branding failed; keeping the last one'))
      .finally(() => {
        refreshing = null;
      });
  }
  refresh();
  return {
    async get() {
      return (await read()).value;
    },
    current() {
      if (!cached || cached.until <= now()) refresh();
      return last;
    },
    async save(b, expectedUpdatedAt, at) {
      cached = null;
      const current = await read();
      if (current.value.updatedAt !== expectedUpdatedAt) return null;
      const next: Branding = { ...b, updatedAt: Math.max(at, expectedUpdatedAt + 1) };
      const raw = JSON.stringify(next);
      // Compare-and-set on the stored text: of two admins saving at once, one wins.
      if (current.raw === null) {
        if ((await store.settings.get(KEY)) !== null) return null;
        await store.settings.set(KEY, raw);
      } else if (!(await store.settings.takeIf(KEY, current.raw))) {
        return null;
      } else {
        await store.settings.set(KEY, raw);
      }
      cached = { value: next, raw, until: now() + BRANDING_TTL_MS };
      last = next;
      store.events.publish(CHANNEL, String(next.updatedAt)).catch((err) => logger.warn({ err }, 'telling other instances about new branding failed'));
      return next;
    },
  };
}

/** The stylesheet every page links (/branding.css): the primary colour as the CSS variables styles.css uses (html:root outranks the :root it overrides, whatever the order of the links). */
export function brandingCss(b: Branding): string {
  const c = b.primaryColour;
  return `html:root{--primary:${c};--primary-hover:${shade(c, 0.8)};--primary-soft:${tint(c, 0.1)}}\n`;
}

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
const attr = (s: string) => s.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]!);

/** What every screen shows: the name, the logo and the support address (no colour, no version). */
export function publicBranding(b: Branding): { portalName: string; logoUrl: string | null; supportEmail: string | null } {
  return { portalName: b.portalName, logoUrl: b.logoUrl, supportEmail: b.supportEmail };
}

/**
 * The SPA's index.html with the branding in it: the title, and the name, logo and support address
 * as a meta tag the SPA reads on start (web/lib/branding.ts), so the first paint of the sign-in
 * screen has them without another request and without a script (CSP stays script-src 'self').
 * The logo is preloaded, as it is part of the first paint.
 */
export function brandIndexHtml(html: string, b: Branding): string {
  const meta = `<meta name="portal-branding" content="${attr(JSON.stringify(publicBranding(b)))}" />`;
  const preload = b.logoUrl ? `<link rel="preload" as="image" href="${attr(b.logoUrl)}" />` : '';
  return html.replace(/<title>[^<]*<\/title>/, `<title>${attr(b.portalName)}</title>`).replace('</head>', `${meta}${preload}</head>`);
}
