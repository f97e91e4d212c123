/**
 * The SPA's static serving: the build's precompressed copies go out with the
 * right Content-Encoding, the original's Content-Type and Vary; hashed assets
 * are immutable; a client that takes no encoding gets the plain file.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliCompressSync, brotliDecompressSync, gunzipSync, gzipSync } from 'node:zlib';
import express from 'express';
import { mountSpa } from './spa.ts';

const JS = `export const hello = ${JSON.stringify('portal '.repeat(400))};\n`;
const HTML = `<!doctype html><html><head><title>Portal</title></head><body>${'<div id="root"></div>'.repeat(50)}</body></html>`;

/** Raw bytes and headers, without fetch's transparent decompression. */
function get(
  origin: string,
  path: string,
  acceptEncoding?: string,
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }> {
  return new Promise((resolveGet, reject) => {
    const headers: Record<string, string> = { accept: 'text/html,*/*' };
    if (acceptEncoding !== undefined) headers['accept-encoding'] = acceptEncoding;
    request(new URL(path, origin), { headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolveGet({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    })
      .on('error', reject)
      .end();
  });
}

describe('SPA static serving', () => {
  let dir: string;
  let origin: string;
  let close: () => void;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'portal-spa-'));
    mkdirSync(join(dir, 'assets'));
    const file = join(dir, 'assets', 'index-abc123.js');
    writeFileSync(file, JS);
    writeFileSync(`${file}.br`, brotliCompressSync(JS));
    writeFileSync(`${file}.gz`, gzipSync(JS));
    writeFileSync(join(dir, 'assets', 'plain-def456.js'), JS);
    writeFileSync(join(dir, 'index.html'), HTML);
    writeFileSync(join(dir, 'index.html.br'), brotliCompressSync(HTML));
    const app = express();
    mountSpa(app, dir, (_req, _res, next) => next());
    const server = app.listen(0);
    await new Promise((r) => server.once('listening', r));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    close = () => server.close();
  });
  after(() => {
    close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('brotli when accepted (preferred over gzip), with the JS type, Vary and immutable caching', async () => {
    const res = await get(origin, '/assets/index-abc123.js', 'gzip, deflate, br, zstd');
    assert.equal(res.status, 200);
    assert.deepEqual(
      [res.headers['content-encoding'], res.headers['content-type'], res.headers.vary],
      ['br', 'text/javascript; charset=utf-8', 'Accept-Encoding'],
    );
    assert.match(String(res.headers['cache-control']), /max-age=31536000, immutable/);
    assert.equal(brotliDecompressSync(res.body).toString(), JS);
  });

  it('gzip when brotli is not accepted (or refused with q=0)', async () => {
    for (const accept of ['gzip', 'br;q=0, gzip']) {
      const res = await get(origin, '/assets/index-abc123.js', accept);
      assert.deepEqual(
        [res.headers['content-encoding'], res.headers['content-type'], res.headers.vary],
        ['gzip', 'text/javascript; charset=utf-8', 'Accept-Encoding'],
        accept,
      );
      assert.equal(gunzipSync(res.body).toString(), JS, accept);
    }
  });

  it('the plain file when no encoding is accepted, or when the build wrote no copy', async () => {
    for (const [path, accept] of [
      ['/assets/index-abc123.js', 'identity'],
      ['/assets/index-abc123.js', undefined],
      ['/assets/plain-def456.js', 'br, gzip'],
    ] as const) {
      const res = await get(origin, path, accept);
      assert.equal(res.status, 200);
      assert.equal(res.headers['content-encoding'], undefined, `${path} ${accept}`);
      assert.equal(res.headers.vary, 'Accept-Encoding');
      assert.equal(res.body.toString(), JS);
    }
  });

  it('client-side routes get index.html, compressed, never cached; a missing asset is a 404, not the page', async () => {
    const page = await get(origin, '/admin/clients', 'br');
    assert.deepEqual(
      [page.status, page.headers['content-encoding'], page.headers['content-type'], page.headers['cache-control']],
      [200, 'br', 'text/html; charset=utf-8', 'no-cache'],
    );
    assert.equal(brotliDecompressSync(page.body).toString(), HTML);
    const plain = await get(origin, '/account', 'gzip');
    assert.deepEqual([plain.headers['content-encoding'], plain.body.toString()], [undefined, HTML]);
    assert.equal((await get(origin, '/assets/gone-000.js', 'br')).status, 404);
    // A traversal attempt is refused by the static server, never answered from outside the build.
    assert.equal((await get(origin, '/assets/..%2f..%2fetc%2fpasswd.js', 'br')).status, 403);
  });
});
