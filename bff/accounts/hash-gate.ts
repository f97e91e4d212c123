/**
 * The door in front of password hashing. argon2id at m=19 MiB, t=2 costs tens
 * of milliseconds of one core per hash; @node-rs/argon2 runs each on libuv's
 * thread pool. Unbounded, a burst of sign-ins fills every pool thread (which
 * ES256 signing through WebCrypto and file I/O also need) and, on a small
 * machine, takes the cores from the event loop, so cheap requests such as
 * `/bff/session` wait behind hashes. The gate runs at most `concurrency`
 * hashes at once (one per core), queues the next ones in arrival order, and
 * answers 503 + Retry-After once `maxQueued` are already waiting: a bounded
 * wait instead of latency that grows without limit.
 */
import { availableParallelism } from 'node:os';
import { AppError } from '../http/errors.ts';

export interface HashGateOptions {
  /** Hashes running at once. */
  concurrency: number;
  /** Hashes allowed to wait; one more is refused with 503. */
  maxQueued: number;
  /**
   * Hashes one key (a client address) may hold, running and waiting, once the queue is half full;
   * default an eighth of the queue (at least 1). While the queue is less than half full a key may
   * take more (one partner server signing in many people at once), so one flooding address can
   * never take more than half the queue from everyone else.
   */
  perKey?: number;
}

/** Seconds a refused client is asked to wait: the queue drains in well under that. */
export const HASH_BUSY_RETRY_AFTER = 1;

export function hashingBusy(): AppError {
  return new AppError('busy', 'The portal is handling many sign-ins right now. Try again in a moment.', {
    status: 503,
    expose: true,
    retryAfter: HASH_BUSY_RETRY_AFTER,
  });
}

/** True for the gate's refusal: load shedding before any password was looked at, not a failed attempt. */
export function isHashingBusy(e: unknown): boolean {
  return e instanceof AppError && e.code === 'busy' && e.status === 503;
}

export class HashGate {
  readonly concurrency: number;
  readonly maxQueued: number;
  /** Hashes running now. */
  running = 0;
  /** The most that ever ran at once (tests read it). */
  peak = 0;
  /** Requests refused because the queue was full. */
  refused = 0;
  readonly perKey: number;
  readonly #waiting: Array<() => void> = [];
  /** Hashes each key holds now (running or waiting). */
  readonly #held = new Map<string, number>();

  constructor(opts: HashGateOptions) {
    this.concurrency = Math.max(1, Math.floor(opts.concurrency));
    this.maxQueued = Math.max(0, Math.floor(opts.maxQueued));
    this.perKey = Math.max(1, Math.floor(opts.perKey ?? this.maxQueued / 8));
  }

  /** Hashes waiting for a turn. */
  get waiting(): number {
    return this.#waiting.length;
  }

  /**
   * Runs `work` when a slot is free; throws the 503 `busy` error when too many already wait, or when
   * `key` already holds its share of a queue that is half full.
   */
  async run<T>(work: () => Promise<T>, key?: string | null): Promise<T> {
    const held = key ? (this.#held.get(key) ?? 0) : 0;
    if (this.running >= this.concurrency) {
      if (this.#waiting.length >= this.maxQueued || (key && held >= this.perKey && this.#waiting.length * 2 >= this.maxQueued)) {
        this.refused++;
        throw hashingBusy();
      }
    }
    if (key) this.#held.set(key, held + 1);
    try {
      return await this.#run(work);
    } finally {
      if (key) {
        const left = (this.#held.get(key) ?? 1) - 1;
        if (left > 0) this.#held.set(key, left);
        else this.#held.delete(key);
      }
    }
  }

  async #run<T>(work: () => Promise<T>): Promise<T> {
    if (this.running >= this.concurrency) {
      // The slot is handed over by the finishing hash, so `running` never overshoots.
      await new Promise<void>((resolve) => this.#waiting.push(resolve));
    } else {
      this.running++;
    }
    this.peak = Math.max(this.peak, this.running);
    try {
      return await work();
    } finally {
      const next = this.#waiting.shift();
      if (next) next();
      else this.running--;
    }
  }
}

/**
 * The process's gate: the thread pool and the cores are the process's, so one gate serves every
 * caller (browser sign-in, SaG, WorkOS, password changes). Queue: about a second of work on a
 * quiet machine (64 per core at ~20 ms a hash).
 */
export const passwordHashing = new HashGate({ concurrency: availableParallelism(), maxQueued: 64 * availableParallelism() });
