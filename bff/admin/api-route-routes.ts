/**
 * Admin API for the gateway's remote API routes (issue 18): list, add, remove.
 * Same checks as the rest of the admin API (admin role, not while
 * impersonating; the /bff origin and CSRF check); every change audited.
 */
import { Router, type Request } from 'express';
import { z } from 'zod';
import type { SessionDeps } from '../session/guard.ts';
import { requireAdmin } from '../session/guard.ts';
import { parse } from '../http/validate.ts';
import { clientIp } from '../http/security.ts';
import { createApiRoute, deleteApiRoute } from '../gateway/route-table.ts';

const newRoute = z.object({
  path: z.string().max(200),
  upstream: z.string().max(2000),
  resource: z.string().max(2000).nullish(),
  scopes: z.array(z.string().max(100)).max(50).default([]),
  requireRole: z.enum(['admin', 'user']).nullish(),
  anonymous: z.boolean().default(false),
  allowRedirects: z.boolean().default(false),
  maxBodyBytes: z.number().int().optional(),
  timeoutMs: z.number().int().optional(),
});

const meta = (req: Request) => ({ ip: clientIp(req), userAgent: req.get('user-agent') ?? null });

export function apiRouteAdminRoutes(deps: SessionDeps): Router {
  const r = Router();
  const { store } = deps;

  r.get('/admin/api-routes', async (req, res) => {
    await requireAdmin(deps, req, res);
    res.json({ routes: await store.apiRoutes.list() });
  });

  r.post('/admin/api-routes', async (req, res) => {
    const { user } = await requireAdmin(deps, req, res);
    const route = await createApiRoute(store, parse(newRoute, req.body), deps.now());
    await deps.audit.record('api_route_created', {
      actorId: user.id,
      ...meta(req),
      data: { path: route.path, upstream: route.upstream, resource: route.resource, scopes: route.scopes },
    });
    res.status(201).json({ route });
  });

  r.delete('/admin/api-routes', async (req, res) => {
    const { user } = await requireAdmin(deps, req, res);
    const { path } = parse(z.object({ path: z.string().max(200) }), req.body);
    await deleteApiRoute(store, path);
    await deps.audit.record('api_route_deleted', { actorId: user.id, ...meta(req), data: { path } });
    res.json({ ok: true });
  });

  return r;
}
