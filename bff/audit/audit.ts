/**
 * The append-only, hash-chained audit log. Each entry's hash covers its own
 * fields and the previous entry's hash, so editing or deleting any row breaks
 * the chain from that row on (`verifyChain`).
 */
import { createHash } from 'node:crypto';
import type { AuditEntry, NewAuditEntry, Store } from '../store/store.ts';

export const GENESIS_HASH = '0'.repeat(64);

/** Stable JSON: keys sorted at every depth, so the hash does not depend on insertion order. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value ?? null);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const obj = value as Record<string, unknown>;
  return `{${Object.keys(obj).filter((k) => obj[k] !== undefined).sort().map((k) => `${JSON.stringify(k)}:${canonicalJson(obj[k])}`).join(',')}}`;
}

export function entryHash(prevHash: string, seq: number, e: NewAuditEntry): string {
  const body = canonicalJson({ seq, at: e.at, kind: e.kind, actorId: e.actorId, subjectId: e.subjectId, ip: e.ip, userAgent: e.userAgent, data: e.data });
  return createHash('sha256').update(prevHash).update('\n').update(body).digest('hex');
}

export interface AuditContext {
  actorId?: string | null;
  subjectId?: string | null;
  ip?: string | null;
  userAgent?: string | null;
  data?: Record<string, unknown>;
}

export interface Audit {
  record(kind: string, ctx: AuditContext): Promise<AuditEntry>;
}

export function createAudit(store: Store, now: () => number): Audit {
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
      };
      return store.audit.append(entry, (prevHash, seq) => entryHash(prevHash, seq, entry));
    },
  };
}

export type ChainResult = { ok: true; count: number } | { ok: false; count: number; badSeq: number; reason: string };

/** Walks the whole log in seq order and reports the first entry that breaks the chain. */
export async function verifyChain(store: Store): Promise<ChainResult> {
  let prev = GENESIS_HASH;
  let expectedSeq = 1;
  let count = 0;
  for (;;) {
    const page = await store.audit.iterate(expectedSeq, 500);
    if (page.length === 0) return { ok: true, count };
    for (const e of page) {
      if (e.seq !== expectedSeq) return { ok: false, count, badSeq: expectedSeq, reason: `entry ${expectedSeq} is missing (next is ${e.seq})` };
      if (e.prevHash !== prev) return { ok: false, count, badSeq: e.seq, reason: `entry ${e.seq} does not point at the hash of entry ${e.seq - 1}` };
      const h = entryHash(prev, e.seq, e);
      if (h !== e.hash) return { ok: false, count, badSeq: e.seq, reason: `entry ${e.seq} was altered (its hash does not match its content)` };
      prev = e.hash;
      expectedSeq++;
      count++;
    }
  }
}
