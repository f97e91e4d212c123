/**
 * Where mail goes: SMTP (nodemailer, SMTP_URL), or in development the log and
 * an .eml file per message in MAIL_DIR, so a new user can finish every flow
 * without a mail server. Production without SMTP_URL has no transport at all.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import nodemailer, { type SendMailOptions } from 'nodemailer';
import type { Config } from '../config/config.ts';
import type { Logger } from '../http/logger.ts';
import type { MailContent } from './templates.ts';
import { oneLine } from './templates.ts';

export interface Envelope {
  id: string;
  /** MAIL_FROM as written, or the branding's name with MAIL_FROM's address. */
  from: string | { name: string; address: string };
  to: { name: string; address: string };
}

/** A failure that retrying cannot fix: an unsafe address, or the server's 5xx refusal. */
export class PermanentMailError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PermanentMailError';
  }
}

export function isPermanent(err: unknown): boolean {
  if (err instanceof PermanentMailError) return true;
  const code = (err as { responseCode?: unknown } | null)?.responseCode;
  return typeof code === 'number' && code >= 500 && code < 600;
}

export interface MailTransport {
  send(envelope: Envelope, content: MailContent): Promise<void>;
  close(): void;
}

/**
 * The message as nodemailer takes it. Addresses go as {name, address} objects, never as a
 * string we built: nodemailer encodes the name and the address cannot carry a header.
 */
function message(envelope: Envelope, content: MailContent): SendMailOptions {
  const address = envelope.to.address;
  if (/[\s<>,;"\\]/.test(address) || !/^[^@]+@[^@]+$/.test(address)) throw new PermanentMailError('refusing an unsafe recipient address');
  return {
    from: envelope.from,
    to: { name: oneLine(envelope.to.name), address },
    // Exactly one recipient, whatever the headers say.
    envelope: { to: [address] },
    subject: oneLine(content.subject),
    text: content.text,
    html: content.html,
    messageId: `<${envelope.id}@portal.mail>`,
    disableFileAccess: true,
    disableUrlAccess: true,
  };
}

export function createTransport(config: Config, logger: Logger): MailTransport | null {
  const { mail } = config;
  if (mail.mode === 'off') return null;
  if (mail.mode === 'smtp') {
    const smtp = nodemailer.createTransport({ url: mail.smtpUrl!, connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 20_000 });
    return {
      async send(envelope, content) {
        await smtp.sendMail(message(envelope, content));
      },
      close: () => smtp.close(),
    };
  }
  const stream = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'unix' });
  return {
    async send(envelope, content) {
      const info = await stream.sendMail(message(envelope, content));
      await mkdir(mail.dir, { recursive: true, mode: 0o700 });
      const file = join(mail.dir, `${new Date().toISOString().replace(/[:.]/g, '-')}-${envelope.id}.eml`);
      await writeFile(file, info.message as Buffer, { mode: 0o600 });
      // Development only: the one-time link or code is what a new user needs to read here.
      logger.info(
        { mailTo: envelope.to.address, subject: content.subject, file, devMailText: content.text },
        'development mail (no SMTP_URL): written to the log and to MAIL_DIR',
      );
    },
    close: () => stream.close(),
  };
}
