/**
 * A circuit breaker per upstream origin: after a run of failures (unreachable,
 * timed out, unreadable answers) the gateway stops calling that upstream for a
 * while and answers 503 at once, so a dead or slow API cannot tie up the
 * portal's sockets; then one trial request decides whether it closes again.
 */
export interface Breaker {
  /** Whether a request may go now; false while open (and while a trial is out). */
  allow(): boolean;
  success(): void;
  failure(): void;
  /** Seconds until a trial is allowed (for Retry-After). */
  retryAfter(): number;
}

export function breakers(opts: { threshold?: number; openMs?: number; now?: () => number } = {}): (origin: string) => Breaker {
  const threshold = opts.threshold ?? 5;
  const openMs = opts.openMs ?? 30_000;
  const now = opts.now ?? Date.now;
  const all = new Map<string, Breaker>();
  const make = (): Breaker => {
    let failures = 0;
    let openUntil = 0;
    let trial = false;
    return {
      allow() {
        if (failures < threshold) return true;
        if (now() < openUntil || trial) return false;
        trial = true;
        return true;
      },
      success() {
        failures = 0;
        trial = false;
      },
      failure() {
        failures++;
        trial = false;
        if (failures >= threshold) openUntil = now() + openMs;
      },
      retryAfter: () => Math.max(1, Math.ceil((openUntil - now()) / 1000)),
    };
  };
  return (origin) => {
    let b = all.get(origin);
    if (!b) all.set(origin, (b = make()));
    return b;
  };
}
