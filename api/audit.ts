/** The shapes of GET /bff/admin/audit, shared by the BFF (bff/audit/routes.ts) and the admin screen. */

/** One audit entry as the API sends it. */
export interface AuditEntryWire {
  seq: number;
  at: number;
  kind: string;
  actorId: string | null;
  subjectId: string | null;
  ip: string | null;
  userAgent: string | null;
  data: Record<string, unknown>;
  prevHash: string;
  hash: string;
  /** The AUDIT_KEYS id whose HMAC `hash` is; null for a plain SHA-256 entry written before keys existed. */
  keyId: number | null;
}

/** Emails and names of the people the entries name, by user id. */
export type AuditPeople = Record<string, { email: string; name: string }>;

export interface AuditPageWire {
  entries: AuditEntryWire[];
  /** Absent when an email filter matches nobody. */
  people?: AuditPeople;
}
