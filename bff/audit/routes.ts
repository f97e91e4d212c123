/** The admin audit-log screen's API: filter by user, admin, kind and time, newest first, paged. */
import { Router } from 'express';
import { z } from 'zod';
import type { SessionDeps } from '../session/guard.ts';
import { requireAdmin } from '../session/guard.ts';
import { parse } from '../http/validate.ts';
import type { AuditPageWire, AuditPeople } from '../../api/audit.ts';

const filter = z.object({
  kind: z.string().max(64).optional(),
  userId: z.string().max(100).optional(),
  actorId: z.string().max(100).optional(),
  subjectId: z.string().max(100).optional(),
  email: z.string().max(320).optional(),
  from: z.coerce.number().int().nonnegative().optional(),
  to: z.coerce.number().int().nonnegative().optional(),
  before: z.coerce.number().int().positive().optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});

export function auditRoutes(deps: SessionDeps): Router {
  const r = Router();
  r.get('/admin/audit', async (req, res) => {
    await requireAdmin(deps, req, res);
    const q = parse(filter, req.query);
    let userId = q.userId;
    if (q.email) {
      const u = await deps.store.users.findByEmail(q.email.trim().toLowerCase());
      if (!u) {
        res.json({ entries: [] });
        return;
      }
      userId = u.id;
    }
    const entries = await deps.store.audit.list({ kind: q.kind, userId, actorId: q.actorId, subjectId: q.subjectId, from: q.from, to: q.to, before: q.before, limit: q.limit });
    // Names beside ids, so the screen reads as a record of people, not of UUIDs.
    const ids = [...new Set(entries.flatMap((e) => [e.actorId, e.subjectId]).filter((x): x is string => Boolean(x)))];
    const people: AuditPeople = {};
    for (const id of ids) {
      const u = await deps.store.users.findById(id);
      if (u) people[id] = { email: u.email, name: u.name };
    }
    res.json({ entries, people } satisfies AuditPageWire);
  });
  return r;
}
