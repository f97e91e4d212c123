/**
 * Serves the built SPA: hashed assets cached for a year, index.html for every
 * client-side route, and the brotli / gzip copies the build wrote next to each
 * text file (vite.config.ts) when the browser accepts them.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { brotliCompressSync, constants as zlib, gzipSync } from 'node:zlib';
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
 * Data a screen would otherwise fetch first, put in its HTML: for a page at `path` (an Express
 * route), `read` answers what the screen's API would answer this browser, or throws (then the page
 * goes out without it and the screen fetches as usual, getting that API's own error).
 */
export interface Embed {
  path: string;
  /** The id of the `<script type="application/json">` element the screen reads. */
  id: string;
  read: (req: Request, res: Response) => Promise<unknown>;
}

/**
 * JSON that is safe inside a `<script>` element: no `<` (so no `</script>` or `<!--`), `>`, `&`
 * or line separators survive as such; JSON.parse of the element's text gives the value back.
 */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** index.html, read once per build (its modification time), for pages that carry embedded data. */
function indexReader(index: string): () => string {
  let cached: { mtime: number; html: string } | undefined;
  return () => {
    const mtime = statSync(index).mtimeMs;
    if (cached?.mtime !== mtime) cached = { mtime, html: readFileSync(index, 'utf8') };
    return cached.html;
  };
}

/**
 * Sends `html` made for this request, compressed when the client takes it: `no-store` when it
 * carries one browser's data, `no-cache` when it only carries the branding (checked on every load).
 */
function sendPersonalHtml(req: Request, res: Response, html: string, cache: 'no-store' | 'no-cache' = 'no-store'): void {
  res.setHeader('Cache-Control', cache);
  res.vary('Accept-Encoding');
  res.type('html');
  const body = Buffer.from(html);
  if (req.acceptsEncodings('br') === 'br') {
    res.setHeader('Content-Encoding', 'br');
    res.send(brotliCompressSync(body, { params: { [zlib.BROTLI_PARAM_QUALITY]: 5, [zlib.BROTLI_PARAM_SIZE_HINT]: body.length } }));
  } else if (req.acceptsEncodings('gzip') === 'gzip') {
    res.setHeader('Content-Encoding', 'gzip');
    res.send(gzipSync(body));
  } else {
    res.send(body);
  }
}

export interface SpaOptions {
  /** Rewrites index.html for every page (the branding, read per request so a change shows on the next page load). */
  personalise?: (html: string) => Promise<string>;
  /** Pages whose first data comes inside their HTML. */
  embeds?: Embed[];
}

/** Mounts the SPA on `app`: call it after every API router, before the error handler. */
export function mountSpa(app: Express, dir: string, headers: RequestHandler, { personalise, embeds = [] }: SpaOptions = {}): void {
  const root = resolve(dir);
  const assets = resolve(root, 'assets');
  const index = resolve(root, 'index.html');
  app.use(headers);
  app.use('/assets', precompressed(assets), express.static(assets, { immutable: true, maxAge: '365d', fallthrough: false }));
  app.use(precompressed(root), express.static(root, { index: false, maxAge: '1h' }));
  const readIndex = indexReader(index);
  for (const embed of embeds) {
    app.get(embed.path, async (req, res, next) => {
      if (!req.accepts('html') || !existsSync(index)) return next();
      let data: unknown;
      try {
        data = await embed.read(req, res);
      } catch {
        return next(); // the plain page: the screen asks the API and shows its answer
      }
      const tag = `<script type="application/json" id="${embed.id}">${scriptJson(data)}</script>`;
      const html = personalise ? await personalise(readIndex()) : readIndex();
      sendPersonalHtml(req, res, html.replace('</head>', `${tag}\n  </head>`));
    });
  }
  app.get(/^\/(?!bff\/|oauth\/|healthz).*/, (req, res, next) => {
    if (!req.accepts('html')) return next();
    if (!existsSync(index)) {
      res.status(503).type('text').send('The web app has not been built. Run `npm run build` (npm start does it for you).');
      return;
    }
    res.setHeader('Cache-Control', 'no-cache');
    res.vary('Accept-Encoding');
    if (personalise) {
      personalise(readIndex()).then((html) => sendPersonalHtml(req, res, html, 'no-cache'), next);
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
