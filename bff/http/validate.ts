/**
 * Validation at the edge: parse body/query/params with zod before a handler
 * sees them. A failure becomes a 400 naming each bad field.
 */
import type { z } from 'zod';
import { badRequest } from './errors.ts';

export function parse<T extends z.ZodType>(schema: T, value: unknown): z.infer<T> {
  const r = schema.safeParse(value ?? {});
  if (r.success) return r.data;
  const fields: Record<string, string> = {};
  for (const issue of r.error.issues) {
    const key = issue.path.join('.') || 'body';
    fields[key] ??= issue.message;
  }
  const [first] = Object.entries(fields);
  throw badRequest('invalid_request', first ? `${first[0]}: ${first[1]}` : 'The request is not valid.', fields);
}
