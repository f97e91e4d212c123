/**
 * The SPA server's edges, on bare Express apps over real HTTP and real files,
 * where mutation testing (docs/mutation.md) found them unchecked: each
 * precompressed type, HEAD and other methods, files of other types, escaped,
 * malformed and outside paths, query strings, the caching of assets, files and
 * pages, which paths get the page, the missing build, `personalise` (and its
 * failure), and the embedded data (its escaping, its tag, the page it falls
 * back to, no-store, and index.html re-read when the build changes).
 * spa.test.ts covers the common paths.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliCompressSync, brotliDecompressSync, gunzipSync, gzipSync } from 'node:zlib';
import express, { type Express } from 'express';
import { mountSpa, scriptJson, type SpaOptions } from './spa.ts';

const HTML = '<!doctype html><html><head><title>Portal</title></head><body><div id="root"></div></body></html>';
const T = { timeout: 20000 };

interface Got {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** Raw bytes and headers, without fetch's transparent decompression. */
function send(origin: string, path: string, opts: { method?: string; encoding?: string; accept?: string } = {}): Promise<Got> {
  return new Promise((resolveGet, reject) => {
    const headers: Record<string, string> = { accept: opts.accept ?? 'text/html,*/*' };
    if (opts.encoding !== undefined) headers['accept-encoding'] = opts.encoding;
    request(`${origin}${path}`, { method: opts.method ?? 'GET', headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolveGet({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    })
      .on('error', reject)
      .end();
  });
}

/** Writes `name`, and its brotli / gzip copies when asked, under `dir`. */
function put(dir: string, name: string, text: string, copies: Array<'br' | 'gz'> = []): void {
  writeFileSync(join(dir, name), text);
  if (copies.includes('br')) writeFileSync(join(dir, `${name}.br`), brotliCompressSync(text));
  if (copies.includes('gz')) writeFileSync(join(dir, `${name}.gz`), gzipSync(text));
}

async function serve(app: Express): Promise<{ origin: string; close: () => Promise<void> }> {
  const server = app.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  return {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise((r) => server.close(() => r())),
  };
}

/** A bare app with the SPA mounted on `root`, marking its answers so the headers middleware shows. */
function spaApp(root: string, options?: SpaOptions): Express {
  const app = express();
  mountSpa(app, root, (_req, res, next) => (res.setHeader('X-Spa-Headers', 'on'), next()), options);
  return app;
}

describe('SPA server: static files', () => {
  let base: string;
  let root: string;
  let origin: string;
  let close: () => Promise<void>;
  before(async () => {
    base = mkdtempSync(join(tmpdir(), 'portal-spa-m-'));
    root = join(base, 'root');
    mkdirSync(join(root, 'assets'), { recursive: true });
    mkdirSync(join(base, 'outside'));
    put(join(base, 'outside'), 'x.js', 'outside', ['gz']);
    for (const ext of ['js', 'css', 'svg', 'json', 'html']) put(join(root, 'assets'), `a.${ext}`, `asset ${ext}`, ['br', 'gz']);
    put(join(root, 'assets'), 'a b.js', 'spaced', ['br']);
    put(join(root, 'assets'), 'a.txt', 'text', ['br', 'gz']);
    put(root, 'top.js', 'top', ['gz']);
    put(root, 'index.html', HTML);
    ({ origin, close } = await serve(spaApp(root)));
  });
  after(async () => {
    await close();
    rmSync(base, { recursive: true, force: true });
  });

  it('each precompressed type goes out with its own type, in brotli and gzip', T, async () => {
    const types: Record<string, string> = {
      js: 'text/javascript; charset=utf-8',
      css: 'text/css; charset=utf-8',
      html: 'text/html; charset=utf-8',
      svg: 'image/svg+xml',
      json: 'application/json; charset=utf-8',
    };
    for (const [ext, type] of Object.entries(types)) {
      const br = await send(origin, `/assets/a.${ext}`, { encoding: 'br' });
      assert.deepEqual([br.status, br.headers['content-encoding'], br.headers['content-type'], br.headers.vary], [200, 'br', type, 'Accept-Encoding'], ext);
      assert.equal(brotliDecompressSync(br.body).toString(), `asset ${ext}`);
      const gz = await send(origin, `/assets/a.${ext}`, { encoding: 'gzip' });
      assert.deepEqual([gz.status, gz.headers['content-encoding'], gz.headers['content-type']], [200, 'gzip', type], ext);
      assert.equal(gunzipSync(gz.body).toString(), `asset ${ext}`);
    }
  });

  it('HEAD gets the compressed copy’s headers; other methods are not served and get no Vary', T, async () => {
    const head = await send(origin, '/assets/a.js', { method: 'HEAD', encoding: 'br' });
    assert.deepEqual([head.status, head.headers['content-encoding'], head.headers.vary, head.body.length], [200, 'br', 'Accept-Encoding', 0]);
    const post = await send(origin, '/assets/a.js', { method: 'POST', encoding: 'br' });
    assert.deepEqual([post.status, post.headers['content-encoding'], post.headers.vary, post.headers['x-spa-headers']], [405, undefined, undefined, 'on']);
  });

  it('a file of another type goes out as it is, even when a compressed copy exists, with no Vary', T, async () => {
    const res = await send(origin, '/assets/a.txt', { encoding: 'br, gzip' });
    assert.deepEqual([res.status, res.headers['content-encoding'], res.headers.vary, res.body.toString()], [200, undefined, undefined, 'text']);
  });

  it('finds the copy of a file whose name is escaped in the URL, and keeps the query string', T, async () => {
    const spaced = await send(origin, '/assets/a%20b.js', { encoding: 'br' });
    assert.deepEqual([spaced.status, spaced.headers['content-encoding']], [200, 'br']);
    assert.equal(brotliDecompressSync(spaced.body).toString(), 'spaced');
    const query = await send(origin, '/assets/a.js?v=1&x=%2F', { encoding: 'gzip' });
    assert.deepEqual([query.status, query.headers['content-encoding']], [200, 'gzip']);
    assert.equal(gunzipSync(query.body).toString(), 'asset js');
  });

  it('leaves a malformed escape to the static server (a 400 under /assets, the page elsewhere)', T, async () => {
    const asset = await send(origin, '/assets/%E0%A4%A.js', { encoding: 'br' });
    assert.deepEqual([asset.status, asset.headers['content-encoding']], [400, undefined]);
    const page = await send(origin, '/x%E0%A4%A.js', { encoding: 'identity' });
    assert.deepEqual([page.status, page.headers['content-encoding'], page.body.toString()], [200, undefined, HTML]);
  });

  it('never takes a compressed copy from outside the build', T, async () => {
    // resolve() of this path is <base>/outside/x.js, which has a .gz copy: it must not be used.
    const res = await send(origin, '/..%2Foutside/x.js', { encoding: 'gzip' });
    assert.deepEqual([res.status, res.headers['content-encoding'], res.body.toString()], [200, undefined, HTML]);
  });

  it('caches assets a year (immutable) and other files an hour; a missing asset is a 404', T, async () => {
    const asset = await send(origin, '/assets/a.txt');
    assert.equal(asset.headers['cache-control'], 'public, max-age=31536000, immutable');
    const file = await send(origin, '/top.js', { encoding: 'gzip' });
    assert.deepEqual([file.status, file.headers['content-encoding'], file.headers['cache-control']], [200, 'gzip', 'public, max-age=3600']);
    assert.equal(gunzipSync(file.body).toString(), 'top');
    const missing = await send(origin, '/assets/missing.js', { encoding: 'br' });
    assert.deepEqual([missing.status, missing.headers['content-encoding']], [404, undefined]);
  });
});

describe('SPA server: the page', () => {
  let root: string;
  let origin: string;
  let close: () => Promise<void>;
  before(async () => {
    root = mkdtempSync(join(tmpdir(), 'portal-spa-p-'));
    put(root, 'index.html', HTML, ['gz']);
    ({ origin, close } = await serve(spaApp(root)));
  });
  after(async () => {
    await close();
    rmSync(root, { recursive: true, force: true });
  });

  it('answers / and client-side routes with index.html, no-cache, gzip copy when taken', T, async () => {
    for (const path of ['/', '/account', '/bffx', '/oauthx', '/a/bff/b', '/x/healthz']) {
      const res = await send(origin, path, { encoding: 'gzip' });
      assert.deepEqual(
        [res.status, res.headers['content-encoding'], res.headers['content-type'], res.headers['cache-control'], res.headers.vary],
        [200, 'gzip', 'text/html; charset=utf-8', 'no-cache', 'Accept-Encoding'],
        path,
      );
      assert.equal(gunzipSync(res.body).toString(), HTML, path);
    }
    const plain = await send(origin, '/account', { encoding: 'br' });
    assert.deepEqual([plain.status, plain.headers['content-encoding'], plain.body.toString()], [200, undefined, HTML]);
  });

  it('never answers the API, OAuth and health paths, nor a client that does not take HTML', T, async () => {
    for (const path of ['/bff/me', '/oauth/token', '/healthz', '/healthzx']) {
      assert.equal((await send(origin, path)).status, 404, path);
    }
    assert.equal((await send(origin, '/account', { accept: 'application/json' })).status, 404);
  });
});

describe('SPA server: no build, personalise and embedded data', () => {
  let root: string;
  const stamp = (s: number) => utimesSync(join(root, 'index.html'), s, s);
  let origin: string;
  let close: () => Promise<void>;
  let noBuild: { origin: string; close: () => Promise<void> };
  let empty: string;
  let calls = 0;
  before(async () => {
    root = mkdtempSync(join(tmpdir(), 'portal-spa-e-'));
    put(root, 'index.html', HTML);
    stamp(1_000_000);
    const options: SpaOptions = {
      personalise: async (html) => {
        calls++;
        if (html.includes('FAIL')) throw new Error('branding store down');
        return html.replace('<title>Portal</title>', '<title>Acme</title>');
      },
      embeds: [
        { path: '/me', id: 'me-data', read: async (req) => ({ who: req.query.who ?? null, tricky: '</script><!--&\u2028\u2029>' }) },
        {
          path: '/broken',
          id: 'broken-data',
          read: async () => {
            throw new Error('no session');
          },
        },
      ],
    };
    ({ origin, close } = await serve(spaApp(root, options)));
    empty = mkdtempSync(join(tmpdir(), 'portal-spa-none-'));
    noBuild = await serve(spaApp(empty, { embeds: options.embeds }));
  });
  after(async () => {
    await close();
    await noBuild.close();
    rmSync(root, { recursive: true, force: true });
    rmSync(empty, { recursive: true, force: true });
  });

  it('escapes <, >, & and the line separators in script JSON, and JSON.parse gives the value back', () => {
    const value = { s: '</script><!--a&b>\u2028\u2029é' };
    const text = scriptJson(value);
    assert.equal(text, '{"s":"\\u003c/script\\u003e\\u003c!--a\\u0026b\\u003e\\u2028\\u2029é"}');
    assert.deepEqual(JSON.parse(text), value);
    assert.equal(scriptJson(null), 'null');
  });

  it('puts the embedded data before </head> of the personalised page, never stored, in the encoding taken', T, async () => {
    const tag = `<script type="application/json" id="me-data">${scriptJson({ who: 'ann', tricky: '</script><!--&\u2028\u2029>' })}</script>`;
    const expected = HTML.replace('<title>Portal</title>', '<title>Acme</title>').replace('</head>', `${tag}\n  </head>`);
    const br = await send(origin, '/me?who=ann', { encoding: 'br, gzip' });
    assert.deepEqual(
      [br.status, br.headers['content-encoding'], br.headers['content-type'], br.headers['cache-control'], br.headers.vary, br.headers['x-spa-headers']],
      [200, 'br', 'text/html; charset=utf-8', 'no-store', 'Accept-Encoding', 'on'],
    );
    assert.equal(brotliDecompressSync(br.body).toString(), expected);
    const gz = await send(origin, '/me?who=ann', { encoding: 'gzip' });
    assert.deepEqual([gz.headers['content-encoding'], gunzipSync(gz.body).toString()], ['gzip', expected]);
    const plain = await send(origin, '/me?who=ann', { encoding: 'identity' });
    assert.deepEqual([plain.headers['content-encoding'], plain.headers['cache-control'], plain.body.toString()], [undefined, 'no-store', expected]);
  });

  it('sends the plain personalised page (no-cache) when the data cannot be read or the client does not take HTML', T, async () => {
    const page = await send(origin, '/broken', { encoding: 'identity' });
    assert.deepEqual(
      [page.status, page.headers['cache-control'], page.body.toString()],
      [200, 'no-cache', HTML.replace('<title>Portal</title>', '<title>Acme</title>')],
    );
    assert.equal((await send(origin, '/me', { accept: 'application/json' })).status, 404);
  });

  it('re-reads index.html when the build changes it, and only then', T, async () => {
    const before = calls;
    put(root, 'index.html', HTML.replace('<body>', '<body>v2'));
    stamp(2_000_000);
    const v2 = await send(origin, '/me', { encoding: 'identity' });
    assert.match(v2.body.toString(), /<body>v2<div id="root">/);
    assert.match(v2.body.toString(), /<script type="application\/json" id="me-data">\{"who":null,/);
    // Same modification time: the page read before is kept.
    put(root, 'index.html', HTML.replace('<body>', '<body>v3'));
    stamp(2_000_000);
    assert.match((await send(origin, '/me', { encoding: 'identity' })).body.toString(), /<body>v2<div/);
    stamp(3_000_000);
    assert.match((await send(origin, '/account', { encoding: 'identity' })).body.toString(), /<body>v3<div/);
    assert.equal(calls - before, 3);
    put(root, 'index.html', HTML);
    stamp(4_000_000);
  });

  it('a personalise failure is the app’s error, not a page', T, async () => {
    put(root, 'index.html', HTML.replace('<body>', '<body>FAIL'));
    stamp(5_000_000);
    const res = await send(origin, '/account', { encoding: 'identity' });
    assert.equal(res.status, 500);
    assert.doesNotMatch(res.body.toString(), /FAIL/);
    put(root, 'index.html', HTML);
    stamp(6_000_000);
  });

  it('without a build: a 503 that says how to build, and embed pages fall back to it', T, async () => {
    for (const path of ['/account', '/me']) {
      const res = await send(noBuild.origin, path);
      assert.deepEqual(
        [res.status, res.headers['content-type'], res.body.toString()],
        [503, 'text/plain; charset=utf-8', 'The web app has not been built. Run `npm run build` (npm start does it for you).'],
        path,
      );
    }
  });
});
