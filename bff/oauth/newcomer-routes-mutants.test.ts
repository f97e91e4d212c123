/**
 * The newcomer addresses (newcomer-routes.ts), pinned where mutation testing
 * (docs/mutation.md) needs it, on a bare Express app (no portal needed): the
 * root discovery redirect exactly, and /oauth/auth's 404 in each form the
 * client asks for: the JSON body, the HTML page byte for byte (its own
 * Content-Security-Policy, the issuer escaped), and plain text for anything
 * else. The issuer holds an `&` so that escaping shows.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import express from 'express';
import { newcomerRoutes } from './newcomer-routes.ts';

const ISSUER = 'https://portal.example/o&a';
const AUTHORIZE = `${ISSUER}/authorize`;
const DISCOVERY = `${ISSUER}/.well-known/openid-configuration`;
const MESSAGE = `The authorization endpoint is ${AUTHORIZE} (the full list is at ${DISCOVERY}).`;

describe('newcomer routes, exactly', () => {
  let server: Server;
  let base = '';
  before(async () => {
    const app = express();
    app.use(newcomerRoutes(ISSUER));
    app.use((_req, res) => void res.status(418).send('fell through'));
    server = app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  after(() => new Promise<void>((r) => server.close(() => r())));

  it('redirects root discovery to the issuer’s with a 302, and nothing else', { timeout: 20000 }, async () => {
    const res = await fetch(`${base}/.well-known/openid-configuration`, { redirect: 'manual' });
    assert.deepEqual([res.status, res.headers.get('location')], [302, DISCOVERY]);
    await res.body?.cancel();
    const other = await fetch(`${base}/.well-known/other`, { redirect: 'manual' });
    assert.deepEqual([other.status, await other.text()], [418, 'fell through']);
    const post = await fetch(`${base}/oauth/auth`, { method: 'POST', redirect: 'manual' });
    assert.deepEqual([post.status, await post.text()], [418, 'fell through']);
  });

  it('answers /oauth/auth with a JSON 404 naming the endpoints', { timeout: 20000 }, async () => {
    for (const accept of ['application/json', '*/*']) {
      const res = await fetch(`${base}/oauth/auth?client_id=x`, { headers: { accept } });
      assert.equal(res.status, 404, accept);
      assert.equal(res.headers.get('content-type'), 'application/json; charset=utf-8');
      assert.equal(res.headers.get('content-security-policy'), null);
      assert.deepEqual(await res.json(), { error: 'not_found', error_description: MESSAGE, authorization_endpoint: AUTHORIZE, discovery: DISCOVERY });
    }
  });

  it('answers a browser with the page, its own policy and the issuer escaped', { timeout: 20000 }, async () => {
    const res = await fetch(`${base}/oauth/auth`, { headers: { accept: 'text/html' } });
    assert.equal(res.status, 404);
    assert.equal(res.headers.get('content-type'), 'text/html; charset=utf-8');
    assert.equal(res.headers.get('content-security-policy'), "default-src 'none'; style-src 'self'; frame-ancestors 'none'");
    const a = 'https://portal.example/o&#38;a/authorize';
    const d = 'https://portal.example/o&#38;a/.well-known/openid-configuration';
    assert.equal(
      await res.text(),
      '<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><meta name="color-scheme" content="light">' +
        '<title>Not the authorization endpoint · Portal</title><link rel="stylesheet" href="/oauth-pages.css"><link rel="stylesheet" href="/branding.css"></head>' +
        '<body><a class="skip-link" href="#main">Skip to content</a><header class="topbar"><a class="topbar__brand" href="/">Portal</a></header><main id="main" class="main"><div class="card">' +
        `<h1>This is not the authorization endpoint</h1><p>Send people to <a href="${a}"><code>${a}</code></a> instead.</p>` +
        `<p class="muted">Every endpoint is listed in the <a href="${d}">discovery document</a>.</p>` +
        '</div></main></body></html>',
    );
  });

  it('answers anything else with the sentence as plain text', { timeout: 20000 }, async () => {
    const res = await fetch(`${base}/oauth/auth`, { headers: { accept: 'image/png' } });
    assert.equal(res.status, 404);
    assert.equal(res.headers.get('content-type'), 'text/plain; charset=utf-8');
    assert.equal(await res.text(), MESSAGE);
  });
});
