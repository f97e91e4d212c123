/** Admin API for connections: list (never a secret), create (after discovery), delete. */
import { Router } from 'express';
import type { SessionDeps } from '../session/guard.ts';
import { requireAdmin } from '../session/guard.ts';
import { notFound } from '../http/errors.ts';
import { clientIp } from '../http/security.ts';
import { createConnection, publicConnection } from './connections.ts';

export function adminConnectionRoutes(deps: SessionDeps): Router {
  const r = Router();
  const { store } = deps;

  r.get('/admin/connections', async (req, res) => {
    await requireAdmin(deps, req, res);
    res.setHeader('Cache-Control', 'no-store');
    res.json({ connections: (await store.federation.listConnections()).map(publicConnection) });
  });

  r.post('/admin/connections', async (req, res) => {
    const { user } = await requireAdmin(deps, req, res);
    const c = await createConnection(
      { store, cookieSecrets: deps.config.cookieSecrets, now: deps.now(), allowPrivate: deps.config.federationAllowPrivate },
      req.body,
    );
    await deps.audit.record('connection_created', {
      actorId: user.id,
      ip: clientIp(req),
      userAgent: req.get('user-agent') ?? null,
      data: { connection: c.id, name: c.name, issuer: c.issuer, orgId: c.orgId, domains: c.domains },
    });
    res.status(201).json({ connection: publicConnection(c) });
  });

  r.delete('/admin/connections/:id', async (req, res) => {
    const { user } = await requireAdmin(deps, req, res);
    const c = await store.federation.findConnection(String(req.params.id));
    if (!c || !(await store.federation.deleteConnection(c.id))) throw notFound('connection_not_found', 'No such connection.');
    await deps.audit.record('connection_deleted', {
      actorId: user.id,
      ip: clientIp(req),
      userAgent: req.get('user-agent') ?? null,
      data: { connection: c.id, name: c.name },
    });
    res.json({ ok: true });
  });

  return r;
}
