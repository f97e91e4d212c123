/**
 * Requests the server makes to admin-supplied URLs (an upstream provider's
 * issuer, discovery document, JWKS, token and userinfo endpoints) go through
 * `guardedFetch`: it refuses loopback, private, link-local, unique-local,
 * multicast, unspecified and reserved addresses (IPv4-mapped and other
 * embedded IPv4 forms included), checking every address a name resolves to at
 * connect time and connecting only to a checked one, so a DNS answer cannot
 * change between the check and the connection. FEDERATION_ALLOW_PRIVATE lifts
 * the refusal for development against a local provider.
 *
 * Every refusal and every network failure throws the same UpstreamUnreachable,
 * so an admin cannot use error texts to map the internal network.
 */
import { lookup as dnsLookup, type LookupAddress, type LookupAllOptions } from 'node:dns';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { BlockList, isIP } from 'node:net';

/** The one text for every refused or failed upstream request. */
export const UNREACHABLE_MESSAGE = 'the provider could not be reached';

export class UpstreamUnreachable extends Error {
  constructor(cause?: unknown) {
    super(UNREACHABLE_MESSAGE, { cause });
    this.name = 'UpstreamUnreachable';
  }
}

const MAX_BODY = 1024 * 1024;
const TIMEOUT_MS = 10_000;

// Two lists: a BlockList also matches IPv4 addresses against IPv4-mapped IPv6 rules.
const blocked4 = new BlockList();
const blocked6 = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.88.99.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const)
  blocked4.addSubnet(net, prefix, 'ipv4');
for (const [net, prefix] of [
  ['::', 96],
  ['64:ff9b:1::', 48],
  ['100::', 64],
  ['2001::', 23],
  ['2001:db8::', 32],
  ['2002::', 16],
  ['fc00::', 7],
  ['fe80::', 10],
  ['fec0::', 10],
  ['ff00::', 8],
] as const)
  blocked6.addSubnet(net, prefix, 'ipv6');

/** The eight 16-bit groups of an IPv6 address (with a dotted IPv4 tail allowed). */
function ipv6Groups(ip: string): number[] {
  let s = ip.toLowerCase().replace(/%.*$/, '');
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(s);
  if (dotted) {
    const [a, b, c, d] = dotted.slice(1).map(Number) as [number, number, number, number];
    s = `${s.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = s.split('::') as [string, string | undefined];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const fill = tail === undefined ? 0 : 8 - h.length - t.length;
  return [...h, ...Array<string>(fill).fill('0'), ...t].map((g) => parseInt(g, 16));
}

/** True for any address the server must not reach on an admin's behalf. */
export function isRefusedAddress(ip: string): boolean {
  const family = isIP(ip);
  if (family === 4) return blocked4.check(ip, 'ipv4');
  if (family !== 6) return true;
  const g = ipv6Groups(ip);
  // An IPv4 address inside an IPv6 one (mapped, compatible, NAT64, 6to4) is judged as that IPv4 address.
  const v4 = (hi: number, lo: number) => blocked4.check(`${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`, 'ipv4');
  if (g.slice(0, 5).every((x) => x === 0) && (g[5] === 0 || g[5] === 0xffff)) return v4(g[6]!, g[7]!);
  if (g[0] === 0x64 && g[1] === 0xff9b && g.slice(2, 6).every((x) => x === 0)) return v4(g[6]!, g[7]!);
  if (g[0] === 0x2002 && v4(g[1]!, g[2]!)) return true;
  return blocked6.check(ip, 'ipv6');
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/** A `lookup` for net.connect that resolves, refuses if any answer is internal, and hands over only checked addresses. */
function guardedLookup(hostname: string, options: { all?: boolean }, callback: LookupCallback): void {
  dnsLookup(hostname, { all: true } satisfies LookupAllOptions, (err, addresses) => {
    if (err) return callback(err, []);
    if (addresses.length === 0 || addresses.some((a) => isRefusedAddress(a.address))) return callback(new UpstreamUnreachable(), []);
    if (options.all) return callback(null, addresses);
    callback(null, addresses[0]!.address, addresses[0]!.family);
  });
}

interface FetchOptions {
  method?: string;
  headers?: Record<string, string> | Headers;
  body?: string | URLSearchParams | Uint8Array | ArrayBuffer | null;
  signal?: AbortSignal | null;
  redirect?: string;
}

function send(url: URL, init: FetchOptions, allowPrivate: boolean): Promise<Response> {
  const literal = url.hostname.replace(/^\[|\]$/g, '');
  if (!allowPrivate && isIP(literal) && isRefusedAddress(literal)) return Promise.reject(new UpstreamUnreachable());
  const body =
    init.body == null
      ? undefined
      : typeof init.body === 'string' || init.body instanceof URLSearchParams
        ? Buffer.from(String(init.body))
        : Buffer.from(init.body as ArrayBuffer);
  const headers = Object.fromEntries(init.headers instanceof Headers ? init.headers.entries() : Object.entries(init.headers ?? {}));
  if (body && init.body instanceof URLSearchParams && !Object.keys(headers).some((k) => k.toLowerCase() === 'content-type'))
    headers['content-type'] = 'application/x-www-form-urlencoded;charset=UTF-8';
  const signal = init.signal ? AbortSignal.any([init.signal, AbortSignal.timeout(TIMEOUT_MS)]) : AbortSignal.timeout(TIMEOUT_MS);
  const request = url.protocol === 'https:' ? httpsRequest : url.protocol === 'http:' ? httpRequest : null;
  if (!request) return Promise.reject(new UpstreamUnreachable());
  return new Promise<Response>((resolve, reject) => {
    const req = request(
      url,
      { method: init.method ?? 'GET', headers, signal, ...(allowPrivate ? {} : { lookup: guardedLookup as never }) },
      (res: IncomingMessage) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size > MAX_BODY) res.destroy(new Error('response too large'));
          else chunks.push(c);
        });
        res.on('error', reject);
        res.on('end', () => {
          const out = new Headers();
          for (const [k, v] of Object.entries(res.headers)) for (const x of [v ?? []].flat()) out.append(k, x);
          const status = res.statusCode ?? 502;
          const nullBody = [101, 204, 205, 304].includes(status);
          resolve(new Response(nullBody ? null : Buffer.concat(chunks), { status, statusText: res.statusMessage, headers: out }));
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

export type GuardedFetch = (url: string | URL, init?: FetchOptions) => Promise<Response>;

/** A fetch for upstream providers: no internal addresses (unless allowed), no redirects followed, one error text. */
export function guardedFetch(allowPrivate: boolean): GuardedFetch {
  return async (url, init = {}) => {
    try {
      return await send(new URL(url), init, allowPrivate);
    } catch (e) {
      throw e instanceof UpstreamUnreachable ? e : new UpstreamUnreachable(e);
    }
  };
}
