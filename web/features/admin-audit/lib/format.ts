import type { AuditEntry, People } from '../api/get-audit-log.ts';

const timeFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium' });

/** Local date and time with seconds: an audit trail needs them. */
export function formatAuditTime(ms: number): string {
  return Number.isFinite(ms) ? timeFormat.format(ms) : String(ms);
}

/** A person's email when the server named them, else their id; `fallback` when there is nobody. */
export function personLabel(id: string | null, people: People, fallback: string): string {
  if (id === null || id === '') return fallback;
  return people[id]?.email ?? id;
}

function value(key: string, v: unknown): string {
  if (v === null || v === undefined) return '—';
  // Epoch-ms timestamps (expiresAt and the like) read better as local times.
  if (typeof v === 'number' && /At$/.test(key) && v > 1e12) return formatAuditTime(v);
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return JSON.stringify(v);
}

/**
 * `data` as compact `key: value` pairs. For impersonation entries the written
 * reason comes first: it is what the entry is there to account for.
 */
export function detailPairs(entry: AuditEntry): { key: string; value: string }[] {
  const data = entry.data ?? {};
  const keys = Object.keys(data);
  if (entry.kind.startsWith('impersonation_') && keys.includes('reason')) {
    keys.splice(keys.indexOf('reason'), 1);
    keys.unshift('reason');
  }
  return keys.map((key) => ({ key, value: value(key, data[key]) }));
}
