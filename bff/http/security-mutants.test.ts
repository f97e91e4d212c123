/**
 * The http/ security primitives, pinned down where mutation testing found
 * them unchecked (docs/mutation.md): the CSRF matrix, the exact response
 * headers, body and Express errors in the BFF's own format, and the 500 path
 * that must never leak its cause.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { Writable } from 'node:stream';
import express from 'express';
import { pino } from 'pino';
import { startTestApp, type TestApp } from '../testing/test-app.ts';
import { rawSql } from '../testing/raw-sql.ts';
import { errorHandler } from './error-handler.ts';
import { AppError, badRequest, tooMany } from './errors.ts';
import { allowedWebSocketOrigin, safeEqual, safeReturnTo, securityHeaders } from './security.ts';
import { StoreUnavailableError } from '../store/store.ts';
import { assertSecurityHeaders } from './test-helpers.ts';
import { Agent, authorizeThrough } from '../testing/agent.ts';
import { createAccount } from '../accounts/accounts.ts';

const PASSWORD = 'correct horse battery staple';

const GENERIC = { error: 'server_error', message: 'Something went wrong on our side. Try again in a moment.' };

for (const db of ['sqlite', 'postgres'] as const) {
  describe(`HTTP security primitives in the running app (${db})`, () => {
    let app: TestApp;
    before(async () => {
      app = await startTestApp({ db });
    });
    after(() => app.close());

    const call = (method: string, path: string, headers: Record<string, string>, body?: string) =>
      fetch(new URL(path, app.url), { method, headers, body, redirect: 'manual' });

    it('answers every BFF response with the security headers, and no HSTS over plain http', async () => {
      const res = await call('GET', '/bff/session', {});
      assert.equal(res.status, 200);
      assertSecurityHeaders(res.headers, false);
    });

    it('accepts a state change only with the CSRF header and a same-origin Sec-Fetch-Site or Origin', async () => {
      const csrf = { 'x-portal-csrf': '1' };
      const accepted: Array<Record<string, string>> = [
        { ...csrf, 'sec-fetch-site': 'same-origin' },
        { ...csrf, 'sec-fetch-site': 'none' },
        { ...csrf, origin: app.url },
        { ...csrf, 'sec-fetch-site': 'same-origin', origin: app.url },
      ];
      const refused: Array<Record<string, string>> = [
        csrf,
        { ...csrf, 'sec-fetch-site': 'cross-site' },
        { ...csrf, 'sec-fetch-site': 'same-site' },
        { ...csrf, origin: 'http://evil.example' },
        { ...csrf, 'sec-fetch-site': 'same-origin', origin: 'http://evil.example' },
        { 'sec-fetch-site': 'same-origin', origin: app.url },
        { 'x-portal-csrf': 'true', 'sec-fetch-site': 'same-origin' },
      ];
      for (const headers of accepted) {
        const res = await call('POST', '/bff/logout', headers);
        assert.equal(res.status, 200, JSON.stringify(headers));
        assert.deepEqual(await res.json(), { redirectTo: '/' });
      }
      for (const headers of refused) {
        for (const method of ['POST', 'PUT', 'PATCH', 'DELETE']) {
          const res = await call(method, '/bff/logout', headers);
          assert.equal(res.status, 403, `${method} ${JSON.stringify(headers)}`);
          assert.deepEqual(await res.json(), { error: 'csrf_rejected', message: 'This request did not come from the portal itself and was refused.' });
        }
      }
    });

    it('lets server-to-server callers reach the SaG endpoint, and refuses browsers on other sites', async () => {
      const refusedHeaders: Array<Record<string, string>> = [
        { origin: 'http://evil.example' },
        { 'sec-fetch-site': 'cross-site' },
        { 'sec-fetch-site': 'same-site' },
        { origin: app.url, 'sec-fetch-site': 'cross-site' },
      ];
      const passed: Array<Record<string, string>> = [{}, { origin: app.url }, { 'sec-fetch-site': 'same-origin' }, { 'sec-fetch-site': 'none' }];
      const post = (headers: Record<string, string>) =>
        call('POST', '/admin/login/auth_code', { 'content-type': 'application/json', accept: 'application/json', ...headers }, '{}');
      for (const headers of refusedHeaders) {
        const res = await post(headers);
        assert.equal(res.status, 403, JSON.stringify(headers));
        assert.match(await res.text(), /This endpoint does not accept cross-site browser requests\./, JSON.stringify(headers));
      }
      for (const headers of passed) {
        const res = await post(headers);
        assert.equal(res.status, 400, `${JSON.stringify(headers)}: reaches the endpoint, which finds the fields missing`);
      }
    });

    it('lets GET, HEAD and OPTIONS through without the CSRF header', async () => {
      assert.equal((await call('GET', '/bff/session', {})).status, 200);
      assert.equal((await call('HEAD', '/bff/session', {})).status, 200);
      assert.notEqual((await call('OPTIONS', '/bff/logout', {})).status, 403);
    });

    it('answers bad bodies in the BFF format: JSON error, status, no-store', async () => {
      const same = { 'x-portal-csrf': '1', 'sec-fetch-site': 'same-origin' };
      const cases: Array<[Record<string, string>, string, number, string, string]> = [
        [{ 'content-type': 'application/json' }, '{"a":', 400, 'invalid_json', 'The request body is not valid JSON.'],
        [{ 'content-type': 'application/json' }, JSON.stringify({ a: 'x'.repeat(70_000) }), 413, 'body_too_large', 'The request body is too large.'],
        [{ 'content-type': 'application/json; charset=iso-8859-1' }, '{}', 415, 'charset_unsupported', 'The request body uses an unsupported character set.'],
        [
          { 'content-type': 'application/json', 'content-encoding': 'compress' },
          '{}',
          415,
          'encoding_unsupported',
          'The request body uses an unsupported encoding.',
        ],
      ];
      for (const [headers, body, status, error, message] of cases) {
        const res = await call('POST', '/bff/logout', { ...same, ...headers }, body);
        assert.equal(res.status, status, error);
        assert.equal(res.headers.get('cache-control'), 'no-store');
        assert.deepEqual(await res.json(), { error, message });
      }
    });

    it("keeps an Express error's status but not its text", async () => {
      const missing = await call('GET', '/assets/missing.js', {});
      assert.equal(missing.status, 404);
      assert.deepEqual(await missing.json(), { error: 'not_found', message: 'Not found.' });
    });

    it('answers an unexpected database failure with a generic server_error: no SQL, no stack', async () => {
      await rawSql(app.config.databaseUrl, 'ALTER TABLE settings RENAME TO settings_away');
      try {
        const res = await call('GET', '/bff/setup?token=abc', {});
        const text = await res.text();
        assert.equal(res.status, 500);
        assert.equal(res.headers.get('cache-control'), 'no-store');
        assert.deepEqual(JSON.parse(text), GENERIC);
      } finally {
        await rawSql(app.config.databaseUrl, 'ALTER TABLE settings_away RENAME TO settings');
      }
    });

    // safeReturnTo returned `//evil.example/x` for `/..//evil.example/x` (the URL parser resolves the dots);
    // /bff/login stored that, and only the callback's second safeReturnTo turned it into `/`.
    it('refuses at /bff/login a returnTo whose dot segments resolve to //another-site: the sign-in lands on /account, as with none', async () => {
      await createAccount(app.store, { email: 'dot@example.com', password: PASSWORD, name: 'Dot' }, Date.now());
      const portal = new URL(app.url).origin;
      for (const returnTo of ['/..//evil.example/x', '/.//evil.example', '/%2e%2e//evil.example']) {
        const end = await authorizeThrough(new Agent(app.url), `/bff/login?returnTo=${encodeURIComponent(returnTo)}`, {
          email: 'dot@example.com',
          password: PASSWORD,
        });
        assert.equal(end.href, `${portal}/account`, returnTo);
      }
      // The same path with its dots resolved on the portal is still honoured.
      const kept = await authorizeThrough(new Agent(app.url), `/bff/login?returnTo=${encodeURIComponent('/account/../account/security')}`, {
        email: 'dot@example.com',
        password: PASSWORD,
      });
      assert.equal(kept.href, `${portal}/account/security`);
    });
  });
}

describe('the error handler on a bare Express app', () => {
  const lines: Array<Record<string, unknown>> = [];
  let url = '';
  let close: () => void = () => {};
  before(async () => {
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(JSON.parse(chunk.toString()));
        done();
      },
    });
    const a = express();
    a.get('/boom', () => {
      throw new Error('SELECT secret FROM vault');
    });
    a.get('/hidden-400', () => {
      throw new AppError<string>('internal_detail', 'the detail', { status: 400, expose: false, fields: { a: 'b' } });
    });
    a.get('/fields', () => {
      throw badRequest('invalid_request', 'email: required', { email: 'required' });
    });
    // http-errors as Express and its static-file middleware raise them: a status, a text for no one.
    for (const status of [399, 400, 403, 500]) {
      a.get(`/http-${status}`, () => {
        throw Object.assign(new Error(`internal text ${status}`), { status });
      });
    }
    a.get('/store-down', () => {
      throw new StoreUnavailableError(new Error('connect ECONNREFUSED 10.0.0.7:5432'));
    });
    a.get('/slow-down', () => {
      throw tooMany('Too many attempts.', 7);
    });
    // What body-parser raises: a `type`, a status, and a message meant for no one.
    a.get('/body-error/:type', (req) => {
      throw Object.assign(new Error(`internal text ${req.params.type}`), { type: req.params.type, status: 400, expose: true });
    });
    a.get('/string-status', () => {
      throw Object.assign(new Error('internal text'), { status: '404' });
    });
    a.get('/cyclic-cause', () => {
      const err: Error & { cause?: unknown } = new Error('a cycle');
      err.cause = err;
      throw err;
    });
    a.get('/wrapped-outage', () => {
      let err: unknown = new StoreUnavailableError(new Error('connect ECONNREFUSED 10.0.0.7:5432'));
      for (let i = 0; i < 4; i++) err = new Error(`wrapper ${i}`, { cause: err });
      throw err;
    });
    a.get('/half-sent', (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('partial');
      throw new Error('failed after the headers');
    });
    a.use(errorHandler(pino({ level: 'info' }, sink)));
    const server = a.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    close = () => server.close();
  });
  after(() => close());

  it('hides a 500 behind the generic message and logs the cause with the request', async () => {
    lines.length = 0;
    const res = await fetch(`${url}/boom`);
    assert.equal(res.status, 500);
    assert.equal(res.headers.get('cache-control'), 'no-store');
    assert.equal(res.headers.get('retry-after'), null);
    assert.deepEqual(await res.json(), GENERIC);
    assert.equal(lines.length, 1);
    const [line] = lines;
    assert.equal(line!.msg, 'request failed');
    assert.equal(line!.method, 'GET');
    assert.equal(line!.path, '/boom');
    assert.equal((line!.err as { message: string }).message, 'SELECT secret FROM vault');
  });

  it('exposes a 4xx code, message and fields, and hides them when expose is false', async () => {
    const fields = await fetch(`${url}/fields`);
    assert.equal(fields.status, 400);
    assert.deepEqual(await fields.json(), { error: 'invalid_request', message: 'email: required', fields: { email: 'required' } });
    const hidden = await fetch(`${url}/hidden-400`);
    assert.equal(hidden.status, 400);
    assert.deepEqual(await hidden.json(), GENERIC);
    assert.equal(lines.filter((l) => l.path === '/hidden-400').length, 0, 'a 4xx is not logged as a failure');
  });

  it("keeps a 4xx http-error's status but not its text; anything else is a 500", async () => {
    const expected: Array<[number, number, object]> = [
      [399, 500, GENERIC],
      [400, 400, { error: 'bad_request', message: 'The request is not valid.' }],
      [403, 403, { error: 'bad_request', message: 'The request is not valid.' }],
      [500, 500, GENERIC],
    ];
    for (const [thrown, status, body] of expected) {
      const res = await fetch(`${url}/http-${thrown}`);
      assert.equal(res.status, status, String(thrown));
      assert.deepEqual(await res.json(), body);
    }
  });

  it('says the database is unreachable with a 503 that names no host', async () => {
    const res = await fetch(`${url}/store-down`);
    const text = await res.text();
    assert.equal(res.status, 503);
    assert.doesNotMatch(text, /10\.0\.0\.7|ECONNREFUSED/);
    const body = JSON.parse(text);
    assert.equal(body.error, 'temporarily_unavailable');
    assert.equal(body.message, 'The portal cannot reach its database right now. Try again in a moment.');
  });

  it('tells a throttled client when to retry, in the header and the body', async () => {
    const res = await fetch(`${url}/slow-down`);
    assert.equal(res.status, 429);
    assert.equal(res.headers.get('retry-after'), '7');
    assert.deepEqual(await res.json(), { error: 'too_many_attempts', message: 'Too many attempts.', retryAfter: 7 });
  });

  it("answers each of body-parser's errors in the BFF format, and an unknown one as a 500", async () => {
    const expected: Array<[string, number, object]> = [
      ['entity.parse.failed', 400, { error: 'invalid_json', message: 'The request body is not valid JSON.' }],
      ['entity.too.large', 413, { error: 'body_too_large', message: 'The request body is too large.' }],
      ['charset.unsupported', 415, { error: 'charset_unsupported', message: 'The request body uses an unsupported character set.' }],
      ['encoding.unsupported', 415, { error: 'encoding_unsupported', message: 'The request body uses an unsupported encoding.' }],
      ['parameters.too.many', 413, { error: 'too_many_parameters', message: 'The request has too many parameters.' }],
      // body-parser's own, not in the table: its status 400 is kept, its text is not.
      ['stream.not.readable', 400, { error: 'bad_request', message: 'The request is not valid.' }],
    ];
    for (const [type, status, body] of expected) {
      const res = await fetch(`${url}/body-error/${type}`);
      assert.equal(res.status, status, type);
      assert.equal(res.headers.get('cache-control'), 'no-store', type);
      assert.deepEqual(await res.json(), body, type);
    }
  });

  it('answers an error whose status is not a number, or whose cause is a cycle, with the generic 500', async () => {
    for (const path of ['/string-status', '/cyclic-cause']) {
      const res = await fetch(`${url}${path}`);
      assert.equal(res.status, 500, path);
      assert.deepEqual(await res.json(), GENERIC, path);
    }
  });

  it('finds a store outage wrapped four causes deep', async () => {
    const res = await fetch(`${url}/wrapped-outage`);
    assert.equal(res.status, 503);
    assert.equal(res.headers.get('retry-after'), '5');
    assert.equal((await res.json()).error, 'temporarily_unavailable');
  });

  it('ends a response whose headers were already sent instead of hanging', async () => {
    const res = await fetch(`${url}/half-sent`);
    assert.equal(res.status, 200);
    assert.equal(await res.text(), 'partial');
  });
});

describe('safeReturnTo, safeEqual and HSTS', () => {
  it('sends Strict-Transport-Security when the portal is served over https', async () => {
    const a = express();
    a.use(securityHeaders({ https: true }));
    a.get('/', (_req, res) => res.send('ok'));
    const server = a.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    try {
      const res = await fetch(`http://127.0.0.1:${(server.address() as { port: number }).port}/`);
      assertSecurityHeaders(res.headers, true);
    } finally {
      server.close();
    }
  });

  it('keeps same-site paths and refuses every open-redirect shape', () => {
    const long = `/${'a'.repeat(2047)}`;
    const kept: Array<[unknown, string]> = [
      ['/account', '/account'],
      ['/a/b?x=1#h', '/a/b?x=1#h'],
      ['/a/../b', '/b'],
      ['/a/.//b', '/a//b'],
      [long, long],
    ];
    const refused: unknown[] = [
      undefined,
      null,
      42,
      ['/account'],
      '',
      `${long}a`,
      'account',
      'https://evil.example/',
      '//evil.example',
      '/\\evil.example',
      '/a\\b',
      '/a\tb',
      '/a\u007fb',
      '/%2F%2Fevil.example',
      '/%2f/evil.example',
      '/%5Cevil.example',
      '/a%0Db',
      '/a%7Fb',
      '/%E0%A4%A',
      // Dot segments that leave an empty first segment: the parsed path would be `//evil.example`.
      '/..//evil.example',
      '/.//evil.example',
      '/a/..//evil.example/x?y=1',
      '/%2e%2e//evil.example',
      '/.%2E//evil.example',
    ];
    for (const [value, out] of kept) assert.equal(safeReturnTo(value), out, String(value));
    for (const value of refused) assert.equal(safeReturnTo(value), '/', String(value));
  });

  it('lets a WebSocket connect with our Origin, none, or *, and no other', () => {
    const url = 'https://portal.example';
    for (const origin of [undefined, '*', 'https://portal.example']) assert.equal(allowedWebSocketOrigin(origin, url), true, String(origin));
    for (const origin of ['', 'null', 'https://evil.example', 'http://portal.example', 'https://portal.example:8443'])
      assert.equal(allowedWebSocketOrigin(origin, url), false, origin);
  });

  it('compares secrets by content and length', () => {
    assert.equal(safeEqual('s3cret-value', 's3cret-value'), true);
    assert.equal(safeEqual('', ''), true);
    assert.equal(safeEqual('s3cret-value', 's3cret-valuf'), false);
    assert.equal(safeEqual('s3cret', 's3cret-value'), false);
  });
});

describe('the logger', () => {
  it('redacts secrets, tokens, passwords, cookies and authorization headers', () => {
    const script = `
      import { createLogger } from './bff/http/logger.ts';
      const s = 'top-secret';
      createLogger('info').info({
        password: s, newPassword: s, currentPassword: s, client_secret: s, clientSecret: s, secret: s,
        access_token: s, refresh_token: s, id_token: s, code: s, code_verifier: s, token: s, tokens: { a: s },
        body: { password: s, client_secret: s, clientSecret: s, secret: s, access_token: s, refresh_token: s, id_token: s, code: s, code_verifier: s, token: s, tokens: s, newPassword: s },
        req: { headers: { cookie: s, authorization: s } }, res: { headers: { 'set-cookie': s } }, headers: { cookie: s, authorization: s },
        kept: 'visible',
      }, 'redaction');
      createLogger('warn').info('below the level');`;
    const out = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    assert.equal(out.status, 0, out.stderr);
    const logged = out.stdout.trim().split('\n');
    assert.equal(logged.length, 1, 'the level is honoured');
    assert.doesNotMatch(logged[0]!, /top-secret/);
    const line = JSON.parse(logged[0]!);
    assert.equal(line.kept, 'visible');
    assert.equal(line.password, '[redacted]');
    assert.equal(line.body.secret, '[redacted]');
    assert.equal(line.req.headers.cookie, '[redacted]');
  });
});
