/**
 * The URL guard of http/input-guard.ts, told which format each part of the
 * portal answers in: RFC 6749 JSON at /oauth (a page, never a redirect, on
 * the browser endpoints), WorkOS JSON, the SaG envelope, and the BFF's own
 * `{error, message}` for everything else.
 */
import type { Request, RequestHandler, Response } from 'express';
import type { Config } from './config/config.ts';
import { urlGuard, type GuardResponder } from './http/input-guard.ts';
import { errorPage } from './oauth/pages.ts';
import { errorBody, invalidRequest } from './compat/workos/map.ts';
import { failure, toJson } from './compat/sag/map.ts';
import { PATH as SAG_PATH } from './compat/sag/schema.ts';

const BROWSER_PATHS = ['/oauth/authorize', '/oauth/logout', '/user_management/authorize', '/user_management/sessions/logout'];

export function edgeGuard(config: Config): RequestHandler {
  const page = (res: Response, message: string) => {
    res
      .status(400)
      .type('html')
      .send(errorPage('invalid_request', message, config.publicUrl));
  };
  const isBrowserPath = (req: Request) => BROWSER_PATHS.some((p) => req.path === p || req.path.startsWith(`${p}/`));
  const oauth: GuardResponder = (req, res, message) => {
    if (isBrowserPath(req)) return page(res, message);
    res.status(400).json({ error: 'invalid_request', error_description: message });
  };
  const workos: GuardResponder = (req, res, message) => {
    if (isBrowserPath(req)) return page(res, message);
    res.status(400).json(errorBody(invalidRequest(message, 'invalid_request')));
  };
  const sag: GuardResponder = (_req, res, message) => {
    res
      .status(400)
      .type('application/json; charset=utf-8')
      .send(toJson(failure('invalid_request', message)));
  };
  const bff: GuardResponder = (_req, res, message) => {
    res.status(400).json({ error: 'invalid_request', message });
  };
  return urlGuard(
    [
      ['/oauth', oauth],
      ['/user_management', workos],
      ['/sso', workos],
      [SAG_PATH, sag],
    ],
    bff,
  );
}
