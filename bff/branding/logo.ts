/**
 * An uploaded logo: PNG, JPEG or WebP up to LOGO_MAX_BYTES, its type read from its first bytes
 * (never from what the browser claims alone), kept in the Store's settings under its content
 * hash and served at /branding/logo/<hash>.<ext>, so the address changes with the image and can
 * be cached for a year. SVG is refused: it can carry script and links, and sanitising it well is
 * a project of its own; a raster logo is enough for a top bar.
 */
import { createHash } from 'node:crypto';
import type { Store } from '../store/store.ts';
import { AppError } from '../http/errors.ts';

export const LOGO_MAX_BYTES = 256 * 1024;

const TYPES = {
  png: { type: 'image/png', sniff: (b: Buffer) => b.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) },
  jpg: { type: 'image/jpeg', sniff: (b: Buffer) => b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff },
  webp: { type: 'image/webp', sniff: (b: Buffer) => b.subarray(0, 4).toString('latin1') === 'RIFF' && b.subarray(8, 12).toString('latin1') === 'WEBP' },
} as const;

type Ext = keyof typeof TYPES;

const key = (hash: string) => `branding_logo:${hash}`;
/** Where an uploaded logo is served; the only local address a saved logoUrl may name. */
export const LOGO_PATH = /^\/branding\/logo\/([0-9a-f]{32})\.(png|jpg|webp)$/;

const unsupported = () =>
  new AppError('logo_type', 'The logo must be a PNG, JPEG or WebP image (SVG is not accepted: export it as PNG).', {
    status: 415,
    fields: { logo: 'Use a PNG, JPEG or WebP image.' },
  });

/**
 * An uploaded image lives a day unless the branding names it (`keepLogo`), so uploads never saved
 * and logos replaced since are swept from the Store (the settings sweep). A replaced logo gets the
 * same day (`retireLogo`): pages and mails sent before the change still show it meanwhile.
 */
export const LOGO_GRACE_MS = 24 * 60 * 60 * 1000;

/** Checks and stores the image (for a day, until the branding names it); returns the address to save as logoUrl. */
export async function storeLogo(store: Store, body: Buffer, declaredType: string, now: number): Promise<{ url: string; type: string; bytes: number }> {
  if (body.length === 0) throw new AppError('logo_empty', 'Choose an image file to upload.', { status: 400, fields: { logo: 'The file is empty.' } });
  const ext = (Object.keys(TYPES) as Ext[]).find((e) => TYPES[e].sniff(body));
  // The bytes decide; a declared type that disagrees (an SVG renamed .png) is refused too.
  if (!ext || TYPES[ext].type !== declaredType.split(';')[0]!.trim().toLowerCase()) throw unsupported();
  const hash = createHash('sha256').update(body).digest('hex').slice(0, 32);
  // Already there (the current logo, or an earlier upload): left as it is, its lifetime too.
  if ((await store.settings.get(key(hash))) === null)
    await store.settings.set(key(hash), JSON.stringify({ type: TYPES[ext].type, data: body.toString('base64') }), now + LOGO_GRACE_MS);
  return { url: `/branding/logo/${hash}.${ext}`, type: TYPES[ext].type, bytes: body.length };
}

/** The stored image an address names, or null. */
export async function readLogo(store: Store, path: string): Promise<{ type: string; data: Buffer } | null> {
  const m = LOGO_PATH.exec(path);
  if (!m) return null;
  const raw = await store.settings.get(key(m[1]!));
  if (!raw) return null;
  const { type, data } = JSON.parse(raw) as { type: string; data: string };
  // The extension must be the stored type's, so one image has one address.
  if (TYPES[m[2] as Ext].type !== type) return null;
  return { type, data: Buffer.from(data, 'base64') };
}

/** Re-stores the image an address names with the given lifetime (none: kept); false when it is not there. */
async function setLifetime(store: Store, path: string, expiresAt: number | undefined): Promise<boolean> {
  const m = LOGO_PATH.exec(path);
  if (!m) return false;
  const raw = await store.settings.get(key(m[1]!));
  if (raw === null) return false;
  await store.settings.set(key(m[1]!), raw, expiresAt);
  return true;
}

/** The branding now names this uploaded logo: it stays until replaced. */
export const keepLogo = (store: Store, path: string): Promise<boolean> => setLifetime(store, path, undefined);

/** The branding no longer names this uploaded logo: it is swept a day from now. */
export const retireLogo = (store: Store, path: string, now: number): Promise<boolean> => setLifetime(store, path, now + LOGO_GRACE_MS);
