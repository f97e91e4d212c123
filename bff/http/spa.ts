/**
 * Serves the built SPA: hashed assets cached for a year, index.html for every
 * client-side route, and the brotli / gzip copies the build wrote next to each
 * text file (vite.config.ts) when the browser accepts them.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { extname, resolve } from 'node:path';
import express, { type Express, type NextFunction, type Request, type RequestHandler, type Response } from 'express';

/** The text types the build precompresses (vite.config.ts `precompress`), with the type of the original. */
const COMPRESSIBLE: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.html': 'text/html; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.json': 'application/json; charset=utf-8',
};

const ENCODINGS = [
  { name: 'br', suffix: '.br' },
  { name: 'gzip', suffix: '.gz' },
] as const;

/** The best encoding the client takes and the build wrote a copy of `file` in, or undefined. */
function encodingFor(req: Request, file: string): (typeof ENCODINGS)[number] | undefined {
  return ENCODINGS.find((e) => req.acceptsEncodings(e.name) === e.name && existsSync(file + e.suffix));
}

function markEncoded(res: Response, type: string, encoding: string): void {
  res.setHeader('Content-Type', type);
  res.setHeader('Content-Encoding', encoding);
}

/**
 * Points a request for a compressible file at its precompressed copy when the
 * client takes that encoding; the static server then sends it with the
 * original's type. `Vary` goes on every answer, compressed or not, so a shared
 * cache never hands brotli to a client that did not ask for it.
 */
function precompressed(dir: string): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return next();
    const type = COMPRESSIBLE[extname(req.path)];
    if (!type) return next();
    res.vary('Accept-Encoding');
    let file: string;
    try {
      file = resolve(dir, `.${decodeURIComponent(req.path)}`);
    } catch {
      return next(); // a malformed escape: the static server answers it
    }
    // resolve() has normalised any "..": a path outside dir is left to the static server to refuse.
    const encoding = file.startsWith(`${dir}/`) ? encodingFor(req, file) : undefined;
    if (!encoding) return next();
    markEncoded(res, type, encoding.name);
    req.url = `${req.path}${encoding.suffix}${req.url.slice(req.path.length)}`;
    next();
  };
}

/**
 * Mounts the SPA on `app`: call it after every API router, before the error handler. With
 * `personalise`, index.html is sent as it returns it (the branding, read per request so a change
 * shows on the next page load), uncompressed: it is under 2 KB.
 */
export function mountSpa(app: Express, dir: string, headers: RequestHandler, personalise?: (html: string) => Promise<string>): void {
  const root = resolve(dir);
  const assets = resolve(root, 'assets');
  const index = resolve(root, 'index.html');
  app.use(headers);
  app.use('/assets', precompressed(assets), express.static(assets, { immutable: true, maxAge: '365d', fallthrough: false }));
  app.use(precompressed(root), express.static(root, { index: false, maxAge: '1h' }));
  // Read once: the build does not change under a running process.
  let template: Promise<string> | undefined;
  app.get(/^\/(?!bff\/|oauth\/|healthz).*/, (req, res, next) => {
    if (!req.accepts('html')) return next();
    if (!existsSync(index)) {
      res.status(503).type('text').send('The web app has not been built. Run `npm run build` (npm start does it for you).');
      return;
    }
    res.setHeader('Cache-Control', 'no-cache');
    res.vary('Accept-Encoding');
    if (personalise) {
      template ??= readFile(index, 'utf8');
      template.then(personalise).then((html) => res.type('html').send(html), next);
      return;
    }
    const encoding = encodingFor(req, index);
    if (encoding) {
      markEncoded(res, COMPRESSIBLE['.html']!, encoding.name);
      res.sendFile(index + encoding.suffix);
      return;
    }
    res.sendFile(index);
  });
}
