/**
 * Database outages at /oauth (outage.ts), pinned where mutation testing
 * (docs/mutation.md) needs it: answerOutage on a real Koa app (the provider's
 * own framework) turns only a store outage (or one wrapped as a cause) into
 * 503 + Retry-After + no-store, rewrites only a JSON `server_error` body
 * (keeping `state`), and touches nothing else; the outage page; and
 * oauthErrorHandler on a bare Express app: RFC 6749 JSON or the HTML page,
 * exposed or generic, Retry-After, and a log line only for 5xx. No database.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import Koa from 'koa';
import express from 'express';
import { StoreUnavailableError } from '../store/store.ts';
import { AppError, tooMany } from '../http/errors.ts';
import { createLogger } from '../http/logger.ts';
import { OUTAGE_DESCRIPTION, OUTAGE_ERROR, answerOutage, oauthErrorHandler, outagePage } from './outage.ts';
import { errorPage } from './pages.ts';

async function listen(handler: Parameters<typeof createServer>[1]): Promise<{ server: Server; url: string }> {
  const server = createServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, url: `http://127.0.0.1:${(server.address() as { port: number }).port}` };
}
const close = (s: Server) => new Promise<void>((r) => s.close(() => r()));

describe('outage: constants and page', () => {
  it('the RFC 6749 code and the description', () => {
    assert.equal(OUTAGE_ERROR, 'temporarily_unavailable');
    assert.equal(OUTAGE_DESCRIPTION, 'the authorization server cannot reach its database right now; retry later');
  });
  it('the page is the error page for that code and description', () => {
    assert.equal(outagePage('https://p.example'), errorPage('temporarily_unavailable', OUTAGE_DESCRIPTION, 'https://p.example'));
    assert.ok(outagePage('https://p.example').includes('<code>temporarily_unavailable</code> — the authorization server cannot reach'));
  });
});

describe('outage: answerOutage on a Koa context', () => {
  let server: Server;
  let url: string;
  const answered: boolean[] = [];
  const outage = new StoreUnavailableError(new Error('ECONNREFUSED'));
  const cases: Record<string, { body: unknown; err: unknown }> = {
    '/json': { body: { error: 'server_error', error_description: 'oops', state: 'st-1' }, err: outage },
    '/json-no-state': { body: { error: 'server_error', error_description: 'oops' }, err: outage },
    '/wrapped': { body: { error: 'server_error' }, err: new Error('wrapper', { cause: new Error('inner', { cause: outage }) }) },
    '/other-error': { body: { error: 'invalid_request', error_description: 'no' }, err: outage },
    '/html': { body: '<p>page</p>', err: outage },
    '/plain-error': { body: { error: 'server_error', error_description: 'oops' }, err: new Error('boom') },
    '/null-body': { body: null, err: outage },
  };
  before(async () => {
    const app = new Koa();
    app.use((ctx) => {
      const c = cases[ctx.path]!;
      ctx.status = 500;
      ctx.body = c.body;
      answered.push(answerOutage(ctx, c.err));
      if (c.body === null) ctx.body = 'empty';
    });
    ({ server, url } = await listen(app.callback()));
  });
  after(() => close(server));

  async function get(path: string) {
    const res = await fetch(`${url}${path}`);
    return { status: res.status, retryAfter: res.headers.get('retry-after'), cacheControl: res.headers.get('cache-control'), text: await res.text() };
  }

  it('a JSON server_error during an outage: 503, Retry-After 5, no-store, RFC 6749 body with the state', { timeout: 20000 }, async () => {
    assert.deepEqual(await get('/json'), {
      status: 503,
      retryAfter: '5',
      cacheControl: 'no-store',
      text: JSON.stringify({ error: 'temporarily_unavailable', error_description: OUTAGE_DESCRIPTION, state: 'st-1' }),
    });
    assert.equal(answered.pop(), true);
  });
  it('without a state the body has none', { timeout: 20000 }, async () => {
    assert.equal((await get('/json-no-state')).text, JSON.stringify({ error: 'temporarily_unavailable', error_description: OUTAGE_DESCRIPTION }));
    assert.equal(answered.pop(), true);
  });
  it('an outage wrapped twice as a cause is still an outage', { timeout: 20000 }, async () => {
    const r = await get('/wrapped');
    assert.equal(r.status, 503);
    assert.equal(r.text, JSON.stringify({ error: 'temporarily_unavailable', error_description: OUTAGE_DESCRIPTION }));
    assert.equal(answered.pop(), true);
  });
  it('another JSON error, an HTML body or no body: the status and headers change, the body does not', { timeout: 20000 }, async () => {
    assert.deepEqual(await get('/other-error'), {
      status: 503,
      retryAfter: '5',
      cacheControl: 'no-store',
      text: JSON.stringify({ error: 'invalid_request', error_description: 'no' }),
    });
    assert.equal(answered.pop(), true);
    assert.deepEqual(await get('/html'), { status: 503, retryAfter: '5', cacheControl: 'no-store', text: '<p>page</p>' });
    assert.equal(answered.pop(), true);
    const empty = await get('/null-body');
    assert.equal(empty.text, 'empty');
    assert.equal(answered.pop(), true);
  });
  it('any other error: false, and nothing touched', { timeout: 20000 }, async () => {
    assert.deepEqual(await get('/plain-error'), {
      status: 500,
      retryAfter: null,
      cacheControl: null,
      text: JSON.stringify({ error: 'server_error', error_description: 'oops' }),
    });
    assert.equal(answered.pop(), false);
  });
});

describe('outage: oauthErrorHandler', () => {
  let server: Server;
  let url: string;
  const lines: Array<{ level: number; msg: string; method?: string; path?: string; err?: { message?: string } }> = [];
  before(async () => {
    const app = express();
    const logger = createLogger('info', { write: (s: string) => void lines.push(JSON.parse(s) as (typeof lines)[number]) });
    app.all('/exposed', () => {
      throw new AppError('invalid_request', 'The request is bad.', { status: 400 });
    });
    app.all('/hidden', () => {
      throw new AppError('invalid_request', 'internal detail', { status: 400, expose: false });
    });
    app.all('/throttled', () => {
      throw tooMany('Too many requests.', 42);
    });
    app.all('/crash', () => {
      throw new Error('secret internals');
    });
    app.all('/outage', () => {
      throw new StoreUnavailableError(new Error('down'));
    });
    app.all('/half-sent', (_req, res, next) => {
      res.status(200).write('partial');
      next(new Error('after the headers'));
    });
    app.use(oauthErrorHandler(logger, 'https://portal.example'));
    ({ server, url } = await listen(app));
  });
  after(() => close(server));

  async function call(path: string, init: RequestInit = {}) {
    const res = await fetch(`${url}${path}`, init);
    return {
      status: res.status,
      type: res.headers.get('content-type'),
      retryAfter: res.headers.get('retry-after'),
      cacheControl: res.headers.get('cache-control'),
      text: await res.text(),
    };
  }
  const json = 'application/json; charset=utf-8';
  const html = 'text/html; charset=utf-8';

  it('an exposed client error: its code and message as RFC 6749 JSON, no-store, no log line', { timeout: 20000 }, async () => {
    lines.length = 0;
    assert.deepEqual(await call('/exposed'), {
      status: 400,
      type: json,
      retryAfter: null,
      cacheControl: 'no-store',
      text: JSON.stringify({ error: 'invalid_request', error_description: 'The request is bad.' }),
    });
    assert.deepEqual(lines, []);
  });
  it('an error not exposed: server_error and a generic description, whatever its status', { timeout: 20000 }, async () => {
    lines.length = 0;
    assert.deepEqual(await call('/hidden', { method: 'POST' }), {
      status: 400,
      type: json,
      retryAfter: null,
      cacheControl: 'no-store',
      text: JSON.stringify({ error: 'server_error', error_description: 'unexpected error' }),
    });
    assert.deepEqual(lines, []);
  });
  it('a throttle refusal carries its Retry-After', { timeout: 20000 }, async () => {
    const r = await call('/throttled');
    assert.equal(r.status, 429);
    assert.equal(r.retryAfter, '42');
    assert.equal(r.text, JSON.stringify({ error: 'too_many_attempts', error_description: 'Too many requests.' }));
  });
  it('a crash: 500 server_error, logged once with the method and path, the cause not shown', { timeout: 20000 }, async () => {
    lines.length = 0;
    assert.deepEqual(await call('/crash', { method: 'POST' }), {
      status: 500,
      type: json,
      retryAfter: null,
      cacheControl: 'no-store',
      text: JSON.stringify({ error: 'server_error', error_description: 'unexpected error' }),
    });
    assert.equal(lines.length, 1);
    assert.equal(lines[0]!.msg, 'oauth request failed');
    assert.equal(lines[0]!.level, 50);
    assert.equal(lines[0]!.method, 'POST');
    assert.equal(lines[0]!.path, '/crash');
    assert.equal(lines[0]!.err?.message, 'secret internals');
  });
  it('an outage: 503 temporarily_unavailable with Retry-After 5, logged', { timeout: 20000 }, async () => {
    lines.length = 0;
    const r = await call('/outage');
    assert.equal(r.status, 503);
    assert.equal(r.retryAfter, '5');
    assert.equal(
      r.text,
      JSON.stringify({ error: 'temporarily_unavailable', error_description: 'The portal cannot reach its database right now. Try again in a moment.' }),
    );
    assert.equal(lines.length, 1);
    assert.equal(lines[0]!.err?.message, 'the store is unavailable: down');
  });
  it('a browser GET gets the HTML error page; a POST or a JSON GET gets JSON', { timeout: 20000 }, async () => {
    assert.deepEqual(await call('/exposed', { headers: { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' } }), {
      status: 400,
      type: html,
      retryAfter: null,
      cacheControl: 'no-store',
      text: errorPage('invalid_request', 'The request is bad.', 'https://portal.example'),
    });
    assert.equal((await call('/crash', { headers: { accept: 'text/html' } })).text, errorPage('server_error', 'unexpected error', 'https://portal.example'));
    assert.equal((await call('/exposed', { method: 'POST', headers: { accept: 'text/html' } })).type, json);
    assert.equal((await call('/exposed', { headers: { accept: 'application/json' } })).type, json);
    assert.equal((await call('/exposed', { headers: { accept: '*/*' } })).type, json);
  });
  it('headers already sent: left to Express (the partial answer stands, nothing appended)', { timeout: 20000 }, async () => {
    lines.length = 0;
    const res = await fetch(`${url}/half-sent`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('cache-control'), null);
    await assert.rejects(res.text());
    assert.deepEqual(lines, []);
  });
});
