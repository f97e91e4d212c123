/**
 * Checking the audit chain, keyed checkpoints, and the one-time re-keying of a
 * log written before AUDIT_KEYS existed.
 *
 * The chain alone cannot show that the newest entries were cut off: the rest
 * still links up. A checkpoint `{seq, hash, at, keyId, mac}` that an operator
 * keeps outside the database can: `verifyChain(..., {since})` fails when the
 * checkpointed entry is gone, changed, or the log is shorter than it.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import type { AuditEntry, Store } from '../store/store.ts';
import { type AuditKeys, canonicalJson, currentKeyId, GENESIS_HASH, keyedEntryHash, plainEntryHash } from './audit.ts';

export interface Checkpoint {
  seq: number;
  hash: string;
  at: number;
  keyId: number;
  mac: string;
}

export type ChainResult = { ok: true; count: number } | { ok: false; count: number; badSeq: number; reason: string };

const checkpointSchema = z.object({
  seq: z.number().int().nonnegative(),
  hash: z.string().regex(/^[0-9a-f]{64}$/),
  at: z.number().int().nonnegative(),
  keyId: z.number().int().positive(),
  mac: z.string().regex(/^[0-9a-f]{64}$/),
});

/** Parses a checkpoint as printed by `portal audit checkpoint`; throws a readable Error otherwise. */
export function parseCheckpoint(text: string): Checkpoint {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new Error('the checkpoint is not JSON');
  }
  const r = checkpointSchema.safeParse(raw);
  if (!r.success) throw new Error('the checkpoint must be {seq, hash, at, keyId, mac} as printed by `portal audit checkpoint`');
  return r.data;
}

function checkpointMac(secret: string, c: Omit<Checkpoint, 'mac'>): string {
  // Its own label, so a checkpoint MAC can never pass for an entry hash or the reverse.
  return createHmac('sha256', secret)
    .update('portal audit checkpoint\n')
    .update(canonicalJson({ seq: c.seq, hash: c.hash, at: c.at, keyId: c.keyId }))
    .digest('hex');
}

function sameHex(a: string, b: string): boolean {
  return a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));
}

/** Why one entry does not belong after `prev`, or null when it does. Plain entries are judged by their plain hash. */
function entryProblem(keys: AuditKeys, prev: string, e: AuditEntry): string | null {
  if (e.prevHash !== prev) return `entry ${e.seq} does not point at the hash of entry ${e.seq - 1}`;
  if (e.keyId === null) {
    return plainEntryHash(prev, e.seq, e) === e.hash ? null : `entry ${e.seq} was altered (its hash does not match its content)`;
  }
  const secret = keys[e.keyId];
  if (secret === undefined) return `entry ${e.seq} is keyed with AUDIT_KEYS id ${e.keyId}, which is not configured`;
  return sameHex(keyedEntryHash(secret, e.keyId, prev, e.seq, e), e.hash) ? null : `entry ${e.seq} was altered (its HMAC does not match its content)`;
}

/**
 * Walks the whole log in seq order and reports the first entry that breaks the chain. Every
 * entry must carry a valid HMAC: a plain-hash entry (which anyone can recompute) fails.
 */
export async function verifyChain(store: Store, keys: AuditKeys, opts: { since?: Checkpoint } = {}): Promise<ChainResult> {
  const since = opts.since;
  if (since) {
    const secret = keys[since.keyId];
    if (secret === undefined)
      return { ok: false, count: 0, badSeq: since.seq, reason: `the checkpoint is keyed with AUDIT_KEYS id ${since.keyId}, which is not configured` };
    if (!sameHex(checkpointMac(secret, since), since.mac))
      return { ok: false, count: 0, badSeq: since.seq, reason: 'the checkpoint is not authentic (its HMAC does not match)' };
  }
  let prev = GENESIS_HASH;
  let expectedSeq = 1;
  let count = 0;
  for (;;) {
    const page = await store.audit.iterate(expectedSeq, 500);
    if (page.length === 0) break;
    for (const e of page) {
      if (e.seq !== expectedSeq) return { ok: false, count, badSeq: expectedSeq, reason: `entry ${expectedSeq} is missing (next is ${e.seq})` };
      const problem = entryProblem(keys, prev, e);
      if (problem) return { ok: false, count, badSeq: e.seq, reason: problem };
      if (e.keyId === null)
        return {
          ok: false,
          count,
          badSeq: e.seq,
          reason: `entry ${e.seq} has a plain hash, not an HMAC (written before AUDIT_KEYS: run \`portal audit rekey\` once after upgrading)`,
        };
      if (since && e.seq === since.seq && e.hash !== since.hash)
        return { ok: false, count, badSeq: e.seq, reason: `entry ${e.seq} differs from the checkpoint` };
      prev = e.hash;
      expectedSeq++;
      count++;
    }
  }
  if (since && count < since.seq) {
    return {
      ok: false,
      count,
      badSeq: count + 1,
      reason: `the log ends at entry ${count}, but the checkpoint covers entry ${since.seq}: entries were removed from the end`,
    };
  }
  return { ok: true, count };
}

/** A checkpoint of the newest entry, after verifying the chain up to it (a broken log gets none). */
export async function createCheckpoint(store: Store, keys: AuditKeys, now: number): Promise<Checkpoint> {
  const r = await verifyChain(store, keys);
  if (!r.ok) throw new Error(`audit chain broken at entry ${r.badSeq}: ${r.reason}`);
  const [tail] = r.count ? await store.audit.iterate(r.count, 1) : [];
  const keyId = currentKeyId(keys);
  const c = { seq: tail?.seq ?? 0, hash: tail?.hash ?? GENESIS_HASH, at: now, keyId };
  return { ...c, mac: checkpointMac(keys[keyId]!, c) };
}

export type RekeyResult = { rekeyed: number } | { rekeyed: 0; badSeq: number; reason: string };

/**
 * `portal audit rekey`, run once by an operator after upgrading: turns a log written entirely
 * before AUDIT_KEYS existed (plain SHA-256 hashes) into a keyed one. Refused when any entry is
 * already keyed (so nobody can launder a chain recomputed with plain hashes, which anyone can
 * write, into valid HMACs) and when the plain chain does not verify (so tampering from before
 * the upgrade is not sealed in). Never automatic: a restart must not bless what an attacker wrote.
 */
export async function rekeyPlainEntries(store: Store, keys: AuditKeys): Promise<RekeyResult> {
  const keyId = currentKeyId(keys);
  const secret = keys[keyId]!;
  let failure: { badSeq: number; reason: string } | null = null;
  const rekeyed = await store.audit.rechain((entries) => {
    let prev = GENESIS_HASH;
    for (const [i, e] of entries.entries()) {
      const problem =
        e.keyId !== null
          ? `entry ${e.seq} is already keyed: only a log written entirely before AUDIT_KEYS can be re-keyed`
          : e.seq !== i + 1
            ? `entry ${i + 1} is missing`
            : entryProblem(keys, prev, e);
      if (problem) {
        failure = { badSeq: e.seq, reason: problem };
        return [];
      }
      prev = e.hash;
    }
    prev = GENESIS_HASH;
    return entries.map((e) => {
      const hash = keyedEntryHash(secret, keyId, prev, e.seq, e);
      const update = { seq: e.seq, prevHash: prev, hash, keyId };
      prev = hash;
      return update;
    });
  });
  return failure ? { rekeyed: 0, ...(failure as { badSeq: number; reason: string }) } : { rekeyed };
}
