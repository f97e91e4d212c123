/**
 * GET /healthz, the readiness probe. It proves both paths a request needs: a
 * read round trip and a tiny write (a heartbeat row; room to grow on SQLite).
 * It answers within a second whatever the database does: a probe that hangs
 * with a frozen database keeps the instance in the load balancer's rotation.
 */
import type { RequestHandler } from 'express';
import type { Store } from '../store/store.ts';
import type { Logger } from './logger.ts';
import { STORE_RETRY_AFTER } from './error-handler.ts';

/** Below the one second a probe is promised, with room for the HTTP round trip. */
const BUDGET_MS = 800;

type Outcome = { ok: true } | { ok: false; reason: string; message: string; err?: unknown };

const REASONS = {
  read: { reason: 'store_unreachable', message: 'The database cannot be reached.' },
  write: { reason: 'store_write_failed', message: 'The database answers but cannot store anything (disk full, read-only or locked).' },
  timeout: { reason: 'store_timeout', message: 'The database did not answer in time.' },
} as const;

/** `detail` adds facts to a healthy answer (the mail outbox's counts); it never fails the probe. */
export function healthRoute(store: Store, logger: Logger, detail?: () => Promise<Record<string, unknown>>): RequestHandler {
  // Probes arriving together share one check, so a frozen database does not collect a queue of them.
  let inflight: Promise<Outcome> | null = null;

  async function check(): Promise<Outcome> {
    try {
      await store.ping();
    } catch (err) {
      return { ok: false, ...REASONS.read, err };
    }
    try {
      await store.checkWrites();
    } catch (err) {
      return { ok: false, ...REASONS.write, err };
    }
    return { ok: true };
  }

  function checkWithin(ms: number): Promise<Outcome> {
    inflight ??= check().finally(() => {
      inflight = null;
    });
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<Outcome>((resolve) => {
      timer = setTimeout(() => resolve({ ok: false, ...REASONS.timeout }), ms);
    });
    return Promise.race([inflight, late]).finally(() => clearTimeout(timer));
  }

  return async (_req, res) => {
    const outcome = await checkWithin(BUDGET_MS);
    res.setHeader('Cache-Control', 'no-store');
    if (outcome.ok) {
      res.json({ status: 'ok', store: store.kind, ...(await detail?.().catch(() => ({}))) });
      return;
    }
    logger.warn({ err: outcome.err, reason: outcome.reason }, 'health check failed');
    res.setHeader('Retry-After', String(STORE_RETRY_AFTER));
    res.status(503).json({ status: 'unavailable', store: store.kind, reason: outcome.reason, message: outcome.message });
  };
}
