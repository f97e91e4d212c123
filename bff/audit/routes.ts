/** The admin audit-log screen's API: filter by user, admin, kind and time, newest first, paged. */
import { Router } from 'express';
import { z } from 'zod';
import type { SessionDeps } from '../session/guard.ts';
import { requireAdmin } from '../session/guard.ts';
import { parse } from '../http/validate.ts';
import { auditFilterSchema, storeFilter } from './filter.ts';
import type { AuditPageWire, AuditPeople } from '../../api/audit.ts';

const filter = auditFilterSchema.extend({ limit: z.coerce.number().int().min(1).max(500).default(100) });

export function auditRoutes(deps: SessionDeps): Router {
  const r = Router();
  r.get('/admin/audit', async (req, res) => {
    await requireAdmin(deps, req, res);
    const q = parse(filter, req.query);
    const f = await storeFilter(deps.store, q);
    if (!f) {
      res.json({ entries: [] });
      return;
    }
    const entries = await deps.store.audit.list({ ...f, limit: q.limit });
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
