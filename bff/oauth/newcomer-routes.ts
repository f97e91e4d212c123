/**
 * Answers for the addresses a newcomer (or a client library) tries first, so
 * none of them is a dead end: discovery at the site root points to the
 * issuer's, and the common misspelling `/oauth/auth` names the real endpoint.
 */
import { Router } from 'express';
import { escapeHtml, htmlPage } from './pages.ts';

export function newcomerRoutes(issuer: string): Router {
  const r = Router();
  const discovery = `${issuer}/.well-known/openid-configuration`;
  const authorize = `${issuer}/authorize`;

  // The issuer is PUBLIC_URL/oauth, so its metadata lives under /oauth; libraries given the bare site ask here.
  r.get('/.well-known/openid-configuration', (_req, res) => {
    res.redirect(302, discovery);
  });

  r.get('/oauth/auth', (req, res) => {
    const message = `The authorization endpoint is ${authorize} (the full list is at ${discovery}).`;
    res.status(404);
    res.format({
      json: () => {
        res.json({ error: 'not_found', error_description: message, authorization_endpoint: authorize, discovery });
      },
      html: () => {
        res.setHeader('Content-Security-Policy', "default-src 'none'; style-src 'self'; frame-ancestors 'none'");
        res.send(
          htmlPage(
            'Not the authorization endpoint',
            `<h1>This is not the authorization endpoint</h1><p>Send people to <a href="${escapeHtml(authorize)}"><code>${escapeHtml(authorize)}</code></a> instead.</p><p class="muted">Every endpoint is listed in the <a href="${escapeHtml(discovery)}">discovery document</a>.</p>`,
          ),
        );
      },
      default: () => {
        res.type('text').send(message);
      },
    });
  });
  return r;
}
