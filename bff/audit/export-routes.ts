/**
 * GET /bff/admin/audit/export: the audit screen's filtered entries as JSON
 * lines (newest first), written page by page as the store answers, so a long
 * log never sits in memory; the download itself is audited.
 */
import { once } from 'node:events';
import { Router } from 'express';
import type { SessionDeps } from '../session/guard.ts';
import { requireAdmin } from '../session/guard.ts';
import { parse } from '../http/validate.ts';
import { clientIp } from '../http/security.ts';
import { auditFilterSchema, storeFilter } from './filter.ts';

/** Entries read from the store per round trip. */
export const EXPORT_PAGE = 500;

export function auditExportRoutes(deps: SessionDeps): Router {
  const r = Router();
  r.get('/admin/audit/export', async (req, res) => {
    const { user } = await requireAdmin(deps, req, res);
    const q = parse(auditFilterSchema, req.query);
    const filter = await storeFilter(deps.store, q);
    // Recorded first: the download is in the log it downloads, and a failed write stops it before any byte leaves.
    await deps.audit.record('audit_exported', { actorId: user.id, ip: clientIp(req), userAgent: req.get('user-agent') ?? null, data: { filter: { ...q } } });
    const stamp = new Date(deps.now()).toISOString().slice(0, 19).replace(/[:T]/g, '-');
    res.status(200);
    res.setHeader('Content-Type', 'application/jsonl; charset=utf-8');
    res.setHeader('Content-Disposition', `attachment; filename="audit-${stamp}.jsonl"`);
    res.setHeader('Cache-Control', 'no-store');
    let closed = false;
    res.on('close', () => {
      closed = true;
    });
    let before = filter?.before;
    try {
      while (filter && !closed) {
        const page = await deps.store.audit.list({ ...filter, before, limit: EXPORT_PAGE });
        for (const e of page) {
          // Backpressure: a slow download pauses the reads instead of filling memory.
          if (!res.write(`${JSON.stringify(e)}\n`) && !closed) await Promise.race([once(res, 'drain'), once(res, 'close')]);
        }
        if (page.length < EXPORT_PAGE) break;
        before = page[page.length - 1]!.seq;
      }
      res.end();
    } catch (e) {
      // Headers are gone: cut the download short so the file is visibly incomplete rather than silently truncated.
      deps.logger.error({ err: e }, 'audit export failed mid-stream');
      res.destroy(e instanceof Error ? e : new Error(String(e)));
    }
  });
  return r;
}
