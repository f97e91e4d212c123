/**
 * Lets oidc-provider's introspection and revocation endpoints accept our JWT
 * access tokens. oidc-provider refuses any token that parses as a JWS there
 * ("Structured JWT Tokens cannot be introspected"), so the `token` parameter
 * is re-labelled `~<jwt>` before the provider reads the body; the adapter
 * verifies the signature and maps it to the stored token. Client
 * authentication, policy and the response stay oidc-provider's own.
 * See docs/decisions/0002-jwt-access-tokens.md.
 */
import { IncomingMessage } from 'node:http';
import type { Request, Response, NextFunction } from 'express';
import { formBodyProblem } from '../http/input-guard.ts';

export const JWT_MARK = '~';
const LOOKS_LIKE_JWT = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
const LIMIT = 56 * 1024;

async function readRaw(req: Request): Promise<Buffer | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > LIMIT) return null;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/**
 * Also the edge check of every form body oidc-provider reads (token, authorize by POST, logout
 * confirmation…): a NUL or bytes that are not UTF-8 get an RFC 6749 `invalid_request` here, before
 * the provider looks anything up with them.
 */
export function structuredTokenShim(callback: (req: IncomingMessage, res: Response) => unknown) {
  return async (req: Request, res: Response, next: NextFunction) => {
    if (req.method !== 'POST' || !req.is('application/x-www-form-urlencoded')) return next();
    let raw: Buffer | null;
    try {
      raw = await readRaw(req);
    } catch (e) {
      // Most likely the client went away mid-body; the error handler knows an abort when it sees one.
      return next(e);
    }
    if (raw === null) {
      res.status(400).json({ error: 'invalid_request', error_description: 'request entity too large' });
      return;
    }
    const problem = formBodyProblem(raw);
    if (problem) {
      res.setHeader('Cache-Control', 'no-store');
      res.status(400).json({ error: 'invalid_request', error_description: problem });
      return;
    }
    let body = raw;
    if (req.path === '/introspect' || req.path === '/revoke') {
      const params = new URLSearchParams(raw.toString('utf8'));
      const tokens = params.getAll('token');
      if (tokens.length === 1 && LOOKS_LIKE_JWT.test(tokens[0]!)) params.set('token', JWT_MARK + tokens[0]);
      body = Buffer.from(params.toString());
    }
    // A fresh, readable request carrying the rewritten body, so oidc-provider parses it itself.
    const clone = new IncomingMessage(req.socket);
    clone.method = req.method;
    clone.url = req.url;
    clone.httpVersion = req.httpVersion;
    clone.headers = { ...req.headers, 'content-length': String(body.length) };
    delete clone.headers['transfer-encoding'];
    (clone as IncomingMessage & { originalUrl?: string }).originalUrl = req.originalUrl;
    clone.push(body);
    clone.push(null);
    // Without `complete`, destroying the finished clone would also destroy the shared socket.
    clone.complete = true;
    callback(clone, res);
  };
}

/** The JWT inside a value the adapter was asked for, or null when it is not one. */
export function jwtFromLookupValue(value: string): string | null {
  const v = value.startsWith(JWT_MARK) ? value.slice(JWT_MARK.length) : value;
  return LOOKS_LIKE_JWT.test(v) ? v : null;
}
