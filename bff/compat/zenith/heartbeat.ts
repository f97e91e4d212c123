/**
 * One timer for every Zenith socket of a server: a wheel of slots, one
 * visited each period / SLOTS ms, so each socket is pinged (and its token
 * re-checked) once per period (connection.ts LIMITS.heartbeat). Sockets are dealt to slots in
 * turn, not by when they connected, so ten thousand that reconnect in the
 * same second are re-checked spread over the whole period, not together.
 */
const SLOTS = 30;

export interface Beating {
  slot: number;
  beat(): void;
}

export interface Heartbeat<T extends Beating = Beating> {
  add(c: T): void;
  delete(c: T): void;
  /** Every socket on the wheel. */
  all(): Iterable<T>;
  stop(): void;
}

export function createHeartbeat<T extends Beating>(period: number): Heartbeat<T> {
  const slots = Array.from({ length: SLOTS }, () => new Set<T>());
  let dealt = 0;
  let cursor = 0;
  const timer = setInterval(() => {
    cursor = (cursor + 1) % SLOTS;
    // A copy: a beat may end its socket, which leaves the slot.
    for (const c of [...slots[cursor]!]) c.beat();
  }, period / SLOTS);
  // The wheel alone never keeps the process alive.
  timer.unref();
  return {
    add(c) {
      c.slot = dealt++ % SLOTS;
      slots[c.slot]!.add(c);
    },
    delete(c) {
      slots[c.slot]!.delete(c);
    },
    *all() {
      for (const s of slots) yield* s;
    },
    stop() {
      clearInterval(timer);
    },
  };
}
