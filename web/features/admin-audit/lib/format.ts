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

/** Plain names for the keys the BFF writes; anything else shows as written. */
const KEY_LABELS: Record<string, string> = {
  reason: 'Reason',
  durationMinutes: 'Minutes',
  expiresAt: 'Ends',
  startedAt: 'Started',
  endedAt: 'Ended',
  name: 'Name',
  email: 'Email',
  method: 'How',
  via: 'From',
  scopes: 'Permissions',
  public: 'Public app',
  error: 'Problem',
  provider: 'Provider',
};

/** Identifiers (clientId, sid, impersonationId…): kept for whoever needs them, shown on request. */
const ID_KEY = /(^id$|Id$|^sid$|^jti$|^grant$)/;

export interface DetailPair {
  key: string;
  label: string;
  value: string;
}

/**
 * `data` split into what a person reads (labelled pairs, the written reason
 * first for impersonation entries: it is what the entry accounts for) and the
 * identifiers, which the table shows only on request.
 */
export function detailPairs(entry: AuditEntry): { plain: DetailPair[]; ids: DetailPair[] } {
  const data = entry.data ?? {};
  const keys = Object.keys(data);
  if (entry.kind.startsWith('impersonation_') && keys.includes('reason')) {
    keys.splice(keys.indexOf('reason'), 1);
    keys.unshift('reason');
  }
  const pairs = keys.map((key) => ({ key, label: KEY_LABELS[key] ?? key, value: value(key, data[key]) }));
  return { plain: pairs.filter((p) => !ID_KEY.test(p.key)), ids: pairs.filter((p) => ID_KEY.test(p.key)) };
}
