/**
 * SaG's route (routes.ts), where mutation testing (docs/mutation.md) found its
 * rules unpinned, through the real app on SQLite and PostgreSQL: the exact
 * envelope, status and headers of each answer (success, each refusal's
 * sentence and field, 405 with Allow), which format answers which request and
 * Accept header, the body cap, a body-less POST, NUL, the contract's messages;
 * what the code is issued for (the RedirectUri named or the first, the scopes
 * asked, deduplicated, or all the client's, `amr` pwd), a form-only '+' repair
 * of the secret, a partner app without redirect URIs refused like a wrong
 * secret, a partner app without redirect URIs and a first-party app refused
 * like a wrong secret, no sign-in recorded when the code cannot be issued, the
 * audit entries' exact data and reason, the account and client locks' 429, and
 * a full hashing queue's 503 answered as itself.
 * sag.test.ts and sag-seed.test.ts cover the flows and the samples.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestApp, type TestApp } from '../../testing/test-app.ts';
import { createAccount } from '../../accounts/accounts.ts';
import { HASH_BUSY_RETRY_AFTER, passwordHashing } from '../../accounts/hash-gate.ts';
import type { ClientRecord } from '../../store/store.ts';
import { CLIENT_FAILURES_PER_SOURCE } from '../../oauth/client-throttle.ts';
import { REQUEST_NS, RESPONSE_NS } from './map.ts';
import { request as httpRequest } from 'node:http';
import { recordingLogger } from '../../testing/log-lines.ts';
import { rawSql } from '../../testing/raw-sql.ts';

const PATH = '/admin/login/auth_code';
const PASSWORD = 'correct horse battery staple';
const R1 = 'https://partner.example/cb';
const R2 = 'https://partner.example/other';
const CLIENT_ID = 'app_routes_mutants';
/** A secret with a '+', as base64 secrets often have: a form body sent unencoded turns it into a space. */
const SECRET = 'c2VjcmV0+c2VjcmV0/c2VjcmV0=';
const MACHINE_ID = 'app_routes_machine';
const MACHINE_SECRET = 'machine-secret-machine-secret';
const FIRST_ID = 'app_routes_first_party';
const FIRST_SECRET = 'first-party-secret-first-party';
const UA = 'routes-mutants/1.0';
const XSI = 'http://www.w3.org/2001/XMLSchema-instance';
const INVALID = 'The client credentials, the username or the password are incorrect.';
const T = { timeout: 20000 };

interface Sent {
  status: number;
  type: string | null;
  text: string;
  headers: Headers;
}

function client(clientId: string, secret: string, redirectUris: string[], scopes: string[], firstParty = false): ClientRecord {
  return { clientId, name: clientId, secret, redirectUris, postLogoutRedirectUris: [], scopes, logoUrl: null, firstParty, createdAt: Date.now() };
}

const jsonError = (errorId: string, message: string) =>
  JSON.stringify({ Header: { Message: message, StatusCode: 1, Status: 'Error', ErrorId: errorId }, Body: { AuthCode: null } });
const xmlError = (errorId: string, message: string) =>
  `<AuthCodeResponse xmlns:i="${XSI}" xmlns="${RESPONSE_NS}"><Body><AuthCode i:nil="true" /></Body>` +
  `<Header><ErrorId>${errorId}</ErrorId><Message>${message}</Message><Status>Error</Status><StatusCode>Error</StatusCode></Header></AuthCodeResponse>`;

for (const db of ['sqlite', 'postgres'] as const) {
  describe(`SaG route, exactly (${db})`, () => {
    let app: TestApp;
    let userId: string;
    let ipSeq = 0;
    /** A fresh address per request, so no throttle counter crosses tests unless a test means it to. */
    const nextIp = () => `192.0.2.${++ipSeq}`;

    async function send(body: string | null, contentType: string | null, headers: Record<string, string> = {}, method = 'POST'): Promise<Sent> {
      const res = await fetch(`${app.url}${PATH}`, {
        method,
        headers: { 'user-agent': UA, 'x-forwarded-for': nextIp(), ...(contentType ? { 'content-type': contentType } : {}), ...headers },
        ...(body === null ? {} : { body }),
      });
      return { status: res.status, type: res.headers.get('content-type'), text: await res.text(), headers: res.headers };
    }

    const good = (extra: Record<string, string> = {}) =>
      JSON.stringify({ ClientId: CLIENT_ID, ClientSecret: SECRET, Username: 'op@example.com', Password: PASSWORD, ...extra });

    function codeOf(r: Sent): string {
      assert.equal(r.status, 200, r.text);
      const e = JSON.parse(r.text) as { Header: unknown; Body: { AuthCode: string } };
      assert.deepEqual(e.Header, { Message: '', StatusCode: 0, Status: 'Ok', ErrorId: null });
      return e.Body.AuthCode;
    }

    async function redeem(code: string, redirectUri: string) {
      const res = await fetch(`${app.config.issuer}/token`, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          authorization: `Basic ${Buffer.from(`${encodeURIComponent(CLIENT_ID)}:${encodeURIComponent(SECRET)}`).toString('base64')}`,
        },
        body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: redirectUri }),
      });
      return { status: res.status, body: (await res.json()) as Record<string, string> };
    }

    const lastSignIn = async () => (await app.store.users.findByEmail('op@example.com'))!.lastSignInAt;
    const lastAudit = async (kind: string) => {
      const entries = await app.store.audit.list({ kind });
      return entries.reduce((a, b) => (b.seq > a.seq ? b : a));
    };

    before(async () => {
      app = await startTestApp({ db, env: { RATE_LIMIT_LOGIN_PER_ACCOUNT: '3', TRUST_PROXY: '1' } });
      userId = (await createAccount(app.store, { email: 'op@example.com', password: PASSWORD, name: 'Operator' }, Date.now())).id;
      await createAccount(app.store, { email: 'locked@example.com', password: PASSWORD }, Date.now());
      await app.deps.store.clients.create(client(CLIENT_ID, SECRET, [R1, R2], ['openid', 'profile', 'offline_access']));
      await app.deps.store.clients.create(client(MACHINE_ID, MACHINE_SECRET, [], ['openid']));
      await app.deps.store.clients.create(client(FIRST_ID, FIRST_SECRET, [R1], ['openid'], true));
    });
    after(() => app.close());

    it('a success: the exact envelope and headers, a code for the first redirect URI, every scope, amr pwd, one audit entry', T, async () => {
      const ip = nextIp();
      const r = await send(good(), 'application/json', { 'x-forwarded-for': ip });
      assert.deepEqual(
        [r.status, r.type, r.headers.get('cache-control'), r.headers.get('x-content-type-options')],
        [200, 'application/json; charset=utf-8', 'no-store', 'nosniff'],
      );
      const code = codeOf(r);
      assert.equal(r.text, JSON.stringify({ Header: { Message: '', StatusCode: 0, Status: 'Ok', ErrorId: null }, Body: { AuthCode: code } }));
      const audit = await lastAudit('sign_in');
      assert.deepEqual(
        { actorId: audit.actorId, subjectId: audit.subjectId, ip: audit.ip, userAgent: audit.userAgent, data: audit.data },
        { actorId: userId, subjectId: userId, ip, userAgent: UA, data: { method: 'password', via: 'sag', clientId: CLIENT_ID } },
      );
      const t = await redeem(code, R1);
      assert.equal(t.status, 200, JSON.stringify(t.body));
      assert.deepEqual(t.body.scope!.split(' ').sort(), ['offline_access', 'openid', 'profile']);
      const idToken = JSON.parse(Buffer.from(t.body.id_token!.split('.')[1]!, 'base64url').toString()) as { sub: string; amr: string[]; aud: string };
      assert.deepEqual([idToken.sub, idToken.amr, idToken.aud], [userId, ['pwd'], CLIENT_ID]);
    });

    it('RedirectUri and Scope name what the code is for; repeated and empty scope names count once', T, async () => {
      const code = codeOf(await send(good({ RedirectUri: R2, Scope: ' openid  openid profile ' }), 'application/json'));
      assert.equal((await redeem(code, R1)).status, 400, 'the code is for the URI named');
      const code2 = codeOf(await send(good({ RedirectUri: R2, Scope: ' openid  openid profile ' }), 'application/json'));
      const t = await redeem(code2, R2);
      assert.equal(t.status, 200, JSON.stringify(t.body));
      assert.equal(t.body.scope, 'openid profile');
      const empty = codeOf(await send(good({ RedirectUri: '', Scope: '' }), 'application/json'));
      const t2 = await redeem(empty, R1);
      assert.deepEqual([t2.status, t2.body.scope!.split(' ').sort()], [200, ['offline_access', 'openid', 'profile']]);
    });

    it('a RedirectUri or Scope outside the registration: its own 400, and no sign-in recorded', T, async () => {
      const before = await lastSignIn();
      const uri = await send(good({ RedirectUri: 'https://evil.example/cb' }), 'application/json');
      assert.deepEqual(
        [uri.status, uri.text],
        [400, jsonError('invalid_redirect_uri', 'RedirectUri must be one of the redirect URIs registered for this client.')],
      );
      const scope = await send(good({ Scope: 'openid email admin email' }), 'application/json');
      assert.deepEqual([scope.status, scope.text], [400, jsonError('invalid_scope', 'Scope names scopes this client may not have: email, admin.')]);
      assert.equal(await lastSignIn(), before);
      const okAfter = await send(good(), 'application/json');
      assert.equal(okAfter.status, 200);
      assert.notEqual(await lastSignIn(), before, 'a good request records the sign-in');
    });

    it('repairs a "+" sent as a space only in a form body', T, async () => {
      const raw = `ClientId=${CLIENT_ID}&ClientSecret=${SECRET}&Username=op%40example.com&Password=${encodeURIComponent(PASSWORD)}`;
      codeOf(await send(raw, 'application/x-www-form-urlencoded'));
      const spaced = await send(good({ ClientSecret: SECRET.replace('+', ' ') }), 'application/json');
      assert.deepEqual([spaced.status, spaced.text], [401, jsonError('invalid_credentials', INVALID)]);
    });

    it('a partner app without redirect URIs is refused like a wrong secret, and audited as invalid_client', T, async () => {
      const signedIn = await lastSignIn();
      const ip = nextIp();
      const body = JSON.stringify({ ClientId: MACHINE_ID, ClientSecret: MACHINE_SECRET, Username: 'Op@Example.COM', Password: PASSWORD });
      const r = await send(body, 'application/json', { 'x-forwarded-for': ip });
      assert.deepEqual([r.status, r.text, r.headers.get('retry-after')], [401, jsonError('invalid_credentials', INVALID), null]);
      const audit = await lastAudit('sign_in_failed');
      assert.deepEqual(
        { ip: audit.ip, userAgent: audit.userAgent, data: audit.data },
        { ip, userAgent: UA, data: { via: 'sag', email: 'op@example.com', reason: 'invalid_client', clientId: MACHINE_ID } },
      );
      assert.equal(await lastSignIn(), signedIn, 'the right password behind a refused client is no sign-in');
    });

    it('a first-party app, even with its right secret, is refused like a wrong secret', T, async () => {
      const signedIn = await lastSignIn();
      const body = JSON.stringify({ ClientId: FIRST_ID, ClientSecret: FIRST_SECRET, Username: 'op@example.com', Password: PASSWORD });
      const r = await send(body, 'application/json');
      assert.deepEqual([r.status, r.text], [401, jsonError('invalid_credentials', INVALID)]);
      assert.equal((await lastAudit('sign_in_failed')).data.reason, 'invalid_client');
      assert.equal(await lastSignIn(), signedIn);
    });

    it('wrong passwords: audited as invalid_credentials, then the account locks with a 429 and Retry-After; elsewhere the owner signs in', T, async () => {
      const ip = nextIp();
      const bad = good({ Username: 'locked@example.com', Password: 'not the password' });
      for (let i = 0; i < 3; i++) {
        const r = await send(bad, 'application/json', { 'x-forwarded-for': ip });
        assert.deepEqual([r.status, r.text, r.headers.get('retry-after')], [401, jsonError('invalid_credentials', INVALID), null]);
      }
      const failed = await lastAudit('sign_in_failed');
      assert.deepEqual(failed.data, { via: 'sag', email: 'locked@example.com', reason: 'invalid_credentials', clientId: CLIENT_ID });
      const locked = await send(good({ Username: 'locked@example.com' }), 'application/json', { 'x-forwarded-for': ip, 'user-agent': '' });
      assert.deepEqual([locked.status, locked.text], [429, jsonError('too_many_attempts', 'Too many failed attempts. Try again later.')]);
      assert.ok(Number(locked.headers.get('retry-after')) > 0, String(locked.headers.get('retry-after')));
      const lockedAudit = await lastAudit('sign_in_failed');
      assert.deepEqual([lockedAudit.data.reason, lockedAudit.userAgent], ['too_many_attempts', null]);
      assert.equal((await send(good({ Username: 'locked@example.com' }), 'application/json')).status, 200);
    });

    it('failed client checks from one address: 401 until the limit, then 429 with Retry-After', T, async () => {
      const ip = nextIp();
      // The operator's right password: only the client check fails, so only the client counters count.
      const guess = good({ ClientSecret: 'a wrong secret' });
      for (let i = 0; i < CLIENT_FAILURES_PER_SOURCE; i++) {
        const r = await send(guess, 'application/json', { 'x-forwarded-for': ip });
        assert.deepEqual([r.status, r.headers.get('retry-after')], [401, null], `attempt ${i + 1}`);
      }
      const limited = await send(guess, 'application/json', { 'x-forwarded-for': ip });
      assert.deepEqual([limited.status, limited.text], [429, jsonError('too_many_attempts', 'Too many failed attempts. Try again later.')]);
      assert.ok(Number(limited.headers.get('retry-after')) > 0, String(limited.headers.get('retry-after')));
      assert.equal((await lastAudit('sign_in_failed')).data.reason, 'invalid_client');
    });

    it('a full hashing queue answers as itself (503 busy, Retry-After), with no failure audited', T, async () => {
      const audited = (await app.store.audit.list({ kind: 'sign_in_failed' })).length;
      // Every slot taken and the queue at its bound, by work that ends only when released (as hash-gate.test.ts does).
      let release!: () => void;
      const held = new Promise<void>((r) => (release = r));
      const fill = Array.from({ length: passwordHashing.concurrency + passwordHashing.maxQueued }, () => passwordHashing.run(() => held));
      let r: Sent;
      try {
        r = await send(good({ ClientSecret: 'a wrong secret' }), 'application/json');
      } finally {
        release();
        await Promise.all(fill);
      }
      assert.deepEqual(
        [r.status, r.headers.get('retry-after'), r.text],
        [503, String(HASH_BUSY_RETRY_AFTER), jsonError('busy', 'The portal is handling many sign-ins right now. Try again in a moment.')],
      );
      assert.equal((await app.store.audit.list({ kind: 'sign_in_failed' })).length, audited);
    });

    it('refuses each bad input with its exact sentence and field, before any check', T, async () => {
      const cases: Array<[string | null, string | null, number, string, string]> = [
        [JSON.stringify({ ClientId: CLIENT_ID }), 'application/json', 400, 'invalid_request', 'ClientSecret is required.'],
        [good({ ClientId: 'x'.repeat(201) }), 'application/json', 400, 'invalid_request', 'ClientId is too long.'],
        [good({ Username: 'op\u0000@example.com' }), 'application/json', 400, 'invalid_request', 'Username: must not contain a NUL character.'],
        [null, 'application/json', 400, 'invalid_request', 'The request body is not valid JSON.'],
        [
          good(),
          'text/plain',
          415,
          'unsupported_media_type',
          'Send the request as application/json, application/xml (or text/xml) or application/x-www-form-urlencoded.',
        ],
        [
          good(),
          'constructor',
          415,
          'unsupported_media_type',
          'Send the request as application/json, application/xml (or text/xml) or application/x-www-form-urlencoded.',
        ],
      ];
      for (const [body, type, status, code, message] of cases) {
        const r = await send(body, type);
        assert.deepEqual([r.status, r.text, r.type], [status, jsonError(code, message), 'application/json; charset=utf-8'], message);
      }
    });

    it('takes a body up to 16 KiB and refuses one byte more with a 413', T, async () => {
      const padded = (size: number) => {
        const head = '{"ClientId":"","pad":"';
        return `${head}${'x'.repeat(size - head.length - 2)}"}`;
      };
      assert.equal(Buffer.byteLength(padded(16384)), 16384);
      const at = await send(padded(16384), 'application/json');
      assert.deepEqual([at.status, at.text], [400, jsonError('invalid_request', 'ClientId is required.')]);
      const over = await send(padded(16385), 'application/json');
      assert.deepEqual([over.status, JSON.parse(over.text).Header.ErrorId], [413, 'body_too_large']);
    });

    it('answers in the format Accept asks for, else the request’s own exact type (JSON for a form or an unknown type)', T, async () => {
      const bodies: Record<string, string> = {
        json: '{}',
        xml: `<AuthCodeRequest xmlns="${REQUEST_NS}"/>`,
        form: '',
      };
      const cases: Array<[string, string, string | undefined, string]> = [
        ['json', 'application/json', undefined, 'application/json'],
        ['json', 'text/json', undefined, 'text/json'],
        ['json', 'Text/JSON; charset=utf-8', undefined, 'text/json'],
        ['xml', 'application/xml', undefined, 'application/xml'],
        ['xml', 'text/xml', undefined, 'text/xml'],
        ['xml', 'TEXT/XML ; charset=UTF-8', undefined, 'text/xml'],
        ['form', 'application/x-www-form-urlencoded', undefined, 'application/json'],
        ['json', 'application/json', 'application/xml', 'application/xml'],
        ['json', 'application/json', 'text/xml', 'text/xml'],
        ['xml', 'text/xml', 'application/*', 'application/xml'],
        ['json', 'text/json', 'application/*', 'application/json'],
        ['xml', 'application/xml', 'text/*', 'text/xml'],
        ['form', 'application/x-www-form-urlencoded', 'text/*', 'text/json'],
        ['form', 'application/x-www-form-urlencoded', '*/*', 'application/json'],
        ['xml', 'application/xml', '*/*', 'application/xml'],
        ['xml', 'text/xml', '*/*', 'text/xml'],
        ['json', 'text/json', '*/*', 'text/json'],
        ['json', 'application/json', 'image/png', 'application/json'],
        ['xml', 'text/xml', 'image/png', 'text/xml'],
        ['xml', 'application/xml', 'application/json;q=0.5, text/json', 'text/json'],
      ];
      for (const [kind, type, accept, chosen] of cases) {
        const r = await send(bodies[kind]!, type, accept ? { accept } : {});
        const label = `${type} / ${accept}`;
        assert.deepEqual(
          [r.status, r.type, r.headers.get('cache-control'), r.headers.get('x-content-type-options')],
          [400, `${chosen}; charset=utf-8`, 'no-store', 'nosniff'],
          label,
        );
        const expected = chosen.endsWith('/xml') ? xmlError : jsonError;
        assert.equal(r.text, expected('invalid_request', 'ClientId is required.'), label);
      }
      const unknown = await send('x', 'text/plain', { accept: 'text/*' });
      assert.deepEqual([unknown.status, unknown.type], [415, 'text/json; charset=utf-8']);
    });

    it('other methods: 405, Allow: POST, in the envelope and format asked for', T, async () => {
      for (const method of ['GET', 'PUT', 'DELETE']) {
        const r = await send(null, null, { accept: 'application/json' }, method);
        assert.deepEqual(
          [r.status, r.headers.get('allow'), r.type, r.headers.get('cache-control'), r.text],
          [405, 'POST', 'application/json; charset=utf-8', 'no-store', jsonError('method_not_allowed', 'Use POST.')],
          method,
        );
      }
      const xml = await send(null, null, { accept: 'text/xml' }, 'GET');
      assert.deepEqual([xml.status, xml.type, xml.text], [405, 'text/xml; charset=utf-8', xmlError('method_not_allowed', 'Use POST.')]);
    });

    it('an unexpected failure: the generic server_error envelope, and one error log line naming the cause and path; a 4xx logs none', T, async () => {
      // The route's logger, swapped for the real one writing to a stream the test reads.
      const { logger, lines } = recordingLogger<{ level: number; msg: string; path?: string; err?: { type: string; message: string } }>();
      const original = app.deps.logger;
      app.deps.logger = logger;
      const failed = () => lines.filter((l) => l.msg === 'sag auth_code failed');
      try {
        const refused = await send(good({ Password: 'not the password' }), 'application/json');
        assert.equal(refused.status, 401);
        assert.deepEqual(failed(), [], 'a refusal is no failure of ours');
        await rawSql(app.config.databaseUrl, 'ALTER TABLE users RENAME TO users_away');
        let r: Sent;
        try {
          r = await send(good(), 'application/json');
        } finally {
          await rawSql(app.config.databaseUrl, 'ALTER TABLE users_away RENAME TO users');
        }
        assert.deepEqual(
          [r.status, r.type, r.headers.get('cache-control'), r.headers.get('retry-after')],
          [500, 'application/json; charset=utf-8', 'no-store', null],
        );
        assert.equal(r.text, jsonError('server_error', 'Something went wrong on our side. Try again in a moment.'));
        const logged = failed();
        assert.equal(logged.length, 1, JSON.stringify(lines));
        const [line] = logged;
        assert.deepEqual([line!.level, line!.path], [50, PATH]);
        // The database's own error, not the generic AppError wrapped around it.
        assert.notEqual(line!.err?.type, 'AppError');
        assert.match(line!.err?.message ?? '', /users/);
      } finally {
        app.deps.logger = original;
      }
    });

    it('a request without Accept is answered in its own format', T, async () => {
      const raw = (body: string, type: string) =>
        new Promise<{ status: number; type: string | undefined; text: string }>((resolve, reject) => {
          // node:http, not fetch: fetch always sends `Accept: */*`.
          const req = httpRequest(`${app.url}${PATH}`, {
            method: 'POST',
            headers: { 'content-type': type, 'content-length': Buffer.byteLength(body), 'x-forwarded-for': nextIp() },
          });
          req.on('response', (res) => {
            let text = '';
            res.setEncoding('utf8');
            res.on('data', (c: string) => (text += c));
            res.on('end', () => resolve({ status: res.statusCode!, type: res.headers['content-type'], text }));
          });
          req.on('error', reject);
          req.end(body);
        });
      const json = await raw(good(), 'application/json');
      assert.deepEqual([json.status, json.type], [200, 'application/json; charset=utf-8'], json.text);
      assert.match(json.text, /^\{"Header":\{"Message":"","StatusCode":0,"Status":"Ok","ErrorId":null\},"Body":\{"AuthCode":"[^"]+"\}\}$/);
      const xml = await raw(`<AuthCodeRequest xmlns="${REQUEST_NS}"/>`, 'text/xml');
      assert.deepEqual([xml.status, xml.type, xml.text], [400, 'text/xml; charset=utf-8', xmlError('invalid_request', 'ClientId is required.')]);
    });
  });
}
