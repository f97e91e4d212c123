/**
 * The append-only, hash-chained audit log. Each entry's hash is an HMAC-SHA256,
 * under a key from AUDIT_KEYS (outside the database), over its own fields, its
 * key id and the previous entry's hash: editing or deleting any row breaks the
 * chain from that row on, and someone who can write to the database but does
 * not hold the key cannot recompute it (`verifyChain` in verify.ts).
 */
import { createHash, createHmac } from 'node:crypto';
import type { AuditEntry, NewAuditEntry, Store } from '../store/store.ts';
import type { AuditKind } from '../../api/audit.ts';

export const GENESIS_HASH = '0'.repeat(64);

/** AUDIT_KEYS: `{id: secret}`; the highest id keys new entries, every id verifies. */
export type AuditKeys = Readonly<Record<number, string>>;

/** Stable JSON: keys sorted at every depth, so the hash does not depend on insertion order. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value ?? null);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const obj = value as Record<string, unknown>;
  return `{${Object.keys(obj)
    .filter((k) => obj[k] !== undefined)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${canonicalJson(obj[k])}`)
    .join(',')}}`;
}

function body(seq: number, e: NewAuditEntry): Record<string, unknown> {
  return { seq, at: e.at, kind: e.kind, actorId: e.actorId, subjectId: e.subjectId, ip: e.ip, userAgent: e.userAgent, data: e.data };
}

/** The hash of an entry written before AUDIT_KEYS existed: plain SHA-256, which anyone can recompute. */
export function plainEntryHash(prevHash: string, seq: number, e: NewAuditEntry): string {
  return createHash('sha256')
    .update(prevHash)
    .update('\n')
    .update(canonicalJson(body(seq, e)))
    .digest('hex');
}

/** The keyed hash: the key id is inside the MAC, so it cannot be swapped for another configured key. */
export function keyedEntryHash(secret: string, keyId: number, prevHash: string, seq: number, e: NewAuditEntry): string {
  return createHmac('sha256', secret)
    .update(prevHash)
    .update('\n')
    .update(canonicalJson({ ...body(seq, e), keyId }))
    .digest('hex');
}

export function currentKeyId(keys: AuditKeys): number {
  const id = Math.max(...Object.keys(keys).map(Number));
  if (!Number.isInteger(id)) throw new Error('no audit key is configured (AUDIT_KEYS)');
  return id;
}

export interface AuditContext {
  actorId?: string | null;
  subjectId?: string | null;
  ip?: string | null;
  userAgent?: string | null;
  data?: Record<string, unknown>;
}

export interface Audit {
  record(kind: AuditKind, ctx: AuditContext): Promise<AuditEntry>;
}

export function createAudit(store: Store, now: () => number, keys: AuditKeys): Audit {
  const keyId = currentKeyId(keys);
  const secret = keys[keyId]!;
  return {
    record(kind, ctx) {
      const entry: NewAuditEntry = {
        at: now(),
        kind,
        actorId: ctx.actorId ?? null,
        subjectId: ctx.subjectId ?? null,
        ip: ctx.ip ?? null,
        userAgent: ctx.userAgent ? ctx.userAgent.slice(0, 512) : null,
        data: ctx.data ?? {},
        keyId,
      };
      return store.audit.append(entry, (prevHash, seq) => keyedEntryHash(secret, keyId, prevHash, seq, entry));
    },
  };
}
