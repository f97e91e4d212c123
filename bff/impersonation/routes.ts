/** The impersonation API: start (admins), stop (the impersonating browser). */
import { Router } from 'express';
import { z } from 'zod';
import type { SessionDeps } from '../session/guard.ts';
import { requireSession } from '../session/guard.ts';
import { parse } from '../http/validate.ts';
import { startImpersonation, stopImpersonation } from './impersonation.ts';

const startBody = z.object({
  userId: z.string().max(100),
  reason: z.string().max(2000),
  durationMinutes: z.number().int().optional(),
});

export function impersonationRoutes(deps: SessionDeps): Router {
  const r = Router();
  r.post('/impersonation/start', async (req, res) => {
    const cur = await requireSession(deps, req, res);
    const body = parse(startBody, req.body);
    res.json(await startImpersonation(deps, req, res, cur, body));
  });
  r.post('/impersonation/stop', async (req, res) => {
    const cur = await requireSession(deps, req, res);
    res.json(await stopImpersonation(deps, req, res, cur));
  });
  return r;
}
