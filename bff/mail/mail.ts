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
import { escapeHtml, oneLine, portalName, type MailContent } from './templates.ts';

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

/** The branding an administrator saved (branding/): its name and support address go into every mail; `updatedAt` 0 means none was saved. */
export interface MailBrand {
  portalName: string;
  supportEmail: string | null;
  updatedAt: number;
}

/** MAIL_FROM's address without its display name. */
const fromAddress = (from: string) => /<([^<>\s]+)>\s*$/.exec(from)?.[1] ?? from.trim();

export function createMail(config: Config, store: Store, logger: Logger, now: () => number, brand?: () => MailBrand): Mail {
  const transport = createTransport(config, logger);
  const sealer = mailSealer(config.dataEncryptionKeys);
  const saved = () => {
    const b = brand?.();
    return b && b.updatedAt > 0 ? b : null;
  };
  // Until an administrator names the portal, MAIL_FROM's display name does; after, the saved name
  // is the sender's display name too (an address object: nodemailer encodes the name).
  const from = () => {
    const b = saved();
    return b ? { name: oneLine(b.portalName), address: fromAddress(config.mail.from) } : config.mail.from;
  };
  const worker = transport ? createMailWorker({ store, transport, sealer, from, logger, now }) : null;
  return {
    enabled: worker !== null,
    get portal() {
      return saved()?.portalName ?? portalName(config.mail.from);
    },
    worker,
    async send(kind, to, content) {
      if (!worker) throw mailDisabled();
      const id = await enqueueMail(store, sealer, kind, to, withSupport(content, saved()?.supportEmail ?? null), now());
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

/** Every mail ends with where to ask for help, when the branding names a support address. */
function withSupport(content: MailContent, support: string | null): MailContent {
  if (!support) return content;
  const line = `Questions? Write to ${support}.`;
  const html = `<p style="margin:16px 0 0;font-size:13px;color:#555">Questions? Write to <a href="mailto:${escapeHtml(support)}">${escapeHtml(support)}</a>.</p>`;
  return { ...content, text: `${content.text}\n\n${line}`, html: content.html.replace('</body>', `${html}</body>`) };
}
