/**
 * The http/ primitives, pinned exactly without booting the portal, so that
 * mutation testing (docs/mutation.md) kills their mutants in a second: the
 * cross-site checks and security headers on a bare Express app over real HTTP,
 * the error model (`AppError`, its shorthands, `toAppError`, the error handler's
 * answer and log line for each kind of failure), body-parser's table, the
 * client-abort rule, `parse`/`zodProblems`, and the logger's redaction of each
 * configured path. security-mutants.test.ts checks the same rules through the
 * running app on both stores.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import express, { type Express } from 'express';
import { pino } from 'pino';
import { z } from 'zod';
import {
  allowedWebSocketOrigin,
  clientIp,
  isSameOriginRequest,
  ownOriginWebSocket,
  refuseCrossSiteBrowsers,
  requireSameOrigin,
  safeEqual,
  safeReturnTo,
  securityHeaders,
} from './security.ts';
import { errorHandler, isStoreOutage, noneUnlessOutage, STORE_RETRY_AFTER, toAppError } from './error-handler.ts';
import { AppError, badRequest, conflict, forbidden, gone, isAppError, notFound, tooMany, unauthorized } from './errors.ts';
import { bodyError } from './body-errors.ts';
import { parse, zodProblems } from './validate.ts';
import { createLogger, isClientAbort } from './logger.ts';
import { StoreUnavailableError } from '../store/store.ts';
import { assertSecurityHeaders } from './test-helpers.ts';

const GENERIC_MESSAGE = 'Something went wrong on our side. Try again in a moment.';
const GENERIC = { error: 'server_error', message: GENERIC_MESSAGE };
const PUBLIC = 'https://portal.example';
/** A mutant that leaves a request unanswered fails here instead of hanging until Stryker's timeout. */
const HTTP = { timeout: 15_000 };

/** Serves `a` on a free loopback port; returns its base URL and a closer. */
async function serve(a: Express): Promise<{ url: string; close: () => Promise<void> }> {
  const server = a.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/** A pino logger writing parsed lines into `lines`. */
function capture(level: string, lines: Array<Record<string, unknown>>) {
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const l of chunk.toString().split('\n')) if (l) lines.push(JSON.parse(l));
      done();
    },
  });
  return sink;
}

function outage(wrappers: number): unknown {
  let err: unknown = new StoreUnavailableError(new Error('connect ECONNREFUSED 10.0.0.7:5432'));
  for (let i = 0; i < wrappers; i++) err = new Error(`wrapper ${i}`, { cause: err });
  return err;
}

describe('cross-site checks and headers on a bare Express app', () => {
  let url = '';
  let close: () => Promise<void> = async () => {};
  let seenIp: Array<string | null> = [];
  before(async () => {
    const a = express();
    a.use(securityHeaders({ https: false }));
    a.use('/same', requireSameOrigin(`${PUBLIC}/some/path`));
    a.use('/s2s', refuseCrossSiteBrowsers(`${PUBLIC}/x`));
    a.all(['/same', '/s2s'], (req, res) => {
      seenIp.push(clientIp(req));
      res.json({ reached: req.method });
    });
    a.use((err: unknown, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
      const e = err as AppError<string>;
      res.status(e.status).json({ error: e.code, message: e.message, status: e.status, expose: e.expose, isAppError: e instanceof AppError });
    });
    ({ url, close } = await serve(a));
  });
  after(() => close());

  const CSRF_REFUSAL = {
    error: 'csrf_rejected',
    message: 'This request did not come from the portal itself and was refused.',
    status: 403,
    expose: true,
    isAppError: true,
  };
  const CROSS_REFUSAL = {
    error: 'forbidden_origin',
    message: 'This endpoint does not accept cross-site browser requests.',
    status: 403,
    expose: true,
    isAppError: true,
  };

  it('requireSameOrigin lets reads through and refuses a state change without the header and a same-origin signal', HTTP, async () => {
    for (const method of ['GET', 'HEAD', 'OPTIONS']) {
      const res = await fetch(`${url}/same`, { method });
      assert.equal(res.status, 200, method);
      if (method !== 'HEAD') assert.deepEqual(await res.json(), { reached: method });
    }
    const csrf = { 'x-portal-csrf': '1' };
    const accepted: Array<Record<string, string>> = [
      { ...csrf, 'sec-fetch-site': 'same-origin' },
      { ...csrf, 'sec-fetch-site': 'none' },
      { ...csrf, origin: PUBLIC },
      { ...csrf, 'sec-fetch-site': 'same-origin', origin: PUBLIC },
    ];
    const refused: Array<Record<string, string>> = [
      {},
      csrf,
      { ...csrf, 'sec-fetch-site': 'cross-site' },
      { ...csrf, 'sec-fetch-site': 'same-site' },
      { ...csrf, origin: 'https://evil.example' },
      { ...csrf, origin: `${PUBLIC}/some/path` },
      { ...csrf, 'sec-fetch-site': 'same-origin', origin: 'https://evil.example' },
      { 'sec-fetch-site': 'same-origin', origin: PUBLIC },
      { 'x-portal-csrf': '0', 'sec-fetch-site': 'same-origin' },
    ];
    for (const method of ['POST', 'PUT', 'PATCH', 'DELETE']) {
      for (const headers of accepted) {
        const res = await fetch(`${url}/same`, { method, headers });
        assert.equal(res.status, 200, `${method} ${JSON.stringify(headers)}`);
        assert.deepEqual(await res.json(), { reached: method });
      }
      for (const headers of refused) {
        const res = await fetch(`${url}/same`, { method, headers });
        assert.equal(res.status, 403, `${method} ${JSON.stringify(headers)}`);
        assert.deepEqual(await res.json(), CSRF_REFUSAL);
      }
    }
  });

  it('refuseCrossSiteBrowsers refuses a foreign Origin and cross-site or same-site fetches, and lets the rest through', HTTP, async () => {
    const refused: Array<Record<string, string>> = [
      { origin: 'https://evil.example' },
      { origin: 'http://portal.example' },
      { 'sec-fetch-site': 'cross-site' },
      { 'sec-fetch-site': 'same-site' },
      { origin: PUBLIC, 'sec-fetch-site': 'cross-site' },
      { origin: PUBLIC, 'sec-fetch-site': 'same-site' },
    ];
    const passed: Array<Record<string, string>> = [
      {},
      { origin: PUBLIC },
      { 'sec-fetch-site': 'same-origin' },
      { 'sec-fetch-site': 'none' },
      { origin: PUBLIC, 'sec-fetch-site': 'same-origin' },
    ];
    for (const method of ['GET', 'POST']) {
      for (const headers of refused) {
        const res = await fetch(`${url}/s2s`, { method, headers });
        assert.equal(res.status, 403, `${method} ${JSON.stringify(headers)}`);
        assert.deepEqual(await res.json(), CROSS_REFUSAL);
      }
      for (const headers of passed) {
        const res = await fetch(`${url}/s2s`, { method, headers });
        assert.equal(res.status, 200, `${method} ${JSON.stringify(headers)}`);
        assert.deepEqual(await res.json(), { reached: method });
      }
    }
  });

  it('clientIp is the address Express resolved', HTTP, async () => {
    seenIp = [];
    await fetch(`${url}/s2s`);
    assert.deepEqual(seenIp, ['127.0.0.1']);
    assert.equal(clientIp({ ip: undefined } as unknown as express.Request), null);
  });

  it('sends exactly the security headers, HSTS only over https', HTTP, async () => {
    const res = await fetch(`${url}/s2s`);
    assertSecurityHeaders(res.headers, false);

    const a = express();
    a.use(securityHeaders({ https: true }));
    a.get('/', (_req, r) => r.send('ok'));
    const s = await serve(a);
    try {
      const secure = await fetch(`${s.url}/`);
      assert.equal(await secure.text(), 'ok');
      assertSecurityHeaders(secure.headers, true);
    } finally {
      await s.close();
    }
  });
});

describe('the cross-site predicates', () => {
  it('isSameOriginRequest: Sec-Fetch-Site same-origin or none, or our Origin; a foreign one of either refuses', () => {
    const yes: Array<Record<string, string>> = [
      { 'sec-fetch-site': 'same-origin' },
      { 'sec-fetch-site': 'none' },
      { origin: PUBLIC },
      { 'sec-fetch-site': 'same-origin', origin: PUBLIC },
      { 'sec-fetch-site': 'none', origin: PUBLIC },
    ];
    const no: Array<Record<string, string>> = [
      {},
      { 'sec-fetch-site': 'cross-site' },
      { 'sec-fetch-site': 'same-site' },
      { 'sec-fetch-site': 'cross-site', origin: PUBLIC },
      { origin: 'https://evil.example' },
      { 'sec-fetch-site': 'same-origin', origin: 'https://evil.example' },
      { 'sec-fetch-site': 'none', origin: 'null' },
    ];
    for (const h of yes) assert.equal(isSameOriginRequest(h, PUBLIC), true, JSON.stringify(h));
    for (const h of no) assert.equal(isSameOriginRequest(h, PUBLIC), false, JSON.stringify(h));
  });

  it("ownOriginWebSocket: none or the portal's own Origin, never *", () => {
    assert.equal(ownOriginWebSocket(undefined, PUBLIC), true);
    assert.equal(ownOriginWebSocket(PUBLIC, PUBLIC), true);
    for (const o of ['*', '', 'null', 'https://evil.example', 'http://portal.example']) assert.equal(ownOriginWebSocket(o, PUBLIC), false, o);
  });

  it('allowedWebSocketOrigin: none, *, or the origin of the public URL', () => {
    for (const o of [undefined, '*', PUBLIC]) assert.equal(allowedWebSocketOrigin(o, `${PUBLIC}/path?q=1`), true, String(o));
    for (const o of ['', 'null', `${PUBLIC}/path?q=1`, 'https://evil.example']) assert.equal(allowedWebSocketOrigin(o, `${PUBLIC}/path?q=1`), false, o);
  });

  it('safeEqual and safeReturnTo', () => {
    assert.equal(safeEqual('abc', 'abc'), true);
    assert.equal(safeEqual('abc', 'abd'), false);
    assert.equal(safeEqual('abc', 'abcd'), false);
    assert.equal(safeReturnTo('/a?b=1#c'), '/a?b=1#c');
    assert.equal(safeReturnTo('/a/./b/../c'), '/a/c');
    assert.equal(safeReturnTo('/a/%2F%2Fb'), '/a/%2F%2Fb');
    // A path may end in slashes: only a leading `//` (raw or decoded) is protocol-relative.
    assert.equal(safeReturnTo('/a//'), '/a//');
    assert.equal(safeReturnTo('/a/%2F%2F'), '/a/%2F%2F');
    assert.equal(safeReturnTo(`/${'x'.repeat(2047)}`), `/${'x'.repeat(2047)}`);
    for (const v of [
      undefined,
      7,
      '',
      `/${'x'.repeat(2048)}`,
      'a',
      'https://evil.example',
      '//evil',
      '/\\evil',
      '/%2F/evil',
      '/%5Cevil',
      '/%0A',
      '/a\nb',
      '/%',
    ])
      assert.equal(safeReturnTo(v), '/', String(v));
  });
});

describe('the error model', () => {
  it('AppError: name, code, status, cause, fields, retryAfter; exposed below 500 unless told', () => {
    const cause = new Error('inner');
    const e = new AppError('invalid_request', 'the sentence', { status: 400, cause, fields: { a: 'b' }, retryAfter: 3 });
    assert.equal(e instanceof Error, true);
    assert.equal(e.name, 'AppError');
    assert.equal(e.message, 'the sentence');
    assert.equal(e.code, 'invalid_request');
    assert.equal(e.status, 400);
    assert.equal(e.cause, cause);
    assert.deepEqual(e.fields, { a: 'b' });
    assert.equal(e.retryAfter, 3);
    assert.equal(e.expose, true);
    assert.equal(new AppError('bad_request', 'm', { status: 499 }).expose, true);
    assert.equal(new AppError('bad_request', 'm', { status: 500 }).expose, false);
    assert.equal(new AppError('bad_request', 'm', { status: 503 }).expose, false);
    assert.equal(new AppError('bad_request', 'm', { status: 400, expose: false }).expose, false);
    assert.equal(new AppError('bad_request', 'm', { status: 503, expose: true }).expose, true);
  });

  it('the shorthands', () => {
    const check = (e: AppError, code: string, message: string, status: number, fields?: Record<string, string>, retryAfter?: number) => {
      assert.equal(e instanceof AppError, true, code);
      assert.deepEqual(
        { code: e.code, message: e.message, status: e.status, expose: e.expose, fields: e.fields, retryAfter: e.retryAfter },
        { code, message, status, expose: true, fields, retryAfter },
        code,
      );
    };
    check(badRequest('invalid_request', 'm1', { f: 'x' }), 'invalid_request', 'm1', 400, { f: 'x' });
    check(badRequest('invalid_request', 'm1b'), 'invalid_request', 'm1b', 400);
    check(unauthorized('not_signed_in', 'm2'), 'not_signed_in', 'm2', 401);
    check(forbidden('admin_required', 'm3'), 'admin_required', 'm3', 403);
    check(notFound('not_found', 'm4'), 'not_found', 'm4', 404);
    check(conflict('email_taken', 'm5', { email: 'taken' }), 'email_taken', 'm5', 409, { email: 'taken' });
    check(gone('invitation_expired', 'm6'), 'invitation_expired', 'm6', 410);
    check(tooMany('m7', 9), 'too_many_attempts', 'm7', 429, undefined, 9);
    assert.equal(isAppError(gone('invitation_expired', 'x')), true);
    assert.equal(isAppError(new Error('x')), false);
    assert.equal(isAppError(null), false);
  });

  it('isStoreOutage looks five errors deep, no further, and ends on a cycle', () => {
    assert.equal(isStoreOutage(outage(0)), true);
    assert.equal(isStoreOutage(outage(4)), true);
    assert.equal(isStoreOutage(outage(5)), false);
    assert.equal(isStoreOutage(new Error('plain')), false);
    assert.equal(isStoreOutage(new Error('wrapped', { cause: new Error('plain') })), false);
    assert.equal(isStoreOutage(null), false);
    assert.equal(isStoreOutage(undefined), false);
    const cyclic: Error & { cause?: unknown } = new Error('cycle');
    cyclic.cause = cyclic;
    assert.equal(isStoreOutage(cyclic), false);
  });

  it('noneUnlessOutage rethrows an outage and makes anything else "none"', () => {
    const down = outage(2);
    assert.throws(
      () => noneUnlessOutage(down),
      (e) => e === down,
    );
    assert.equal(noneUnlessOutage(new Error('malformed')), undefined);
    assert.equal(noneUnlessOutage(undefined), undefined);
  });

  it('toAppError: an AppError as it is; body-parser, http-error, outage and anything else, each exactly', () => {
    const own = badRequest('invalid_request', 'x');
    assert.equal(toAppError(own), own);
    const fields = (e: AppError) => ({ code: e.code, message: e.message, status: e.status, expose: e.expose, retryAfter: e.retryAfter, fields: e.fields });

    const parseErr = Object.assign(new Error('Unexpected token'), { type: 'entity.parse.failed', status: 400 });
    const p = toAppError(parseErr);
    assert.deepEqual(fields(p), {
      code: 'invalid_json',
      message: 'The request body is not valid JSON.',
      status: 400,
      expose: true,
      retryAfter: undefined,
      fields: undefined,
    });
    assert.equal(p.cause, parseErr);

    const http = (status: unknown) => Object.assign(new Error(`internal ${String(status)}`), { status });
    const notFoundErr = http(404);
    const nf = toAppError(notFoundErr);
    assert.deepEqual(fields(nf), { code: 'not_found', message: 'Not found.', status: 404, expose: true, retryAfter: undefined, fields: undefined });
    assert.equal(nf.cause, notFoundErr);
    for (const status of [400, 403, 405, 499]) {
      assert.deepEqual(fields(toAppError(http(status))), {
        code: 'bad_request',
        message: 'The request is not valid.',
        status,
        expose: true,
        retryAfter: undefined,
        fields: undefined,
      });
    }

    const down = outage(1);
    const o = toAppError(down);
    assert.deepEqual(fields(o), {
      code: 'temporarily_unavailable',
      message: 'The portal cannot reach its database right now. Try again in a moment.',
      status: 503,
      expose: true,
      retryAfter: STORE_RETRY_AFTER,
      fields: undefined,
    });
    assert.equal(STORE_RETRY_AFTER, 5);
    assert.equal(o.cause, down);

    for (const err of [http(399), http(500), http(503), http('404'), new Error('boom'), null, undefined, 'a string']) {
      const e = toAppError(err);
      assert.deepEqual(
        fields(e),
        { code: 'server_error', message: GENERIC_MESSAGE, status: 500, expose: false, retryAfter: undefined, fields: undefined },
        String(err),
      );
      assert.equal(e.cause, err);
    }
  });

  it("bodyError: body-parser's table, a client abort, and nothing else (not even an inherited key)", () => {
    const table: Array<[string, number, string, string]> = [
      ['entity.parse.failed', 400, 'invalid_json', 'The request body is not valid JSON.'],
      ['entity.too.large', 413, 'body_too_large', 'The request body is too large.'],
      ['charset.unsupported', 415, 'charset_unsupported', 'The request body uses an unsupported character set.'],
      ['encoding.unsupported', 415, 'encoding_unsupported', 'The request body uses an unsupported encoding.'],
      ['parameters.too.many', 413, 'too_many_parameters', 'The request has too many parameters.'],
      ['request.aborted', 400, 'request_aborted', 'The request was aborted.'],
    ];
    for (const [type, status, code, message] of table) assert.deepEqual(bodyError({ type }), { status, code, message }, type);
    assert.deepEqual(bodyError(Object.assign(new Error('aborted'), { code: 'ECONNRESET' })), {
      status: 400,
      code: 'request_aborted',
      message: 'The request was aborted.',
    });
    for (const err of [
      null,
      undefined,
      'entity.parse.failed',
      new Error('x'),
      { type: 'stream.not.readable' },
      { type: 'constructor' },
      { type: 'toString' },
      { type: '__proto__' },
      { type: ['entity.too.large'] },
      { type: '' },
    ])
      assert.equal(bodyError(err), null, JSON.stringify(err));
  });
});

describe('the error handler', () => {
  const lines: Array<Record<string, unknown>> = [];
  let url = '';
  let close: () => Promise<void> = async () => {};
  before(async () => {
    const a = express();
    const throwing = (path: string, make: () => unknown) =>
      a.get(path, () => {
        throw make();
      });
    throwing('/boom', () => new Error('SELECT secret FROM vault'));
    throwing('/plain-500', () => new AppError('server_error', 'own words', { status: 500 }));
    throwing('/exposed-500', () => new AppError('server_error', 'own words', { status: 500, expose: true, fields: { a: 'b' } }));
    throwing('/hidden-400', () => new AppError<string>('internal_detail', 'the detail', { status: 400, expose: false, fields: { a: 'b' } }));
    throwing('/fields', () => badRequest('invalid_request', 'email: required', { email: 'required' }));
    throwing('/no-fields', () => forbidden('admin_required', 'Admins only.'));
    throwing('/busy', () => new AppError('busy', 'The portal is busy.', { status: 503, retryAfter: 2 }));
    throwing('/busy-500', () => new AppError('busy', 'The portal is busy.', { status: 500 }));
    throwing('/other-503', () => new AppError('temporarily_unavailable', 'Down.', { status: 503, expose: true }));
    throwing('/store-down', () => outage(0));
    throwing('/slow-down', () => tooMany('Too many attempts.', 7));
    throwing('/http-404', () => Object.assign(new Error('internal'), { status: 404 }));
    throwing('/aborted', () => Object.assign(new Error('aborted'), { code: 'ECONNRESET' }));
    throwing('/aborted-type', () => Object.assign(new Error('request aborted'), { type: 'request.aborted', status: 400 }));
    a.get('/half-sent', (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('partial');
      throw new Error('failed after the headers');
    });
    a.use(errorHandler(pino({ level: 'debug' }, capture('debug', lines))));
    ({ url, close } = await serve(a));
  });
  after(() => close());

  async function get(path: string) {
    lines.length = 0;
    const res = await fetch(`${url}${path}`);
    const text = await res.text();
    return {
      res,
      text,
      body: res.headers.get('content-type')?.startsWith('application/json') ? JSON.parse(text) : undefined,
      logged: lines.filter((l) => l.level !== 20),
      debug: lines.filter((l) => l.level === 20),
    };
  }

  it('a 500 hides its words and logs its cause once, with the request', HTTP, async () => {
    const { res, body, logged } = await get('/boom');
    assert.equal(res.status, 500);
    assert.equal(res.headers.get('cache-control'), 'no-store');
    assert.equal(res.headers.get('retry-after'), null);
    assert.deepEqual(body, GENERIC);
    assert.equal(logged.length, 1);
    assert.equal(logged[0]!.level, 50);
    assert.equal(logged[0]!.msg, 'request failed');
    assert.equal(logged[0]!.method, 'GET');
    assert.equal(logged[0]!.path, '/boom');
    assert.equal((logged[0]!.err as { message: string }).message, 'SELECT secret FROM vault');
  });

  it('an AppError of 500 without a cause logs itself, and is hidden unless exposed', HTTP, async () => {
    const plain = await get('/plain-500');
    assert.equal(plain.res.status, 500);
    assert.deepEqual(plain.body, GENERIC);
    assert.equal(plain.logged.length, 1);
    assert.equal((plain.logged[0]!.err as { message: string }).message, 'own words');
    const exposed = await get('/exposed-500');
    assert.equal(exposed.res.status, 500);
    assert.deepEqual(exposed.body, { error: 'server_error', message: 'own words', fields: { a: 'b' } });
    assert.equal(exposed.logged.length, 1);
  });

  it('a 4xx is answered with its code, message and fields, hidden when expose is false, and never logged', HTTP, async () => {
    const f = await get('/fields');
    assert.equal(f.res.status, 400);
    assert.equal(f.res.headers.get('cache-control'), 'no-store');
    assert.deepEqual(f.body, { error: 'invalid_request', message: 'email: required', fields: { email: 'required' } });
    assert.equal(f.logged.length, 0);
    const n = await get('/no-fields');
    assert.equal(n.res.status, 403);
    assert.deepEqual(n.body, { error: 'admin_required', message: 'Admins only.' });
    const h = await get('/hidden-400');
    assert.equal(h.res.status, 400);
    assert.deepEqual(h.body, GENERIC);
    assert.equal(h.logged.length, 0);
    const nf = await get('/http-404');
    assert.equal(nf.res.status, 404);
    assert.deepEqual(nf.body, { error: 'not_found', message: 'Not found.' });
    assert.equal(nf.logged.length, 0);
  });

  it('`busy` at 503 is load shedding: answered, not logged; any other 5xx is logged', HTTP, async () => {
    const busy = await get('/busy');
    assert.equal(busy.res.status, 503);
    assert.equal(busy.res.headers.get('retry-after'), '2');
    assert.deepEqual(busy.body, { error: 'server_error', message: GENERIC_MESSAGE, retryAfter: 2 });
    assert.equal(busy.logged.length, 0);
    const busy500 = await get('/busy-500');
    assert.equal(busy500.res.status, 500);
    assert.equal(busy500.logged.length, 1);
    const other = await get('/other-503');
    assert.equal(other.res.status, 503);
    assert.deepEqual(other.body, { error: 'temporarily_unavailable', message: 'Down.' });
    assert.equal(other.logged.length, 1);
    assert.equal(other.logged[0]!.path, '/other-503');
  });

  it('a store outage is a 503 with Retry-After in the header and the body, and is logged', HTTP, async () => {
    const { res, text, body, logged } = await get('/store-down');
    assert.equal(res.status, 503);
    assert.equal(res.headers.get('retry-after'), '5');
    assert.equal(res.headers.get('cache-control'), 'no-store');
    assert.doesNotMatch(text, /10\.0\.0\.7|ECONNREFUSED/);
    assert.deepEqual(body, {
      error: 'temporarily_unavailable',
      message: 'The portal cannot reach its database right now. Try again in a moment.',
      retryAfter: 5,
    });
    assert.equal(logged.length, 1);
    assert.deepEqual(
      [(logged[0]!.err as { type: string }).type, (logged[0]!.err as { message: string }).message],
      ['StoreUnavailableError', 'the store is unavailable: connect ECONNREFUSED 10.0.0.7:5432'],
    );
  });

  it('a throttled client is told when to retry', HTTP, async () => {
    const { res, body, logged } = await get('/slow-down');
    assert.equal(res.status, 429);
    assert.equal(res.headers.get('retry-after'), '7');
    assert.deepEqual(body, { error: 'too_many_attempts', message: 'Too many attempts.', retryAfter: 7 });
    assert.equal(logged.length, 0);
  });

  it('an error that only says the client went away gets an empty 400 and a debug line', HTTP, async () => {
    for (const path of ['/aborted', '/aborted-type']) {
      const { res, text, logged, debug } = await get(path);
      assert.equal(res.status, 400, path);
      assert.equal(text, '', path);
      assert.equal(res.headers.get('cache-control'), null, path);
      assert.equal(logged.length, 0, path);
      assert.equal(debug.length, 1, path);
      assert.equal(debug[0]!.msg, 'client closed the connection mid-request');
      assert.equal(debug[0]!.method, 'GET');
      assert.equal(debug[0]!.path, path);
    }
  });

  it('a failure after the headers went out ends the response and is still logged', HTTP, async () => {
    const { res, text, logged } = await get('/half-sent');
    assert.equal(res.status, 200);
    assert.equal(text, 'partial');
    assert.equal(logged.length, 1);
    assert.equal(logged[0]!.path, '/half-sent');
  });
});

describe('isClientAbort', () => {
  const goneReqs = [{ destroyed: true }, { readableAborted: true }, { destroyed: true, readableAborted: true }];
  const liveReqs = [undefined, {}, { destroyed: false, readableAborted: false }];

  it('body-parser\'s "request.aborted", and Node\'s "aborted" ECONNRESET, whatever the request', () => {
    for (const req of [...goneReqs, ...liveReqs]) {
      assert.equal(isClientAbort({ type: 'request.aborted' }, req), true, JSON.stringify(req));
      assert.equal(isClientAbort({ message: 'aborted', code: 'ECONNRESET' }, req), true, JSON.stringify(req));
    }
  });

  it('once the request is gone: an abort code, or the message "aborted" or "request aborted"', () => {
    for (const req of goneReqs) {
      for (const code of ['ECONNRESET', 'ECONNABORTED', 'EPIPE', 'ERR_STREAM_PREMATURE_CLOSE']) assert.equal(isClientAbort({ code }, req), true, code);
      assert.equal(isClientAbort({ message: 'aborted' }, req), true);
      assert.equal(isClientAbort({ message: 'request aborted' }, req), true);
      for (const e of [{ code: 'ETIMEDOUT' }, { code: 42 }, { message: 'other' }, {}, { type: 'entity.too.large' }])
        assert.equal(isClientAbort(e, req), false, JSON.stringify(e));
    }
  });

  it('while the request is alive, nothing else counts; nor does a non-object', () => {
    for (const req of liveReqs) {
      for (const e of [
        { code: 'EPIPE' },
        { code: 'ECONNRESET' },
        { message: 'aborted' },
        { message: 'request aborted' },
        { message: 'aborted', code: 'EPIPE' },
        { message: 'other', code: 'ECONNRESET' },
      ])
        assert.equal(isClientAbort(e, req), false, `${JSON.stringify(e)} ${JSON.stringify(req)}`);
    }
    for (const e of [null, undefined, 'aborted', 0, Object.assign(() => {}, { type: 'request.aborted' })])
      assert.equal(isClientAbort(e, { destroyed: true }), false, String(e));
  });
});

describe('parse and zodProblems', () => {
  const schema = z.object({ name: z.string().min(2, 'too short').max(3, 'too long').optional(), nested: z.object({ v: z.string() }).optional() });

  it('returns the parsed value; no value is an empty object', () => {
    assert.deepEqual(parse(schema, { name: 'abc', extra: 1 }), { name: 'abc' });
    assert.deepEqual(parse(schema, undefined), {});
    assert.deepEqual(parse(schema, null), {});
  });

  function refusal(fn: () => unknown) {
    try {
      fn();
    } catch (e) {
      assert.equal(e instanceof AppError, true);
      const a = e as AppError;
      return { code: a.code, status: a.status, message: a.message, fields: a.fields };
    }
    assert.fail('not refused');
  }

  it('names the first problem of each field, the first field in the message', () => {
    assert.deepEqual(
      refusal(() => parse(schema, { name: 'a', nested: { v: 1 } })),
      {
        code: 'invalid_request',
        status: 400,
        message: 'name: too short',
        fields: { name: 'too short', 'nested.v': 'Invalid input: expected string, received number' },
      },
    );
    const twice = z.object({ p: z.string().min(5, 'first').regex(/x/, 'second') });
    assert.deepEqual(
      refusal(() => parse(twice, { p: 'a' })),
      { code: 'invalid_request', status: 400, message: 'p: first', fields: { p: 'first' } },
    );
  });

  it('a problem with the whole value is named "body" (or as the caller says)', () => {
    assert.deepEqual(
      refusal(() => parse(z.string(), 5)),
      {
        code: 'invalid_request',
        status: 400,
        message: 'body: Invalid input: expected string, received number',
        fields: { body: 'Invalid input: expected string, received number' },
      },
    );
    const r = z.object({ a: z.string() }).safeParse({});
    assert.equal(r.success, false);
    assert.deepEqual(zodProblems(r.error!), [{ field: 'a', message: 'Invalid input: expected string, received undefined' }]);
    const whole = z.string().safeParse(1);
    assert.deepEqual(zodProblems(whole.error!), [{ field: 'body', message: 'Invalid input: expected string, received number' }]);
    assert.deepEqual(zodProblems(whole.error!, 'request'), [{ field: 'request', message: 'Invalid input: expected string, received number' }]);
  });

  it('refuses a NUL anywhere in a valid value, naming where', () => {
    assert.deepEqual(
      refusal(() => parse(schema, { nested: { v: 'a\0b' } })),
      {
        code: 'invalid_request',
        status: 400,
        message: 'nested.v: must not contain a NUL character.',
        fields: { 'nested.v': 'must not contain a NUL character.' },
      },
    );
    assert.deepEqual(
      refusal(() => parse(z.string(), 'a\0')),
      {
        code: 'invalid_request',
        status: 400,
        message: 'value: must not contain a NUL character.',
        fields: { value: 'must not contain a NUL character.' },
      },
    );
    assert.equal(parse(z.string(), 'a0'), 'a0');
  });
});

describe('the logger', () => {
  // Each is redacted at the top level and one level down, under any key.
  const PATHS = [
    'password',
    'newPassword',
    'currentPassword',
    'client_secret',
    'clientSecret',
    'secret',
    'access_token',
    'refresh_token',
    'id_token',
    'code',
    'code_verifier',
    'token',
    'tokens',
  ];

  function logOnce(obj: Record<string, unknown>, level = 'info') {
    const lines: Array<Record<string, unknown>> = [];
    const logger = createLogger(level, capture(level, lines));
    logger.info(obj, 'line');
    logger.debug({ below: true }, 'below the level');
    return lines;
  }

  it('redacts each secret-bearing key at the top level, with "[redacted]"', () => {
    for (const key of PATHS) {
      const lines = logOnce({ [key]: 'top-secret', kept: 'visible' });
      assert.equal(lines.length, 1, key);
      assert.equal(lines[0]![key], '[redacted]', key);
      assert.equal(lines[0]!.kept, 'visible', key);
      assert.equal(lines[0]!.msg, 'line');
    }
  });

  it('redacts each of them one level down, under any key', () => {
    for (const key of PATHS) {
      const lines = logOnce({ body: { [key]: 'top-secret', kept: 'visible' }, other: { [key]: { deep: 'top-secret' } } });
      assert.deepEqual(lines[0]!.body, { [key]: '[redacted]', kept: 'visible' }, key);
      assert.deepEqual(lines[0]!.other, { [key]: '[redacted]' }, key);
    }
  });

  it('redacts cookies and credentials in request, response and bare headers', () => {
    const [line] = logOnce({
      req: { headers: { cookie: 'sid=top-secret', authorization: 'Bearer top-secret', host: 'portal' } },
      res: { headers: { 'set-cookie': 'sid=top-secret', 'content-type': 'text/plain' } },
      headers: { cookie: 'sid=top-secret', authorization: 'Basic top-secret', accept: '*/*' },
    });
    assert.deepEqual(line!.req, { headers: { cookie: '[redacted]', authorization: '[redacted]', host: 'portal' } });
    assert.deepEqual(line!.res, { headers: { 'set-cookie': '[redacted]', 'content-type': 'text/plain' } });
    assert.deepEqual(line!.headers, { cookie: '[redacted]', authorization: '[redacted]', accept: '*/*' });
  });

  it("keeps an error's own code, which says what failed, as errorCode; a code elsewhere stays redacted", () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
    const [line] = logOnce({ err: refused, body: { code: 'an-authorization-code' } });
    const err = line!.err as Record<string, unknown>;
    assert.equal(err.errorCode, 'ECONNREFUSED');
    assert.equal('code' in err, false);
    assert.equal(err.message, 'connect ECONNREFUSED 127.0.0.1:5432');
    assert.equal(err.type, 'Error');
    assert.match(String(err.stack), /^Error: connect ECONNREFUSED/);
    assert.deepEqual(line!.body, { code: '[redacted]' });
    // A plain { name, code } logged as err (federation's upstream failures), and errors without a code.
    assert.deepEqual(logOnce({ err: { name: 'TypeError', code: 'ETIMEDOUT' } })[0]!.err, { name: 'TypeError', errorCode: 'ETIMEDOUT' });
    assert.equal('errorCode' in (logOnce({ err: new Error('plain') })[0]!.err as object), false);
    assert.equal(logOnce({ err: 'a sentence' })[0]!.err, 'a sentence');
    assert.equal(logOnce({ err: null })[0]!.err, null);
  });

  it('honours the level', () => {
    assert.equal(logOnce({ a: 1 }, 'warn').length, 0);
    const debug = logOnce({ a: 1 }, 'debug');
    assert.deepEqual(
      debug.map((l) => l.msg),
      ['line', 'below the level'],
    );
  });
});
