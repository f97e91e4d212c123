/**
 * Putting mail in the outbox. The body (it holds the one-time link or code) is
 * sealed with DATA_ENCRYPTION_KEYS, bound to the message id, so the database
 * alone never reveals a live link; the store clears it once sent.
 */
import { randomUUID } from 'node:crypto';
import { createSealer, type Sealer } from '../http/at-rest.ts';
import type { OutboxMessage, Store } from '../store/store.ts';
import type { MailContent } from './templates.ts';
import { oneLine } from './templates.ts';

export interface Recipient {
  address: string;
  name: string;
}

export function mailSealer(keys: Readonly<Record<number, string>>): Sealer {
  return createSealer(keys, { version: 'mail1', salt: 'portal-mail-outbox', info: 'mail body' });
}

/** Writes the message to the outbox; returns its id. Nothing is sent here. */
export async function enqueueMail(store: Store, sealer: Sealer, kind: string, to: Recipient, content: MailContent, now: number): Promise<string> {
  const id = randomUUID();
  const body = sealer.seal(JSON.stringify({ text: content.text, html: content.html }), id);
  await store.mailOutbox.enqueue({
    id,
    kind,
    toAddress: to.address,
    toName: oneLine(to.name).slice(0, 200),
    subject: oneLine(content.subject),
    body,
    createdAt: now,
  });
  return id;
}

/** The message's content, or null when its body cannot be opened (key removed, tampered). */
export function openMail(sealer: Sealer, m: OutboxMessage): MailContent | null {
  const plain = sealer.open(m.body, m.id);
  if (plain === null) return null;
  const { text, html } = JSON.parse(plain) as { text: string; html: string };
  return { subject: m.subject, text, html };
}
