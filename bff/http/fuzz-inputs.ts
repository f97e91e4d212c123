/**
 * The fuzz test's inputs: every route of the real app (the Express router
 * stack, walked, plus oidc-provider's endpoints from discovery), and a seeded
 * generator of hostile requests against them. Test-only.
 */
import type { Express } from 'express';

export interface Route {
  method: string;
  path: string;
}

interface Layer {
  rawPath?: unknown;
  route?: { path: unknown; methods: Record<string, boolean> };
  handle?: { stack?: Layer[] };
}

function walk(stack: Layer[], prefix: string, out: Route[]): void {
  for (const l of stack) {
    const mount = typeof l.rawPath === 'string' && l.rawPath !== '/' ? l.rawPath : '';
    if (l.route) {
      // The SPA's catch-all is a RegExp: any other path stands in for it.
      const path = typeof l.route.path === 'string' ? prefix + l.route.path : `${prefix}/account`;
      for (const m of Object.keys(l.route.methods)) out.push({ method: m === '_all' ? 'PUT' : m.toUpperCase(), path });
    } else if (l.handle?.stack) {
      walk(l.handle.stack, prefix + mount, out);
    }
  }
}

/** Every route of the app: its Express stack, and the provider's endpoints named in discovery. */
export function collectRoutes(app: Express, discovery: Record<string, unknown>): Route[] {
  const routes: Route[] = [];
  walk((app as unknown as { router: { stack: Layer[] } }).router.stack, '', routes);
  const provider = ['/oauth/.well-known/openid-configuration', '/oauth/authorize/:uid', '/oauth/logout/confirm'];
  for (const [key, value] of Object.entries(discovery)) {
    if (typeof value === 'string' && (key.endsWith('_endpoint') || key === 'jwks_uri')) provider.push(new URL(value).pathname);
  }
  for (const path of provider) for (const method of ['GET', 'POST']) routes.push({ method, path });
  return routes;
}

const NAMES = [
  'client_id',
  'client_secret',
  'redirect_uri',
  'response_type',
  'scope',
  'state',
  'nonce',
  'code',
  'code_verifier',
  'code_challenge',
  'code_challenge_method',
  'grant_type',
  'refresh_token',
  'token',
  'token_type_hint',
  'prompt',
  'max_age',
  'login_hint',
  'returnTo',
  'reauth',
  'session_id',
  'return_to',
  'provider',
  'connection_id',
  'invitation_token',
  'email',
  'password',
  'name',
  'reason',
  'userId',
  'scopes',
  'redirectUris',
  'currentPassword',
  'newPassword',
  'xsrf',
  'logout',
  'id_token_hint',
  'post_logout_redirect_uri',
  'resource',
  'ClientId',
  'ClientSecret',
  'Username',
  'Password',
  'issuer',
  'clientSecret',
  'discoveryUrl',
  'impersonation',
  'error',
  'iss',
];

const RAW_VALUES = [
  '',
  'a',
  'fuzz-partner',
  'portal-bff',
  'openid profile email',
  'authorization_code',
  'refresh_token',
  'code',
  'https://partner.example/cb',
  'root@example.com',
  '%00',
  'a%00b',
  '%ED%A0%80',
  '%C3%28',
  '%FF',
  '%',
  '%2',
  '%zz',
  '..%2F..%2Fetc',
  '%2e%2e',
  '\u0000',
  'a\u0000b',
  '\uD800',
  '😀',
  '<script>alert(1)</script>',
  "' OR 1=1 --",
  '${7*7}',
  '{{7*7}}',
  '__proto__',
  'constructor',
  'javascript:alert(1)',
  '//evil.example',
  'http://[::1',
  '-1',
  '1e309',
  'NaN',
  'true',
  'null',
  '[]',
  '{}',
  'x'.repeat(5000),
  'Fe26.2**a*b*c*d*e*f',
];

const CONTENT_TYPES = [
  undefined,
  'application/json',
  'application/json; charset=utf-8',
  'application/json; charset=utf-7',
  'application/json; charset=utf-16',
  'application/json; charset="UTF-8"',
  'application/json; charset=latin1',
  'application/x-www-form-urlencoded',
  'application/x-www-form-urlencoded; charset=iso-8859-1',
  'application/x-www-form-urlencoded; charset=utf-7',
  'text/plain',
  'application/xml',
  'text/xml; charset=utf-16',
  'multipart/form-data; boundary=x',
  'application/*',
  ';;;',
  'application/json; charset',
];

const COOKIE_NAMES = ['portal', 'portal-tx', 'portal_op', 'portal_op.sig', 'portal_op_i', 'portal_op_r', 'portal-fed', 'portal-fed-link'];
const COOKIE_VALUES = [
  'garbage',
  '',
  'Fe26.2*1*a*b*c*d*e*f',
  'Fe26.2*1*a*b*c*notanumber*e*f~2',
  'a*b*c*d*e*f*g*h',
  'Fe26.2*__proto__*a*b*c*d*e*f',
  'Fe26.2*9*a*b*c*1*e*f~2',
  'Fe26.2*1*a*b*c*1*e*f~x',
  '%ZZ',
  '%00',
  '%E0%A4%A',
  'x'.repeat(5000),
  '"quoted"',
  'Fe26.2*1**********',
];

export interface Context {
  origin: string;
  adminCookie: string;
  basic: string;
}

export interface Sent {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: Buffer;
}

export interface Fuzz {
  request(routes: Route[], ctx: Context): Sent;
}

/** A small seeded PRNG (mulberry32) and the request generator on top of it. */
export function mulberry32(seed: number): Fuzz {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)]!;
  const chance = (p: number) => next() < p;
  // Raw when the value is already (mal)encoded and printable ASCII (Node refuses anything else in a path).
  const enc = (v: string) =>
    v.includes('%') && /^[\x21-\x7e]*$/.test(v) && chance(0.7) ? v : encodeURIComponent(v.toWellFormed()).replace(/%EF%BF%BD/g, '%ED%A0%80');
  const rawValue = () => pick(RAW_VALUES);

  function pathFor(route: Route): string {
    let path = route.path.replace(/:[A-Za-z]+/g, () => enc(pick(['fuzz-partner', 'portal-bff', 'x', ...RAW_VALUES.slice(10, 30)])));
    if (chance(0.1)) path += pick(['/', '//', '/%00', '/%ED%A0%80', '/..%2f', '/x'.repeat(50), '%', '/%C0%AF']);
    if (chance(0.5)) {
      const n = 1 + int(4);
      const q: string[] = [];
      for (let i = 0; i < n; i++) q.push(`${chance(0.05) ? pick(['%00', '%zz', '%FF']) : pick(NAMES)}=${enc(rawValue())}`);
      if (chance(0.05)) q.push(pick(['&&', '=', 'a[b][c]=1', 'a=1&a=2', '%']));
      path += `?${q.join('&')}`;
    }
    return path;
  }

  function deep(n: number): string {
    return chance(0.5) ? '['.repeat(n) + ']'.repeat(n) : '{"a":'.repeat(n) + '1' + '}'.repeat(n);
  }

  function jsonBody(): string {
    const r = int(10);
    if (r === 0) return deep(pick([40, 2000, 20000]));
    if (r === 1) return JSON.stringify({ a: 'x'.repeat(pick([1000, 70000, 200000])) });
    if (r === 2) return pick(['', 'null', '[]', '"x"', '1', '{', '{"a":1,}', '\u0000', '{"a":"\\u0000"}', '{"__proto__":{"admin":true}}']);
    const obj: Record<string, unknown> = {};
    const n = 1 + int(6);
    for (let i = 0; i < n; i++) {
      obj[chance(0.05) ? 'a\u0000b' : pick(NAMES)] = pick<unknown>([rawValue(), rawValue(), 1, -1, null, true, [rawValue()], { $ne: null }, ['a', 'b']]);
    }
    return JSON.stringify(obj);
  }

  function formBody(): string {
    const n = 1 + int(6);
    const q: string[] = [];
    for (let i = 0; i < n; i++) q.push(`${pick(NAMES)}=${enc(rawValue())}`);
    return q.join('&');
  }

  function body(contentType: string | undefined): Buffer | undefined {
    if (chance(0.1)) return undefined;
    if (chance(0.08)) return Buffer.from([0xff, 0xfe, 0x00, 0xc3, 0x28, 0xed, 0xa0, 0x80, 0x7b]);
    const type = contentType ?? '';
    if (type.includes('json')) return Buffer.from(jsonBody(), chance(0.1) ? 'utf16le' : 'utf8');
    if (type.includes('urlencoded')) return Buffer.from(formBody());
    if (type.includes('xml'))
      return Buffer.from(
        pick(['<a/>', '<?xml version="1.0"?><!DOCTYPE a [<!ENTITY x "y">]><a>&x;</a>', '<AuthCodeRequest><ClientId>a&#0;b</ClientId></AuthCodeRequest>', '<']),
      );
    return Buffer.from(chance(0.5) ? jsonBody() : formBody());
  }

  function cookies(ctx: Context, path: string): string | undefined {
    const parts: string[] = [];
    if (chance(0.4) && !/logout|stop|account$/.test(path)) parts.push(ctx.adminCookie);
    if (chance(0.5)) {
      const n = 1 + int(3);
      for (let i = 0; i < n; i++) parts.push(`${pick(COOKIE_NAMES)}=${pick(COOKIE_VALUES)}`);
    }
    if (chance(0.05)) parts.push(ctx.adminCookie.replace(/[A-Za-z](?=[^=]*$)/, (c) => (c === 'a' ? 'b' : 'a')));
    return parts.length ? parts.join('; ') : undefined;
  }

  return {
    request(routes, ctx) {
      const route = pick(routes);
      const method = chance(0.9) ? route.method : pick(['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD']);
      const path = pathFor(route);
      const headers: Record<string, string> = { accept: pick(['application/json', 'text/html', '*/*', 'application/xml', 'image/png']) };
      const contentType = pick(CONTENT_TYPES);
      const b = method === 'GET' || method === 'HEAD' ? undefined : body(contentType);
      if (b && contentType) headers['content-type'] = contentType;
      if (chance(0.6)) Object.assign(headers, { origin: ctx.origin, 'sec-fetch-site': 'same-origin', 'x-portal-csrf': '1' });
      const cookie = cookies(ctx, path);
      if (cookie) headers.cookie = cookie;
      if (chance(0.25)) {
        headers.authorization = pick([
          ctx.basic,
          'Basic ' + Buffer.from('fuzz-partner\u0000:x').toString('base64'),
          'Basic ' + Buffer.from('a%00:%ZZ').toString('base64'),
          'Basic !!!',
          'Bearer a.b.c',
          'Bearer eyJhbGciOiJub25lIn0.e30.',
          'Bearer ' + 'x'.repeat(3000),
        ]);
      }
      return { method, path, headers, body: b };
    },
  };
}
