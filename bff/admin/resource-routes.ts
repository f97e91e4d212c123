/**
 * Admin API for machine clients (issue 15): the API resources they get tokens
 * for, and registering a machine client. Same checks as the rest of the admin
 * API (admin role, not while impersonating; the /bff origin and CSRF check).
 */
import { Router, type Request } from 'express';
import { z } from 'zod';
import type { SessionDeps } from '../session/guard.ts';
import { parse } from '../http/validate.ts';
import { clientIp } from '../http/security.ts';
import { publicClient } from '../oauth/clients.ts';
import { createResource, deleteResource, registerMachineClient } from '../oauth/machine.ts';
import { requireAdmin } from '../session/guard.ts';

const newResource = z.object({
  identifier: z.string().max(2000),
  name: z.string().max(200).optional(),
  scopes: z.array(z.string().max(100)).max(50).default([]),
});

const newMachineClient = z.object({
  name: z.string().max(200),
  scopes: z.array(z.string().max(100)).max(50).default([]),
  jwksUri: z.string().max(2000).nullish(),
});

const meta = (req: Request) => ({ ip: clientIp(req), userAgent: req.get('user-agent') ?? null });

export function resourceRoutes(deps: SessionDeps): Router {
  const r = Router();
  const { store } = deps;

  r.get('/admin/resources', async (req, res) => {
    await requireAdmin(deps, req, res);
    res.json({ resources: await store.resources.list() });
  });

  r.post('/admin/resources', async (req, res) => {
    const { user } = await requireAdmin(deps, req, res);
    const resource = await createResource(store, parse(newResource, req.body), deps.now());
    await deps.audit.record('resource_created', { actorId: user.id, ...meta(req), data: { identifier: resource.identifier, scopes: resource.scopes } });
    res.status(201).json({ resource });
  });

  r.delete('/admin/resources', async (req, res) => {
    const { user } = await requireAdmin(deps, req, res);
    const { identifier } = parse(z.object({ identifier: z.string().max(2000) }), req.body);
    await deleteResource(store, identifier);
    await deps.audit.record('resource_deleted', { actorId: user.id, ...meta(req), data: { identifier } });
    res.json({ ok: true });
  });

  r.post('/admin/machine-clients', async (req, res) => {
    const { user } = await requireAdmin(deps, req, res);
    const b = parse(newMachineClient, req.body);
    const { client, secret } = await registerMachineClient(store, b, deps.now());
    await deps.audit.record('client_registered', {
      actorId: user.id,
      ...meta(req),
      data: { clientId: client.clientId, name: client.name, machine: true, privateKeyJwt: secret === null },
    });
    res.status(201).json({ client: publicClient(client), ...(secret ? { clientSecret: secret } : {}) });
  });

  return r;
}
