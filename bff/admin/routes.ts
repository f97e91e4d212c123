/** Admin API: partner apps and users. Refused while impersonating. */
import { Router } from 'express';
import { z } from 'zod';
import { requireAdmin, type SessionDeps } from '../session/guard.ts';
import { parse } from '../http/validate.ts';
import { notFound } from '../http/errors.ts';
import { clientIp } from '../http/security.ts';
import { publicClient, registerClient, rotateClientSecret } from '../oauth/clients.ts';
import { SCOPES } from '../oauth/scopes.ts';
import { clientPatchSchema, clientUpdateAuditData, updateClient } from '../oauth/client-update.ts';
import { validateClientOptions } from '../oauth/client-options.ts';
import { publicUser } from '../accounts/accounts.ts';
import { setUsername } from '../accounts/usernames.ts';

const newClient = z.object({
  name: z.string().max(200),
  redirectUris: z.array(z.string().max(2000)).max(20),
  public: z.boolean().default(false),
  scopes: z.array(z.string().max(100)).max(20).default([]),
  logoUrl: z.string().max(2000).nullish(),
  defaultScope: z.array(z.string().max(100)).max(20).default([]),
  accessTokenTtl: z.number().int().nullish(),
  legacyRefresh: z.boolean().default(false),
  postLogoutRedirectUris: z.array(z.string().max(2000)).max(20).optional(),
  backchannelLogoutUri: z.string().max(2000).nullish(),
  backchannelLogoutSessionRequired: z.boolean().default(false),
});

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
    const options = validateClientOptions(
      { backchannelLogoutUri: b.backchannelLogoutUri, backchannelLogoutSessionRequired: b.backchannelLogoutSessionRequired },
      b.public,
    );
    const { client, secret } = await registerClient(
      store,
      {
        name: b.name,
        redirectUris: b.redirectUris,
        isPublic: b.public,
        scopes: b.scopes,
        logoUrl: b.logoUrl,
        defaultScope: b.defaultScope,
        accessTokenTtl: b.accessTokenTtl,
        legacyRefresh: b.legacyRefresh,
        postLogoutRedirectUris: b.postLogoutRedirectUris,
        options,
      },
      deps.now(),
    );
    await deps.audit.record('client_registered', {
      actorId: user.id,
      ip: clientIp(req),
      userAgent: req.get('user-agent') ?? null,
      data: { clientId: client.clientId, name: client.name, public: secret === null, legacyRefresh: client.legacyRefresh === true },
    });
    res.status(201).json({ clientId: client.clientId, ...(secret ? { clientSecret: secret } : {}) });
  });

  r.delete('/admin/clients/:clientId', async (req, res) => {
    const { user } = await requireAdmin(deps, req, res);
    const c = await store.clients.find(String(req.params.clientId));
    if (!c || c.firstParty || !(await store.clients.delete(c.clientId))) throw notFound('client_not_found', 'No such partner app.');
    await deps.audit.record('client_deleted', {
      actorId: user.id,
      ip: clientIp(req),
      userAgent: req.get('user-agent') ?? null,
      data: { clientId: c.clientId, name: c.name },
    });
    res.json({ ok: true });
  });

  r.patch('/admin/clients/:clientId', async (req, res) => {
    const { user } = await requireAdmin(deps, req, res);
    const { client, changed } = await updateClient(store, String(req.params.clientId), parse(clientPatchSchema, req.body));
    if (changed.length)
      await deps.audit.record('client_updated', {
        actorId: user.id,
        ip: clientIp(req),
        userAgent: req.get('user-agent') ?? null,
        data: clientUpdateAuditData(client, changed),
      });
    res.json({ client: publicClient(client), changed });
  });

  // The old secret stops working at once: the SPA confirms before it calls this.
  r.post('/admin/clients/:clientId/secret', async (req, res) => {
    const { user } = await requireAdmin(deps, req, res);
    const clientId = String(req.params.clientId);
    const clientSecret = await rotateClientSecret(store, clientId);
    await deps.audit.record('client_secret_rotated', { actorId: user.id, ip: clientIp(req), userAgent: req.get('user-agent') ?? null, data: { clientId } });
    res.json({ clientId, clientSecret });
  });

  // Sets or (null, '') removes a user's sign-in username (seed 002, SaG).
  r.put('/admin/users/:userId/username', async (req, res) => {
    const { user: admin } = await requireAdmin(deps, req, res);
    const b = parse(z.object({ username: z.string().max(200).nullable() }), req.body);
    const user = await setUsername(store, String(req.params.userId), b.username, deps.now());
    await deps.audit.record('username_set', {
      actorId: admin.id,
      subjectId: user.id,
      ip: clientIp(req),
      userAgent: req.get('user-agent') ?? null,
      data: { username: user.username ?? null },
    });
    res.json({ user: publicUser(user) });
  });

  return r;
}
