/**
 * A real SMTP server in-process (smtp-server) whose arrivals are parsed with
 * mailparser: tests read what a person's mailbox would get. `failing` makes
 * it refuse messages with a 451, like a mail server that is having trouble.
 */
import { SMTPServer } from 'smtp-server';
import { simpleParser, type ParsedMail } from 'mailparser';

export interface Arrival {
  /** RCPT TO addresses: who the message was really sent to, whatever the headers say. */
  envelopeTo: string[];
  raw: string;
  mail: ParsedMail;
}

export interface Inbox {
  url: string;
  arrivals: Arrival[];
  failing: boolean;
  /** Waits until at least `n` messages arrived (the worker sends off the request path). */
  waitFor(n: number, timeoutMs?: number): Promise<Arrival[]>;
  /** The arrivals for one address. */
  to(address: string): Arrival[];
  /** Waits until at least `n` messages arrived for `address`; returns them. */
  waitForTo(address: string, n: number, timeoutMs?: number): Promise<Arrival[]>;
  close(): Promise<void>;
}

export async function startInbox(): Promise<Inbox> {
  const arrivals: Arrival[] = [];
  const inbox: Inbox = {
    url: '',
    arrivals,
    failing: false,
    async waitFor(n, timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      while (arrivals.length < n) {
        if (Date.now() > deadline) throw new Error(`expected ${n} mail(s), ${arrivals.length} arrived`);
        await new Promise((r) => setTimeout(r, 20));
      }
      return arrivals;
    },
    to: (address) => arrivals.filter((a) => a.envelopeTo.includes(address)),
    async waitForTo(address, n, timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      while (inbox.to(address).length < n) {
        if (Date.now() > deadline) throw new Error(`expected ${n} mail(s) to ${address}, ${inbox.to(address).length} arrived`);
        await new Promise((r) => setTimeout(r, 20));
      }
      return inbox.to(address);
    },
    close: () => new Promise((r) => server.close(() => r())),
  };
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        if (inbox.failing) {
          const err = Object.assign(new Error('mailbox temporarily unavailable'), { responseCode: 451 });
          callback(err);
          return;
        }
        const raw = Buffer.concat(chunks).toString('utf8');
        simpleParser(raw)
          .then((mail) => {
            arrivals.push({ envelopeTo: session.envelope.rcptTo.map((r) => r.address), raw, mail });
            callback();
          })
          .catch(callback);
      });
    },
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const { port } = server.server.address() as { port: number };
  inbox.url = `smtp://127.0.0.1:${port}`;
  return inbox;
}
