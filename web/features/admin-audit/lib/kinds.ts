import { AUDIT_KIND_LABELS } from '../../../../api/audit.ts';

/** What each audit kind means (declared with the kinds, in api/audit.ts). */
const KIND_LABELS: Record<string, string> = AUDIT_KIND_LABELS;

/** The audit kinds the filter offers (the log may hold others; they still show). */
export const KNOWN_KINDS = Object.keys(KIND_LABELS);

/** `client_deleted` → `Deleted a partner app`; an unknown kind → `Some new kind`. */
export function kindLabel(kind: string): string {
  const known = KIND_LABELS[kind];
  if (known) return known;
  const words = kind.replace(/_/g, ' ');
  return words.charAt(0).toUpperCase() + words.slice(1);
}
