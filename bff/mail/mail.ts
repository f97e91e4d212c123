/**
 * The mail service the rest of the portal uses: `send` writes to the outbox
 * (durable before anything is acknowledged) and asks the worker for a round;
 * `enabled` is false in production without SMTP_URL, where the features that
 * need mail answer `mail_disabled` instead.
 */
import type { Config } from '../config/config.ts';
import type { Logger } from '../http/logger.ts';
import type { OutboxStats, Store } from '../store/store.ts';
import { AppError } from '../http/errors.ts';
import { createTransport } from './transport.ts';
import { createMailWorker, type MailWorker } from './worker.ts';
import { enqueueMail, mailSealer, type Recipient } from './outbox.ts';
import { portalName, type MailContent } from './templates.ts';

export interface Mail {
  readonly enabled: boolean;
  /** The portal's name for templates. */
  readonly portal: string;
  /** Queues a message; returns its outbox id. Throws mail_disabled when mail is off. */
  send(kind: string, to: Recipient, content: MailContent): Promise<string>;
  /** Null when mail is off. */
  readonly worker: MailWorker | null;
  /** For /healthz: counts only (reasons go to the log). */
  health(): Promise<OutboxStats & { mode: Config['mail']['mode'] }>;
  close(): Promise<void>;
}

export function mailDisabled(): AppError {
  return new AppError('mail_disabled', 'This portal cannot send mail (no SMTP_URL is configured). Ask an administrator.', { status: 503 });
}

export function createMail(config: Config, store: Store, logger: Logger, now: () => number): Mail {
  const transport = createTransport(config, logger);
  const sealer = mailSealer(config.dataEncryptionKeys);
  const worker = transport ? createMailWorker({ store, transport, sealer, from: config.mail.from, logger, now }) : null;
  return {
    enabled: worker !== null,
    portal: portalName(config.mail.from),
    worker,
    async send(kind, to, content) {
      if (!worker) throw mailDisabled();
      const id = await enqueueMail(store, sealer, kind, to, content, now());
      worker.kick();
      return id;
    },
    async health() {
      return { mode: config.mail.mode, ...(await store.mailOutbox.stats()) };
    },
    async close() {
      await worker?.stop();
      transport?.close();
    },
  };
}
