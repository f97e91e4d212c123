/**
 * Validation at the edge: parse body/query/params with zod before a handler
 * sees them. A failure becomes a 400 naming each bad field.
 */
import type { z } from 'zod';
import { badRequest } from './errors.ts';
import { nulPath } from './input-guard.ts';

export function parse<T extends z.ZodType>(schema: T, value: unknown): z.infer<T> {
  const r = schema.safeParse(value ?? {});
  if (r.success) {
    // No field of ours holds a NUL, and PostgreSQL cannot store one: refuse it here too, whatever the source.
    const at = nulPath(r.data);
    if (at !== null)
      throw badRequest('invalid_request', `${at || 'value'}: must not contain a NUL character.`, { [at || 'value']: 'must not contain a NUL character.' });
    return r.data;
  }
  const fields: Record<string, string> = {};
  for (const { field, message } of zodProblems(r.error)) fields[field] ??= message;
  const [first] = Object.entries(fields);
  throw badRequest('invalid_request', first ? `${first[0]}: ${first[1]}` : 'The request is not valid.', fields);
}

export interface FieldProblem {
  /** The dotted path of the bad field, or `whole` when the problem is with the value as a whole. */
  field: string;
  message: string;
}

/**
 * The one reading of a zod failure, for every door: each problem with its field's dotted path, in
 * zod's order. The BFF answers the first per field (`parse`), the WorkOS translator lists them all
 * (422 `errors`), SaG and Zenith name the first in their one-line error.
 */
export function zodProblems(error: z.ZodError, whole = 'body'): FieldProblem[] {
  return error.issues.map((issue) => ({ field: issue.path.join('.') || whole, message: issue.message }));
}
