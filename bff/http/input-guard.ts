/**
 * Input that no endpoint can mean, refused at the edge before any handler,
 * parser or database sees it: NUL characters (PostgreSQL refuses them in text
 * with SQLSTATE 22021, and no identifier, token or name of ours holds one),
 * malformed percent-encoding and percent-encoded bytes that are not UTF-8
 * (decodeURIComponent throws a URIError on them), JSON in any charset but
 * UTF-8 (body-parser would decode UTF-7), and JSON nested deeper than any
 * request of ours. Each refusal is a 400/415 in the endpoint's own format.
 */
import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import { badRequest } from './errors.ts';

/** Deeper than any body the portal accepts; walking it stays cheap and iterative. */
export const MAX_JSON_DEPTH = 32;

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Why a raw (still percent-encoded) URL component or form body is unacceptable, or null when it is fine. */
export function encodedProblem(raw: string): string | null {
  if (raw.includes('\0')) return 'contains a NUL character';
  if (!raw.includes('%')) return null;
  if (/%(?![0-9a-fA-F]{2})/.test(raw)) return 'has malformed percent-encoding';
  const bytes = Buffer.from(
    raw.replace(/%([0-9a-fA-F]{2})/g, (_m, h: string) => String.fromCharCode(parseInt(h, 16))),
    'latin1',
  );
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    return 'has percent-encoded bytes that are not UTF-8';
  }
  return text.includes('\0') ? 'contains a NUL character' : null;
}

/** The first string (key or value) in a parsed body that holds a NUL, as a path; '' for the body itself; null when none. */
export function nulPath(value: unknown): string | null {
  const stack: Array<[unknown, string, number]> = [[value, '', 0]];
  while (stack.length) {
    const [v, path, depth] = stack.pop()!;
    if (typeof v === 'string') {
      if (v.includes('\0')) return path;
      continue;
    }
    if (!v || typeof v !== 'object' || depth > MAX_JSON_DEPTH) continue;
    for (const [k, child] of Object.entries(v)) {
      const childPath = path ? `${path}.${k}` : k;
      if (k.includes('\0')) return childPath;
      stack.push([child, childPath, depth + 1]);
    }
  }
  return null;
}

/** How deeply a parsed JSON value nests (iteratively, so a hostile body cannot blow the stack). */
export function depthOf(value: unknown, limit = MAX_JSON_DEPTH + 1): number {
  let max = 0;
  const stack: Array<[unknown, number]> = [[value, 0]];
  while (stack.length) {
    const [v, depth] = stack.pop()!;
    if (!v || typeof v !== 'object') continue;
    max = Math.max(max, depth + 1);
    if (max >= limit) return max;
    for (const child of Object.values(v)) stack.push([child, depth + 1]);
  }
  return max;
}

/** Why HTTP Basic credentials are unacceptable (RFC 6749 §2.3.1: form-encoded id and secret), or null. */
export function authorizationProblem(header: string | undefined): string | null {
  const m = /^Basic\s+(\S+)\s*$/i.exec(header ?? '');
  if (!m) return null;
  const problem = encodedProblem(Buffer.from(m[1]!, 'base64').toString('latin1'));
  return problem ? `The Authorization header ${problem}.` : null;
}

/**
 * Why a request's raw URL (path and query, still percent-encoded) or its Basic credentials are
 * unacceptable, as the message of the 400, or null. The gateway, which runs without Express, asks it too.
 */
export function urlProblem(url: string, authorization: string | undefined): string | null {
  const q = url.indexOf('?');
  const problem = encodedProblem(q < 0 ? url : url.slice(0, q)) ?? (q < 0 ? null : encodedProblem(url.slice(q + 1)));
  return problem ? `The request URL ${problem}.` : authorizationProblem(authorization);
}

/** Answers a refused request in the format of the endpoint it was sent to. */
export type GuardResponder = (req: Request, res: Response, message: string) => void;

/**
 * Checks the raw path and query string of every request, and Basic credentials. `responders` maps a
 * path prefix to the format of the endpoints under it; `fallback` answers the
 * rest (the BFF's `{error, message}`).
 */
export function urlGuard(responders: Array<[prefix: string, respond: GuardResponder]>, fallback: GuardResponder): RequestHandler {
  return (req, res, next) => {
    const url = req.originalUrl;
    const message = urlProblem(url, req.get('authorization'));
    if (!message) return next();
    res.setHeader('Cache-Control', 'no-store');
    const match = responders.find(([prefix]) => url === prefix || url.startsWith(prefix.endsWith('/') ? prefix : `${prefix}/`) || url.startsWith(`${prefix}?`));
    (match ? match[1] : fallback)(req, res, message);
  };
}

function charsetUnsupported(charset: string): Error {
  // The same shape body-parser gives its own refusals, so every endpoint's error mapping knows it.
  return Object.assign(new Error(`unsupported charset "${charset.toUpperCase()}"`), {
    status: 415,
    statusCode: 415,
    expose: true,
    type: 'charset.unsupported',
    charset,
  });
}

/** Refuses a JSON body whose Content-Type names a charset other than UTF-8 (RFC 8259 §8.1). */
export function requireUtf8Json(req: Request, _res: Response, next: NextFunction): void {
  if (!req.is('application/json')) return next();
  const m = /;\s*charset\s*=\s*"?([^";\s]*)"?/i.exec(req.get('content-type') ?? '');
  const charset = m ? m[1]!.toLowerCase() : 'utf-8';
  next(charset === 'utf-8' || charset === 'utf8' ? undefined : charsetUnsupported(charset));
}

/** Makes the error for a refused body in the endpoint's own model: `field` names the member, `problem` says what is wrong. */
export type BodyRefusal = (field: string, problem: string) => Error;

const bffRefusal: BodyRefusal = (field, problem) => badRequest('invalid_request', `${field}: ${problem}`, { [field]: problem });
const NUL = 'must not contain a NUL character.';

/** Refuses a parsed body (JSON or form) that nests too deeply or holds a NUL anywhere. */
export function refuseBadBody(refuse: BodyRefusal = bffRefusal): RequestHandler {
  return (req, _res, next) => {
    const body: unknown = req.body;
    if (!body || typeof body !== 'object') return next();
    if (depthOf(body) > MAX_JSON_DEPTH) return next(refuse('body', `nests deeper than ${MAX_JSON_DEPTH} levels.`));
    const at = nulPath(body);
    if (at !== null) return next(refuse(at || 'body', NUL));
    next();
  };
}

/** A NUL-free string field of a body parsed by hand (SaG), or a 400. */
export function assertNoNul(fields: Iterable<[string, string | null]>, refuse: BodyRefusal = bffRefusal): void {
  for (const [name, value] of fields) if (value?.includes('\0')) throw refuse(name, NUL);
}

/** express.json, UTF-8 only, refusing NUL and deep nesting: the one JSON parser of the BFF and the compat APIs. */
export function jsonBody(opts: { limit: string }, refuse: BodyRefusal = bffRefusal): RequestHandler[] {
  return [requireUtf8Json, express.json({ limit: opts.limit, strict: true }), refuseBadBody(refuse)];
}

/** A 400 for a form body read by hand (oidc-provider's endpoints), or null when it is acceptable. */
export function formBodyProblem(raw: Buffer): string | null {
  try {
    utf8.decode(raw);
  } catch {
    return 'The request body is not valid UTF-8.';
  }
  // The checks read the body's bytes as latin1 characters, as Node gives a URL's: raw non-ASCII
  // text then round-trips to its own UTF-8 bytes beside the percent-decoded ones.
  const problem = encodedProblem(raw.toString('latin1').replace(/\+/g, ' '));
  return problem ? `The request body ${problem}.` : null;
}
