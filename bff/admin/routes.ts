/** Admin API: partner apps and users. Refused while impersonating. */
import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import type { SessionDeps, Current } from '../session/routes.ts';
import { requireSession } from '../session/routes.ts';
import { parse } from '../http/validate.ts';
import { forbidden, notFound } from '../http/errors.ts';
import { clientIp } from '../http/security.ts';
import { publicClient, registerClient, rotateClientSecret } from '../oauth/clients.ts';
import { SCOPES } from '../oauth/scopes.ts';
import { publicUser } from '../accounts/accounts.ts';
import { setUsername } from '../accounts/usernames.ts';
import { requireAdminSecondFactor } from '../mfa/policy.ts';

const newClient = z.object({
  name: z.string().max(200),
  redirectUris: z.array(z.string().max(2000)).max(20),
  public: z.boolean().default(false),
  scopes: z.array(z.string().max(100)).max(20).default([]),
  logoUrl: z.string().max(2000).nullish(),
  defaultScope: z.array(z.string().max(100)).max(20).default([]),
  accessTokenTtl: z.number().int().nullish(),
  legacyRefresh: z.boolean().default(false),
});

export async function requireAdmin(deps: SessionDeps, req: Request, res: Response): Promise<Current> {
  const c = await requireSession(deps, req, res);
  if (c.session.data.impersonation) throw forbidden('impersonation_forbidden', 'Admin screens are not available while you impersonate a user. Stop impersonating first.');
  if (c.user.role !== 'admin') throw forbidden('admin_required', 'You need to be an administrator to do this.');
  // MFA_ADMINS=required: no admin screen until a second factor is set up (the SPA opens the setup screen).
  await requireAdminSecondFactor(deps, c.user);
  return c;
}

export function adminRoutes(deps: SessionDeps): Router {
  const r = Router();
  const { store } = deps;

  r.get('/scopes', (_req, res) => {
    res.json({ scopes: SCOPES });
  });

  r.get('/admin/clients', async (req, res) => {
    await requireAdmin(deps, req, res);
    const clients = (await store.clients.list()).filter((c) => !c.firstParty);
    res.json({ clients: clients.map(publicClient) });
  });

  r.post('/admin/clients', async (req, res) => {
    const { user } = await requireAdmin(deps, req, res);
    const b = parse(newClient, req.body);
    const { client, secret } = await registerClient(store, { name: b.name, redirectUris: b.redirectUris, isPublic: b.public, scopes: b.scopes, logoUrl: b.logoUrl, defaultScope: b.defaultScope, accessTokenTtl: b.accessTokenTtl, legacyRefresh: b.legacyRefresh }, deps.now());
    await deps.audit.record('client_registered', { actorId: user.id, ip: clientIp(req), userAgent: req.get('user-agent') ?? null, data: { clientId: client.clientId, name: client.name, public: secret === null, legacyRefresh: client.legacyRefresh === true } });
    res.status(201).json({ clientId: client.clientId, ...(secret ? { clientSecret: secret } : {}) });
  });

  r.delete('/admin/clients/:clientId', async (req, res) => {
    const { user } = await requireAdmin(deps, req, res);
    const c = await store.clients.find(String(req.params.clientId));
    if (!c || c.firstParty || !(await store.clients.delete(c.clientId))) throw notFound('client_not_found', 'No such partner app.');
    await deps.audit.record('client_deleted', { actorId: user.id, ip: clientIp(req), userAgent: req.get('user-agent') ?? null, data: { clientId: c.clientId, name: c.name } });
    res.json({ ok: true });
  });

  // The old secret stops working at once: the SPA confirms before it calls this.
  r.post('/admin/clients/:clientId/secret', async (req, res) => {
    const { user } = await requireAdmin(deps, req, res);
    const clientId = String(req.params.clientId);
    const clientSecret = await rotateClientSecret(store, clientId);
    await deps.audit.record('client_secret_rotated', { actorId: user.id, ip: clientIp(req), userAgent: req.get('user-agent') ?? null, data: { clientId } });
    res.json({ clientId, clientSecret });
  });

  r.get('/admin/users', async (req, res) => {
    await requireAdmin(deps, req, res);
    const query = typeof req.query.query === 'string' ? req.query.query.slice(0, 200) : undefined;
    const users = await store.users.list({ query, limit: 100 });
    res.json({ users: users.map(publicUser) });
  });

  // Sets or (null, '') removes a user's sign-in username (seed 002, SaG).
  r.put('/admin/users/:userId/username', async (req, res) => {
    const { user: admin } = await requireAdmin(deps, req, res);
    const b = parse(z.object({ username: z.string().max(200).nullable() }), req.body);
    const user = await setUsername(store, String(req.params.userId), b.username, deps.now());
    await deps.audit.record('username_set', { actorId: admin.id, subjectId: user.id, ip: clientIp(req), userAgent: req.get('user-agent') ?? null, data: { username: user.username ?? null } });
    res.json({ user: publicUser(user) });
  });

  return r;
}
