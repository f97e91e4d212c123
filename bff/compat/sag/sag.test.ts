/**
 * SaG AuthCodeRequest against the real app on both databases: each format
 * succeeds and its code redeems at /oauth/token; every bad input gets the
 * envelope with a stable ErrorId and the right status.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { startTestApp, type TestApp } from '../../testing/test-app.ts';
import { Agent } from '../../testing/agent.ts';
import { createAccount } from '../../accounts/accounts.ts';
import { registerClient } from '../../oauth/clients.ts';
import { REQUEST_NS, RESPONSE_NS } from './map.ts';
import { CLIENT_FAILURES_PER_SOURCE } from '../../oauth/client-throttle.ts';

const PASSWORD = 'correct horse battery staple';
const REDIRECT = 'https://partner.example/cb';
const XSI = 'http://www.w3.org/2001/XMLSchema-instance';
const URL_PATH = '/admin/login/auth_code';
/** Addresses as the trusted proxy reports them (TRUST_PROXY=1, X-Forwarded-For). */
const STRANGER = '203.0.113.21';
const STRANGER2 = '203.0.113.22';
const OWNER = '198.51.100.21';

interface Creds {
  ClientId: string;
  ClientSecret: string;
  Username: string;
  Password: string;
}

function xml(fields: Array<[string, string]>, root = `<AuthCodeRequest xmlns:i="${XSI}" xmlns="${REQUEST_NS}">`, close = '</AuthCodeRequest>'): string {
  return `${root} ${fields.map(([k, v]) => `<${k}>${v}</${k}>`).join(' ')} ${close}`;
}

/** The seed's own element order: ClientId, ClientSecret, Password, Username. */
const seedXml = (c: Creds) =>
  xml([
    ['ClientId', c.ClientId],
    ['ClientSecret', c.ClientSecret],
    ['Password', c.Password],
    ['Username', c.Username],
  ]);
const form = (c: Creds) => new URLSearchParams(c as unknown as Record<string, string>).toString();

interface Sent {
  status: number;
  type: string;
  text: string;
  headers: Headers;
}

async function send(app: TestApp, body: string | Buffer, contentType: string | null, headers: Record<string, string> = {}): Promise<Sent> {
  const res = await fetch(`${app.url}${URL_PATH}`, {
    method: 'POST',
    headers: { ...(contentType ? { 'content-type': contentType } : {}), ...headers },
    body: typeof body === 'string' ? body : new Uint8Array(body),
  });
  const text = await res.text();
  return { status: res.status, type: res.headers.get('content-type') ?? '', text, headers: res.headers };
}

function jsonEnvelope(r: Sent) {
  assert.match(r.type, /^application\/json/);
  return JSON.parse(r.text) as { Header: { Message: string; StatusCode: number; Status: string; ErrorId: string | null }; Body: { AuthCode: string | null } };
}

/** A failure envelope in whichever format the request used (XML requests are answered in XML). */
function assertError(r: Sent, status: number, errorId: string): void {
  assert.equal(r.status, status, r.text);
  if (/^(application|text)\/xml/.test(r.type)) {
    const m =
      /^<AuthCodeResponse [^>]+><Body><AuthCode i:nil="true" \/><\/Body><Header><ErrorId>([^<]+)<\/ErrorId><Message>([^<]+)<\/Message><Status>Error<\/Status><StatusCode>Error<\/StatusCode><\/Header><\/AuthCodeResponse>$/.exec(
        r.text,
      );
    assert.ok(m, `unexpected XML: ${r.text}`);
    assert.equal(m[1], errorId);
    return;
  }
  const e = jsonEnvelope(r);
  assert.equal(e.Header.ErrorId, errorId);
  assert.equal(e.Header.Status, 'Error');
  assert.equal(e.Header.StatusCode, 1);
  assert.equal(e.Body.AuthCode, null);
  assert.ok(e.Header.Message.length > 0);
}

function xmlCode(text: string): string {
  const m =
    /^<AuthCodeResponse xmlns:i="http:\/\/www\.w3\.org\/2001\/XMLSchema-instance" xmlns="([^"]+)"><Body><AuthCode>([^<]+)<\/AuthCode><\/Body><Header><ErrorId i:nil="true" \/><Message><\/Message><Status>Ok<\/Status><StatusCode>Ok<\/StatusCode><\/Header><\/AuthCodeResponse>$/.exec(
      text,
    );
  assert.ok(m, `unexpected XML: ${text}`);
  assert.equal(m[1], RESPONSE_NS);
  return m[2]!;
}

async function redeem(app: TestApp, code: string, clientId: string, secret: string): Promise<Response> {
  return fetch(`${app.config.issuer}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${clientId}:${secret}`).toString('base64')}` },
    body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT }),
  });
}

for (const db of ['sqlite', 'postgres'] as const) {
  describe(`SaG AuthCodeRequest (${db})`, () => {
    let app: TestApp;
    let good: Creds;
    let publicClientId: string;
    before(async () => {
      app = await startTestApp({ db, env: { RATE_LIMIT_LOGIN_PER_ACCOUNT: '3', TRUST_PROXY: '1' } });
      await createAccount(app.store, { email: 'op@example.com', password: PASSWORD, name: 'Operator' }, Date.now());
      const { client, secret } = await registerClient(
        app.store,
        { name: 'SaG Console', redirectUris: [REDIRECT, 'https://partner.example/other'], isPublic: false, scopes: ['openid', 'profile', 'offline_access'] },
        Date.now(),
      );
      good = { ClientId: client.clientId, ClientSecret: secret!, Username: 'op@example.com', Password: PASSWORD };
      publicClientId = (await registerClient(app.store, { name: 'Public', redirectUris: [REDIRECT], isPublic: true }, Date.now())).client.clientId;
    });
    after(() => app.close());

    it('JSON: answers the seed envelope and the code redeems once at /oauth/token', async () => {
      const sagSignIns = async () => (await app.store.audit.list({ kind: 'sign_in' })).filter((a) => a.data.via === 'sag');
      const auditedBefore = (await sagSignIns()).length;
      const r = await send(app, JSON.stringify(good), 'application/json');
      assert.equal(r.status, 200, r.text);
      const e = jsonEnvelope(r);
      assert.deepEqual(Object.keys(e), ['Header', 'Body']);
      assert.deepEqual(e.Header, { Message: '', StatusCode: 0, Status: 'Ok', ErrorId: null });
      assert.equal(r.headers.get('cache-control'), 'no-store');
      const code = e.Body.AuthCode!;
      const first = await redeem(app, code, good.ClientId, good.ClientSecret);
      assert.equal(first.status, 200);
      const tokens = (await first.json()) as { access_token: string; refresh_token: string; scope: string };
      assert.equal(tokens.access_token.split('.').length, 3);
      assert.ok(tokens.refresh_token);
      assert.deepEqual(tokens.scope.split(' ').sort(), ['offline_access', 'openid', 'profile']);
      const again = await redeem(app, code, good.ClientId, good.ClientSecret);
      assert.equal(again.status, 400);
      assert.equal(((await again.json()) as { error: string }).error, 'invalid_grant');
      const audited = await sagSignIns();
      assert.equal(audited.length - auditedBefore, 1, 'the sign-in is audited once, like the browser one');
      assert.doesNotMatch(JSON.stringify(audited), new RegExp(`${good.ClientSecret}|${PASSWORD}|${code}`));
    });

    it('XML: the seed request (any element order, prefixed namespace) gets the seed XML answer', async () => {
      const r = await send(app, seedXml(good), 'application/xml; charset=utf-8');
      assert.equal(r.status, 200, r.text);
      assert.match(r.type, /^application\/xml/);
      assert.equal((await redeem(app, xmlCode(r.text), good.ClientId, good.ClientSecret)).status, 200);

      const prefixed = `<?xml version="1.0" encoding="utf-8"?><s:AuthCodeRequest xmlns:s="${REQUEST_NS}"><s:Username>${good.Username}</s:Username><s:Password><![CDATA[${good.Password}]]></s:Password><s:ClientSecret>${good.ClientSecret}</s:ClientSecret><s:ClientId>${good.ClientId}</s:ClientId></s:AuthCodeRequest>`;
      const p = await send(app, prefixed, 'text/xml');
      assert.equal(p.status, 200, p.text);
      assert.match(p.type, /^text\/xml/);
      xmlCode(p.text);
    });

    it('form: succeeds and answers JSON', async () => {
      const r = await send(app, form(good), 'application/x-www-form-urlencoded');
      assert.equal(r.status, 200, r.text);
      const code = jsonEnvelope(r).Body.AuthCode!;
      assert.equal((await redeem(app, code, good.ClientId, good.ClientSecret)).status, 200);
    });

    it('Accept chooses the answer format, else the request format', async () => {
      const jsonAsXml = await send(app, JSON.stringify(good), 'application/json', { accept: 'application/xml' });
      assert.match(jsonAsXml.type, /^application\/xml/);
      xmlCode(jsonAsXml.text);
      const xmlAsJson = await send(app, seedXml(good), 'application/xml', { accept: 'application/json' });
      assert.equal(jsonEnvelope(xmlAsJson).Header.Status, 'Ok');
      const xmlAnything = await send(app, seedXml(good), 'application/xml', { accept: '*/*' });
      assert.match(xmlAnything.type, /^application\/xml/);
      const formAsTextXml = await send(app, form(good), 'application/x-www-form-urlencoded', { accept: 'text/xml' });
      assert.match(formAsTextXml.type, /^text\/xml/);
      const failedAsXml = await send(app, JSON.stringify({ ...good, ClientSecret: 'nope' }), 'application/json', { accept: 'application/xml' });
      assert.equal(failedAsXml.status, 401);
      assert.match(
        failedAsXml.text,
        /<Body><AuthCode i:nil="true" \/><\/Body><Header><ErrorId>invalid_credentials<\/ErrorId><Message>[^<]+<\/Message><Status>Error<\/Status><StatusCode>Error<\/StatusCode><\/Header>/,
      );
    });

    it('a wrong secret, an unknown client, a public client and a wrong user with the right secret answer identically', async () => {
      await createAccount(app.store, { email: 'enum@example.com', password: PASSWORD }, Date.now());
      const signedInAt = (await app.store.users.findByEmail(good.Username))!.lastSignInAt;
      const answers: Sent[] = [];
      for (const [i, creds] of [
        { ...good, ClientSecret: `${good.ClientSecret}x` },
        { ...good, ClientId: 'app_doesnotexist' },
        { ...good, ClientId: publicClientId, ClientSecret: 'anything' },
        { ...good, ClientId: 'portal-bff' },
        // The right secret with a wrong password or an unknown user: no confirmation of a guessed secret.
        { ...good, Username: 'enum@example.com', Password: 'not the password' },
        { ...good, Username: 'nobody@example.com', Password: 'not the password' },
      ].entries()) {
        // Each from its own address, so no counter reaches its limit here.
        answers.push(await send(app, JSON.stringify(creds), 'application/json', { 'x-forwarded-for': `192.0.2.${10 + i}` }));
      }
      assertError(answers[0]!, 401, 'invalid_credentials');
      for (const a of answers.slice(1)) {
        assert.equal(a.status, answers[0]!.status);
        assert.equal(a.text, answers[0]!.text);
        assert.equal(a.type, answers[0]!.type);
        assert.equal(a.headers.get('retry-after'), null);
      }
      // The operator's right password behind a wrong secret is no sign-in.
      assert.equal((await app.store.users.findByEmail(good.Username))!.lastSignInAt, signedInAt);
    });

    it('guessing the client secret slows the guessing address (429 + Retry-After); the right secret still works', async () => {
      const guess = { ...good, ClientSecret: 'a wrong secret' };
      for (let i = 0; i < CLIENT_FAILURES_PER_SOURCE; i++) {
        assertError(await send(app, JSON.stringify(guess), 'application/json', { 'x-forwarded-for': STRANGER }), 401, 'invalid_credentials');
      }
      const limited = await send(app, JSON.stringify(guess), 'application/json', { 'x-forwarded-for': STRANGER });
      assertError(limited, 429, 'too_many_attempts');
      assert.ok(Number(limited.headers.get('retry-after')) > 0);
      // The right secret with a wrong password, from there, answers the same: no oracle while throttled either.
      const rightSecret = await send(app, JSON.stringify({ ...good, Password: 'not the password' }), 'application/json', { 'x-forwarded-for': STRANGER });
      assert.equal(rightSecret.status, limited.status);
      assert.equal(rightSecret.text, limited.text);
      // The partner, from its own address and even from the guesser's, with the right secret.
      assert.equal((await send(app, JSON.stringify(good), 'application/json', { 'x-forwarded-for': OWNER })).status, 200);
      assert.equal((await send(app, JSON.stringify(good), 'application/json', { 'x-forwarded-for': STRANGER })).status, 200);
      // The limit is the token endpoint's: the same address is slowed there too.
      const basic = Buffer.from(`${good.ClientId}:another guess`).toString('base64');
      const token = await fetch(`${app.config.issuer}/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${basic}`, 'x-forwarded-for': STRANGER },
        body: new URLSearchParams({ grant_type: 'authorization_code', code: 'x', redirect_uri: REDIRECT }),
      });
      assert.equal(token.status, 429);
    });

    it('wrong passwords slow the failing address for that account, at every door; the owner elsewhere still signs in', async () => {
      await createAccount(app.store, { email: 'locked@example.com', password: PASSWORD }, Date.now());
      const bad = { ...good, Username: 'locked@example.com', Password: 'wrong password' };
      const from = { 'x-forwarded-for': STRANGER2 };
      for (let i = 0; i < 3; i++) assertError(await send(app, JSON.stringify(bad), 'application/json', from), 401, 'invalid_credentials');
      const locked = await send(app, form({ ...bad, Password: PASSWORD }), 'application/x-www-form-urlencoded', from);
      assertError(locked, 429, 'too_many_attempts');
      assert.ok(Number(locked.headers.get('retry-after')) > 0);
      // One counter for every door: the browser sign-in from that address waits too.
      const agent = new Agent(app.url);
      const { url } = await agent.follow('/bff/login', (u) => u.pathname.startsWith('/interaction/'));
      const browser = await agent.api(
        'POST',
        `/bff/interaction/${url.pathname.split('/')[2]}/login`,
        { email: 'locked@example.com', password: PASSWORD },
        from,
      );
      assert.equal(browser.status, 429);
      // The owner, from another address, is not locked out.
      assert.equal((await send(app, JSON.stringify({ ...bad, Password: PASSWORD }), 'application/json', { 'x-forwarded-for': OWNER })).status, 200);
    });

    it('refuses any DOCTYPE: XXE (file and metadata URL) never reads or fetches anything', async () => {
      for (const target of ['file:///etc/passwd', 'http://169.254.169.254/latest/meta-data/']) {
        const body =
          `<?xml version="1.0"?><!DOCTYPE AuthCodeRequest [<!ENTITY xxe SYSTEM "${target}">]>` +
          xml([
            ['ClientId', good.ClientId],
            ['ClientSecret', good.ClientSecret],
            ['Username', '&xxe;'],
            ['Password', PASSWORD],
          ]);
        const r = await send(app, body, 'application/xml');
        assertError(r, 400, 'invalid_request');
        assert.doesNotMatch(r.text, /root:|ami-id/);
      }
    });

    it('billion laughs and a quadratic blow-up are refused', async () => {
      const lol = ['<!ENTITY lol "lol">', ...Array.from({ length: 9 }, (_, i) => `<!ENTITY lol${i + 1} "${`&lol${i === 0 ? '' : i};`.repeat(10)}">`)].join('');
      const laughs =
        `<?xml version="1.0"?><!DOCTYPE lolz [${lol}]>` +
        xml([
          ['ClientId', '&lol9;'],
          ['ClientSecret', 'x'],
          ['Username', 'u'],
          ['Password', 'p'],
        ]);
      const r = await send(app, laughs, 'application/xml');
      assertError(r, 400, 'invalid_request');
      const quadratic =
        `<!DOCTYPE q [<!ENTITY a "${'a'.repeat(50_000)}">]>` +
        xml([
          ['ClientId', '&a;'.repeat(1000)],
          ['ClientSecret', 'x'],
          ['Username', 'u'],
          ['Password', 'p'],
        ]);
      assertError(await send(app, quadratic, 'application/xml'), 413, 'body_too_large');
      const quadraticSmall =
        `<!DOCTYPE q [<!ENTITY a "${'a'.repeat(1000)}">]>` +
        xml([
          ['ClientId', '&a;'.repeat(1000)],
          ['ClientSecret', 'x'],
          ['Username', 'u'],
          ['Password', 'p'],
        ]);
      assertError(await send(app, quadraticSmall, 'application/xml'), 400, 'invalid_request');
    });

    it('numeric character references stay bounded by the size cap', async () => {
      const refs = '&#65;'.repeat(3000);
      const r = await send(
        app,
        xml([
          ['ClientId', good.ClientId],
          ['ClientSecret', good.ClientSecret],
          ['Username', 'nobody@example.com'],
          ['Password', refs],
        ]),
        'application/xml',
      );
      assertError(r, 401, 'invalid_credentials');
    });

    it('duplicated fields are refused in every format', async () => {
      const jsonDup = `{"ClientId":"${good.ClientId}","ClientId":"${good.ClientId}","ClientSecret":"${good.ClientSecret}","Username":"op@example.com","Password":"${PASSWORD}"}`;
      assertError(await send(app, jsonDup, 'application/json'), 400, 'invalid_request');
      const jsonCase = JSON.stringify({ ...good, password: 'other' });
      assertError(await send(app, jsonCase, 'application/json'), 400, 'invalid_request');
      const xmlDup = xml([
        ['ClientId', good.ClientId],
        ['ClientId', 'app_other'],
        ['ClientSecret', good.ClientSecret],
        ['Username', 'op@example.com'],
        ['Password', PASSWORD],
      ]);
      assertError(await send(app, xmlDup, 'application/xml'), 400, 'invalid_request');
      const formDup = `${form(good)}&ClientId=app_other`;
      assertError(await send(app, formDup, 'application/x-www-form-urlencoded'), 400, 'invalid_request');
    });

    it('malformed JSON or XML, a wrong root or namespace, and missing fields are 400', async () => {
      assertError(await send(app, '{"ClientId": ', 'application/json'), 400, 'invalid_request');
      assertError(await send(app, '['.repeat(10_000), 'application/json'), 400, 'invalid_request');
      assertError(await send(app, seedXml(good).replace('</AuthCodeRequest>', ''), 'application/xml'), 400, 'invalid_request');
      assertError(await send(app, seedXml(good).replace('<Username>', '<Username>&undefined;'), 'application/xml'), 400, 'invalid_request');
      assertError(await send(app, seedXml(good).replace(REQUEST_NS, 'urn:other'), 'application/xml'), 400, 'invalid_request');
      assertError(await send(app, JSON.stringify({ ClientId: good.ClientId }), 'application/json'), 400, 'invalid_request');
      assertError(await send(app, '', 'application/json'), 400, 'invalid_request');
      const bad = await send(app, Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), 'application/json');
      assertError(bad, 400, 'invalid_request');
      const utf16 = `<?xml version="1.0" encoding="utf-16"?>${seedXml(good)}`;
      assertError(await send(app, utf16, 'application/xml'), 415, 'charset_unsupported');
    });

    it('non-string JSON values ($ne objects, arrays, numbers) are 400', async () => {
      for (const Username of [{ $ne: null }, ['op@example.com'], 42, true]) {
        assertError(await send(app, JSON.stringify({ ...good, Username }), 'application/json'), 400, 'invalid_request');
      }
      assertError(await send(app, JSON.stringify([good]), 'application/json'), 400, 'invalid_request');
    });

    it('__proto__ has no effect, as a JSON key or an XML element', async () => {
      const viaJson = `{"__proto__":{"isAdmin":true},"ClientId":"${good.ClientId}","ClientSecret":"${good.ClientSecret}","Username":"op@example.com","Password":"${PASSWORD}"}`;
      assert.equal((await send(app, viaJson, 'application/json')).status, 200);
      const flat = seedXml(good).replace('<ClientId>', '<__proto__>x</__proto__><ClientId>');
      assert.equal((await send(app, flat, 'application/xml')).status, 200);
      const nested = seedXml(good).replace('<ClientId>', '<__proto__><isAdmin>true</isAdmin></__proto__><ClientId>');
      assertError(await send(app, nested, 'application/xml'), 400, 'invalid_request');
      assert.equal(({} as Record<string, unknown>).isAdmin, undefined);
    });

    it('oversized bodies (plain or gzip) are 413; too many form parameters too', async () => {
      const big = JSON.stringify({ ...good, Password: 'x'.repeat(20_000) });
      assertError(await send(app, big, 'application/json'), 413, 'body_too_large');
      const bomb = gzipSync(Buffer.from(JSON.stringify({ ...good, Password: 'x'.repeat(5_000_000) })));
      assert.ok(bomb.length < 16 * 1024);
      assertError(await send(app, bomb, 'application/json', { 'content-encoding': 'gzip' }), 413, 'body_too_large');
      const many = Array.from({ length: 1001 }, (_, i) => `p${i}=`).join('&');
      assertError(await send(app, many, 'application/x-www-form-urlencoded'), 413, 'too_many_parameters');
    });

    it('unsupported content types and charsets are 415, in the envelope', async () => {
      assertError(await send(app, 'ClientId=x', 'text/plain'), 415, 'unsupported_media_type');
      assertError(await send(app, JSON.stringify(good), null), 415, 'unsupported_media_type');
      assertError(await send(app, JSON.stringify(good), 'application/json; charset=utf-7'), 415, 'charset_unsupported');
      const asXml = await send(app, 'x', 'text/plain', { accept: 'application/xml' });
      assert.equal(asXml.status, 415);
      assert.match(asXml.text, /<ErrorId>unsupported_media_type<\/ErrorId>/);
    });

    it('refuses cross-site browser requests and other methods', async () => {
      assertError(await send(app, form(good), 'application/x-www-form-urlencoded', { origin: 'https://evil.example' }), 403, 'forbidden_origin');
      assertError(await send(app, form(good), 'application/x-www-form-urlencoded', { 'sec-fetch-site': 'cross-site' }), 403, 'forbidden_origin');
      const get = await fetch(`${app.url}${URL_PATH}`, { headers: { accept: 'application/json' } });
      assert.equal(get.status, 405);
      assert.equal(get.headers.get('allow'), 'POST');
    });
  });
}
