/** The audit screen's filter, shared by its list and its download. */
import { z } from 'zod';
import type { AuditFilter, Store } from '../store/store.ts';

export const auditFilterSchema = z.object({
  kind: z.string().max(64).optional(),
  userId: z.string().max(100).optional(),
  actorId: z.string().max(100).optional(),
  subjectId: z.string().max(100).optional(),
  email: z.string().max(320).optional(),
  from: z.coerce.number().int().nonnegative().optional(),
  to: z.coerce.number().int().nonnegative().optional(),
  before: z.coerce.number().int().positive().optional(),
});

/** The store filter for `q`, or null when its email matches nobody (so nothing matches). */
export async function storeFilter(store: Store, q: z.infer<typeof auditFilterSchema>): Promise<AuditFilter | null> {
  let userId = q.userId;
  if (q.email) {
    const u = await store.users.findByEmail(q.email.trim().toLowerCase());
    if (!u) return null;
    userId = u.id;
  }
  return { kind: q.kind, userId, actorId: q.actorId, subjectId: q.subjectId, from: q.from, to: q.to, before: q.before };
}
