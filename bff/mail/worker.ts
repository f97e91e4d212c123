/**
 * Delivers the outbox. Each round claims due messages with a lease (one
 * statement, so two instances never hold the same message), sends them, and
 * records the outcome. A failure is retried with exponential backoff; after
 * MAX_ATTEMPTS the message is given up and logged as an error. A worker that
 * dies mid-send leaves a lease that lapses: the message is due again, so
 * delivery is at-least-once only across such a crash, never across two
 * healthy instances.
 */
import { randomUUID } from 'node:crypto';
import type { Sealer } from '../http/at-rest.ts';
import type { Logger } from '../http/logger.ts';
import type { Store } from '../store/store.ts';
import { isPermanent, type Envelope, type MailTransport } from './transport.ts';
import { openMail } from './outbox.ts';

export const MAX_ATTEMPTS = 8;
/** Longer than one SMTP conversation may take (nodemailer's timeouts add to 40 s). */
export const LEASE_MS = 120_000;
const BATCH = 10;

/** The wait after the n-th failed attempt: 30 s, 1 min, 2 min, … at most one hour. */
export function backoffMs(attempts: number): number {
  return Math.min(30_000 * 2 ** Math.max(0, attempts - 1), 3_600_000);
}

export interface MailWorker {
  /** Delivers what is due now; returns how many it sent. */
  runOnce(): Promise<number>;
  /** Asks for a round soon (after an enqueue); rounds never overlap within one worker. */
  kick(): void;
  /** Polls every `intervalMs` (retries, and messages other instances or the CLI enqueued). */
  start(intervalMs: number): void;
  stop(): Promise<void>;
}

export interface WorkerDeps {
  store: Store;
  transport: MailTransport;
  sealer: Sealer;
  /** Read per message, so a new portal name is the sender's name without a restart. */
  from: string | (() => Envelope['from']);
  logger: Logger;
  now: () => number;
}

export function createMailWorker(d: WorkerDeps): MailWorker {
  const owner = randomUUID();
  let running: Promise<number> | null = null;
  let again = false;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;

  async function round(): Promise<number> {
    let sent = 0;
    for (;;) {
      const batch = await d.store.mailOutbox.claim(owner, d.now(), LEASE_MS, BATCH);
      for (const m of batch) {
        const content = openMail(d.sealer, m);
        try {
          if (!content) throw new Error('the message body cannot be opened (DATA_ENCRYPTION_KEYS changed?)');
          await d.transport.send({ id: m.id, from: typeof d.from === 'function' ? d.from() : d.from, to: { name: m.toName, address: m.toAddress } }, content);
        } catch (err) {
          const giveUp = !content || isPermanent(err) || m.attempts >= MAX_ATTEMPTS;
          const reason = err instanceof Error ? err.message : String(err);
          await d.store.mailOutbox.markFailed(m.id, owner, reason, giveUp ? null : d.now() + backoffMs(m.attempts), d.now());
          const line = { mailId: m.id, kind: m.kind, attempts: m.attempts, reason };
          if (giveUp) d.logger.error(line, 'mail delivery failed for good: gave up on the message');
          else d.logger.warn(line, 'mail delivery failed; it will be retried');
          continue;
        }
        await d.store.mailOutbox.markSent(m.id, owner, d.now());
        sent++;
      }
      if (batch.length < BATCH) return sent;
    }
  }

  function startRound(): Promise<number> {
    const p = round().finally(() => {
      running = null;
      if (again) {
        again = false;
        kick();
      }
    });
    running = p;
    return p;
  }

  /** A round of its own: waits for one already running, so its count is only this round's. */
  async function runOnce(): Promise<number> {
    while (running) await running.catch(() => 0);
    return startRound();
  }

  function kick(): void {
    if (stopped) return;
    if (running) {
      again = true;
      return;
    }
    startRound().catch((err) => d.logger.warn({ err }, 'mail outbox round failed'));
  }

  return {
    runOnce,
    kick,
    start(intervalMs) {
      timer = setInterval(kick, intervalMs);
      timer.unref();
      kick();
    },
    async stop() {
      stopped = true;
      clearInterval(timer);
      while (running) await running.catch(() => 0);
    },
  };
}
