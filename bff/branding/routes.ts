/**
 * Branding: /branding.css (the primary colour as CSS variables, linked by the
 * SPA and the server-rendered pages), GET /bff/branding for what the screens
 * show, and the console's GET/PUT /bff/admin/branding (admins, audited).
 */
import express, { Router, type RequestHandler } from 'express';
import type { Store } from '../store/store.ts';
import { z } from 'zod';
import type { SessionDeps } from '../session/guard.ts';
import { requireAdmin } from '../session/guard.ts';
import { parse } from '../http/validate.ts';
import { badRequest, conflict } from '../http/errors.ts';
import { clientIp } from '../http/security.ts';
import { emailProblem, normaliseEmail } from '../accounts/email.ts';
import { guardedFetch } from '../federation/egress.ts';
import { brandingCss, DEFAULT_BRANDING, type BrandingService } from './branding.ts';
import { LOGO_MAX_BYTES, LOGO_PATH, keepLogo, readLogo, retireLogo, storeLogo } from './logo.ts';
import { isHexColour, primaryContrast } from '../../api/colour.ts';

const IMAGE_TYPES = /^image\/(png|jpeg|gif|webp|svg\+xml|avif)\s*(;|$)/i;

const input = z.object({
  portalName: z.string().max(60),
  logoUrl: z.string().max(2000).nullable(),
  primaryColour: z.string().max(7),
  supportEmail: z.string().max(320).nullable(),
  updatedAt: z.number().int().nonnegative(),
});

/**
 * GET /branding/logo/<hash>.<ext>: an uploaded logo. The address is its content hash, so it is
 * cached for a year; nosniff and a sandboxing CSP keep it an image whatever a browser guesses.
 */
export function brandingLogoRoute(store: Store): RequestHandler {
  const cache = new Map<string, { type: string; data: Buffer }>();
  return async (req, res) => {
    const logo = cache.get(req.path) ?? (await readLogo(store, req.path));
    res.setHeader('X-Content-Type-Options', 'nosniff');
    if (!logo) {
      res.status(404).type('text').send('No such logo.');
      return;
    }
    if (cache.size < 20) cache.set(req.path, logo);
    res.setHeader('Cache-Control', 'public, max-age=31536000, immutable');
    res.setHeader('Content-Security-Policy', "default-src 'none'; sandbox");
    res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
    res.type(logo.type).send(logo.data);
  };
}

/** GET /branding.css: cheap to revalidate (an ETag of the version), so a change shows on the next page load. */
export function brandingCssRoute(branding: BrandingService): RequestHandler {
  return async (req, res) => {
    const b = await branding.get();
    const etag = `"b${b.updatedAt}-${b.primaryColour.slice(1)}"`;
    res.setHeader('Cache-Control', 'no-cache');
    res.setHeader('ETag', etag);
    if (req.get('if-none-match') === etag) {
      res.status(304).end();
      return;
    }
    res.type('css').send(brandingCss(b));
  };
}

export function brandingRoutes(deps: SessionDeps, branding: BrandingService): Router {
  const r = Router();
  const fetchLogo = guardedFetch(deps.config.federationAllowPrivate);

  r.get('/branding', async (_req, res) => {
    const { portalName, logoUrl, supportEmail } = await branding.get();
    res.json({ portalName, logoUrl, supportEmail });
  });

  // The image itself as the body (not JSON); the admin then saves the address it answers as logoUrl.
  r.put('/admin/branding/logo', express.raw({ type: () => true, limit: LOGO_MAX_BYTES }), async (req, res) => {
    const { user } = await requireAdmin(deps, req, res);
    const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    const logo = await storeLogo(deps.store, body, req.get('content-type') ?? '', deps.now());
    await deps.audit.record('branding_logo_uploaded', {
      actorId: user.id,
      ip: clientIp(req),
      userAgent: req.get('user-agent') ?? null,
      data: { url: logo.url, type: logo.type, bytes: logo.bytes },
    });
    res.status(201).json({ logoUrl: logo.url });
  });

  r.get('/admin/branding', async (req, res) => {
    await requireAdmin(deps, req, res);
    res.json({ branding: await branding.get(), defaults: DEFAULT_BRANDING });
  });

  r.put('/admin/branding', async (req, res) => {
    const { user } = await requireAdmin(deps, req, res);
    const b = parse(input, req.body);
    const fields: Record<string, string> = {};
    const portalName = b.portalName.trim();
    if (!portalName || /[\u0000-\u001f\u007f]/.test(portalName)) fields.portalName = 'A name of 1 to 60 characters is required.';
    const colour = b.primaryColour.trim().toLowerCase();
    if (!isHexColour(colour)) fields.primaryColour = 'A colour is # and six hex digits, like #2446c7.';
    else {
      const weak = primaryContrast(colour).filter((c) => !c.ok);
      if (weak.length)
        fields.primaryColour = `Too little contrast for WCAG AA (4.5:1): ${weak.map((c) => `${c.label.toLowerCase()} is ${c.ratio}:1`).join('; ')}. Pick a darker colour.`;
    }
    const supportEmail = b.supportEmail?.trim() ? normaliseEmail(b.supportEmail) : null;
    if (supportEmail && emailProblem(supportEmail)) fields.supportEmail = emailProblem(supportEmail)!;
    const logoUrl = b.logoUrl?.trim() || null;
    const uploaded = logoUrl !== null && LOGO_PATH.test(logoUrl);
    if (logoUrl && !uploaded && !/^https:\/\/[^\s]+$/i.test(logoUrl)) fields.logoUrl = 'The logo must be an https:// address or an uploaded image.';
    if (Object.keys(fields).length) throw badRequest('invalid_branding', Object.values(fields)[0]!, fields);
    if (uploaded && !(await readLogo(deps.store, logoUrl)))
      throw badRequest('logo_not_found', 'That uploaded logo is not on this portal. Upload it again.', { logoUrl: 'Upload the image again.' });
    if (logoUrl && !uploaded) await checkLogo(logoUrl);

    const before = await branding.get();
    const saved = await branding.save({ portalName, logoUrl, primaryColour: colour, supportEmail }, b.updatedAt, deps.now());
    if (!saved) throw conflict('stale_page', 'Another administrator changed the branding since you opened this page. Reload to see it, then try again.');
    if (uploaded) await keepLogo(deps.store, logoUrl);
    if (before.logoUrl && before.logoUrl !== logoUrl && LOGO_PATH.test(before.logoUrl)) await retireLogo(deps.store, before.logoUrl, deps.now());
    await deps.audit.record('branding_changed', {
      actorId: user.id,
      ip: clientIp(req),
      userAgent: req.get('user-agent') ?? null,
      data: { from: { ...before }, to: { ...saved } },
    });
    res.json({ branding: saved });
  });

  /** The address must answer 200 with an image type, through the same egress guard as federation (no internal addresses). */
  async function checkLogo(url: string): Promise<void> {
    const answer = await fetchLogo(url).catch(() => {
      throw badRequest('logo_unreachable', 'The logo address could not be reached from the portal.', { logoUrl: 'Could not be reached.' });
    });
    const { status } = answer;
    const type = answer.headers.get('content-type') ?? '';
    if (status !== 200 || !IMAGE_TYPES.test(type)) {
      throw badRequest('logo_not_image', `The logo address did not answer with an image (status ${status}${type ? `, ${type.split(';')[0]}` : ''}).`, {
        logoUrl: 'Not an image.',
      });
    }
  }

  return r;
}
