import { z } from 'zod';

/** Lower-cased, trimmed, NFC; one address per account whatever its case. */
export function normaliseEmail(raw: string): string {
  return raw.normalize('NFC').trim().toLowerCase();
}

const emailSchema = z.email();

export function emailProblem(raw: string): string | null {
  const e = normaliseEmail(raw);
  if (e.length > 254 || !emailSchema.safeParse(e).success) return 'That is not a valid email address.';
  return null;
}
