/** Small conversions shared by the SQL repositories. */

/** Booleans are stored as INTEGER 0/1 on both databases. */
export const toBit = (b: boolean): number => (b ? 1 : 0);
export const fromBit = (n: unknown): boolean => Number(n) === 1;

/** Nullable numeric column → number | null (pg and SQLite both give numbers, but be strict). */
export const numOrNull = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

export function parseJson<T>(text: unknown, fallback: T): T {
  if (typeof text !== 'string' || text === '') return fallback;
  return JSON.parse(text) as T;
}

/** Clamps a caller-supplied page size into [1, max], defaulting when absent. */
export function clampLimit(limit: number | undefined, fallback: number, max: number): number {
  if (limit === undefined || !Number.isFinite(limit)) return fallback;
  return Math.min(Math.max(Math.floor(limit), 1), max);
}

/** Escapes LIKE wildcards so user search text matches literally (used with ESCAPE '\'). */
export const escapeLike = (s: string): string => s.replace(/[\\%_]/g, (c) => `\\${c}`);

/** The first row through `to`, or null when the statement gave none. */
export function firstOr<T, R>(rows: readonly T[], to: (row: T) => R): R | null {
  const [row] = rows;
  return row === undefined ? null : to(row);
}

/** The row an aggregate or an unconditional `RETURNING` always gives; none is a fault, not "not found". */
export function onlyRow<T>(rows: readonly T[]): T {
  const [row] = rows;
  if (row === undefined) throw new Error('the statement returned no row');
  return row;
}
