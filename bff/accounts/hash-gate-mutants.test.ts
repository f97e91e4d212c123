/**
 * The hashing gate (hash-gate.ts) at its exact limits, where mutation testing
 * (docs/mutation.md) asks for them: how the options are rounded and bounded,
 * the queue's bound from both sides (and a queue of none), a key's share from
 * both sides of "half full", what a key holds as its hashes end, the slot
 * handed over in arrival order, work that fails, the refusal itself field by
 * field, and the process's gate sized from the machine. Pure: the work is
 * promises this file settles itself, so nothing depends on how fast anything
 * runs; the real argon2 side is hash-gate.test.ts's.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { availableParallelism } from 'node:os';
import { AppError } from '../http/errors.ts';
import { HASH_BUSY_RETRY_AFTER, HashGate, hashingBusy, isHashingBusy, passwordHashing } from './hash-gate.ts';

/** A piece of work that ends when the test says so. */
function job() {
  let finish!: () => void;
  let fail!: (e: Error) => void;
  const done = new Promise<string>((resolve, reject) => {
    finish = () => resolve('ran');
    fail = reject;
  });
  let started = false;
  return {
    work: () => {
      started = true;
      return done;
    },
    get started() {
      return started;
    },
    finish,
    fail,
  };
}

/** How a gate.run call ended: 'ran', the refusal's code, or the error's message. */
const settle = (p: Promise<unknown>) =>
  p.then(
    (v) => v,
    (e: { code?: string; message?: string }) => e.code ?? e.message,
  );

/** Lets every settled promise's callbacks run (the gate hands slots over in `finally`). */
const tick = () => new Promise<void>((r) => setImmediate(r));

/**
 * A mutant that lets a refused run in makes the test await work that never ends; without a
 * bound, node:test would wait for ever. Each case takes milliseconds: this is a guard, not a timing.
 */
const BOUND = { timeout: 20_000 };

describe('the hashing gate', BOUND, () => {
  it('rounds its options down and keeps them in bounds', () => {
    const shapes: Array<[ConstructorParameters<typeof HashGate>[0], [number, number, number]]> = [
      [{ concurrency: 0, maxQueued: -3 }, [1, 0, 1]],
      [{ concurrency: 2.9, maxQueued: 9.9 }, [2, 9, 1]],
      [{ concurrency: 3, maxQueued: 16 }, [3, 16, 2]],
      [{ concurrency: 1, maxQueued: 23 }, [1, 23, 2]],
      [{ concurrency: 1, maxQueued: 8, perKey: 3.7 }, [1, 8, 3]],
      [{ concurrency: 1, maxQueued: 8, perKey: 0 }, [1, 8, 1]],
      [{ concurrency: 1, maxQueued: 800, perKey: 5 }, [1, 800, 5]],
    ];
    for (const [opts, expected] of shapes) {
      const g = new HashGate(opts);
      assert.deepEqual([g.concurrency, g.maxQueued, g.perKey], expected, JSON.stringify(opts));
      assert.deepEqual([g.running, g.peak, g.refused, g.waiting], [0, 0, 0, 0]);
    }
  });

  it('the process gate runs one hash per core and queues 64 per core', () => {
    const cores = availableParallelism();
    assert.deepEqual([passwordHashing.concurrency, passwordHashing.maxQueued, passwordHashing.perKey], [cores, 64 * cores, 8 * cores]);
  });

  it('refuses with 503 busy, the sentence, exposed, Retry-After 1', () => {
    const e = hashingBusy();
    assert.ok(e instanceof AppError);
    assert.deepEqual(
      [e.code, e.message, e.status, e.expose, e.retryAfter, e.fields],
      ['busy', 'The portal is handling many sign-ins right now. Try again in a moment.', 503, true, 1, undefined],
    );
    assert.equal(HASH_BUSY_RETRY_AFTER, 1);
  });

  it('tells its own refusal from any other error', () => {
    assert.equal(isHashingBusy(hashingBusy()), true);
    assert.equal(isHashingBusy(new AppError('busy', 'x', { status: 500 })), false, 'the code, not the status');
    assert.equal(isHashingBusy(new AppError('too_many_attempts', 'x', { status: 503 })), false, 'the status, not the code');
    assert.equal(isHashingBusy({ code: 'busy', status: 503 }), false, 'only an AppError');
    assert.equal(isHashingBusy(new Error('busy')), false);
    assert.equal(isHashingBusy(undefined), false);
  });

  it('runs up to its concurrency at once, queues up to maxQueued, refuses the next, and hands slots over in arrival order', async () => {
    const gate = new HashGate({ concurrency: 2, maxQueued: 3 });
    const jobs = Array.from({ length: 6 }, job);
    const runs = jobs.map((j) => settle(gate.run(j.work)));
    assert.deepEqual(
      jobs.map((j) => j.started),
      [true, true, false, false, false, false],
    );
    assert.deepEqual([gate.running, gate.waiting, gate.peak, gate.refused], [2, 3, 2, 1]);
    assert.equal(await runs[5], 'busy');

    jobs[1]!.finish();
    await tick();
    assert.deepEqual(
      jobs.map((j) => j.started),
      [true, true, true, false, false, false],
      'the first waiting one takes the slot',
    );
    assert.deepEqual([gate.running, gate.waiting], [2, 2]);
    jobs[0]!.finish();
    await tick();
    assert.deepEqual([jobs[3]!.started, jobs[4]!.started], [true, false]);
    // A new arrival waits behind the one already waiting.
    const late = job();
    const lateRun = settle(gate.run(late.work));
    assert.deepEqual([gate.running, gate.waiting], [2, 2]);
    jobs[2]!.finish();
    await tick();
    assert.deepEqual([jobs[4]!.started, late.started], [true, false]);
    jobs[3]!.finish();
    await tick();
    assert.equal(late.started, true);
    for (const j of [jobs[4]!, late]) j.finish();
    assert.deepEqual(await Promise.all([...runs.slice(0, 5), lateRun]), ['ran', 'ran', 'ran', 'ran', 'ran', 'ran']);
    assert.deepEqual([gate.running, gate.waiting, gate.peak, gate.refused], [0, 0, 2, 1]);
  });

  it('with a queue of none, refuses everything past the running ones', async () => {
    const gate = new HashGate({ concurrency: 1, maxQueued: 0 });
    const first = job();
    const run = settle(gate.run(first.work));
    assert.equal(await settle(gate.run(job().work)), 'busy');
    assert.deepEqual([gate.running, gate.waiting, gate.refused], [1, 0, 1]);
    first.finish();
    assert.equal(await run, 'ran');
    assert.equal(gate.running, 0);
    // Free again: the next one runs.
    const next = job();
    const again = settle(gate.run(next.work));
    assert.equal(next.started, true);
    next.finish();
    assert.equal(await again, 'ran');
  });

  it('frees the slot and the key when the work fails', async () => {
    const gate = new HashGate({ concurrency: 1, maxQueued: 4, perKey: 1 });
    const a = job();
    const b = job();
    const ra = settle(gate.run(a.work, 'k'));
    const rb = settle(gate.run(b.work, 'k'));
    a.fail(new Error('argon2 failed'));
    assert.equal(await ra, 'argon2 failed');
    await tick();
    assert.equal(b.started, true, 'the failed one handed its slot over');
    b.fail(new Error('again'));
    assert.equal(await rb, 'again');
    assert.deepEqual([gate.running, gate.waiting, gate.peak], [0, 0, 1]);
    // The key holds nothing now: with the queue half full it is still let in.
    const filler = [job(), job(), job()];
    const rf = filler.map((f) => settle(gate.run(f.work)));
    assert.deepEqual([gate.running, gate.waiting], [1, 2]);
    const mine = job();
    const rm = settle(gate.run(mine.work, 'k'));
    assert.deepEqual([gate.waiting, gate.refused], [3, 0]);
    for (const f of [...filler, mine]) f.finish();
    assert.deepEqual(await Promise.all([...rf, rm]), ['ran', 'ran', 'ran', 'ran']);
  });

  describe('a key’s share', () => {
    /** A gate with one slot taken by `occupant` and `waitingOthers` anonymous hashes waiting. */
    function busyGate(waitingOthers: number, perKey = 2) {
      const gate = new HashGate({ concurrency: 1, maxQueued: 8, perKey });
      const occupant = job();
      const jobs = [occupant, ...Array.from({ length: waitingOthers }, job)];
      const runs = jobs.map((j) => settle(gate.run(j.work)));
      return {
        gate,
        async drain() {
          for (const j of jobs) j.finish();
          await Promise.all(runs);
        },
      };
    }

    it('a key holding its share is refused once the queue is exactly half full, not before', async () => {
      // The key holds two (its share), both waiting behind two others: 2 × 4 waiting ≥ 8.
      const half = busyGate(2);
      const mine = [job(), job()];
      const runs = mine.map((j) => settle(half.gate.run(j.work, '203.0.113.1')));
      assert.equal(half.gate.waiting, 4);
      assert.equal(await settle(half.gate.run(job().work, '203.0.113.1')), 'busy', 'at its share, the queue half full');
      assert.equal(half.gate.refused, 1);
      // Another key, or none, still gets in.
      const other = job();
      const otherRun = settle(half.gate.run(other.work, '198.51.100.1'));
      assert.equal(half.gate.waiting, 5);
      for (const j of [...mine, other]) j.finish();
      await half.drain();
      assert.deepEqual(await Promise.all([...runs, otherRun]), ['ran', 'ran', 'ran']);

      // One waiting fewer: 2 × 3 < 8, the key may take more than its share.
      const under = busyGate(1);
      const more = [job(), job(), job()];
      const moreRuns = more.map((j) => settle(under.gate.run(j.work, '203.0.113.1')));
      assert.deepEqual([under.gate.waiting, under.gate.refused], [4, 0]);
      for (const j of more) j.finish();
      await under.drain();
      assert.deepEqual(await Promise.all(moreRuns), ['ran', 'ran', 'ran']);
    });

    it('a key one short of its share still gets in a half-full queue, then not', async () => {
      const g = busyGate(4);
      const first = job();
      const runs = [settle(g.gate.run(first.work, 'k'))];
      const second = job();
      runs.push(settle(g.gate.run(second.work, 'k')));
      assert.deepEqual([g.gate.waiting, g.gate.refused], [6, 0], 'holding none, then one: let in');
      assert.equal(await settle(g.gate.run(job().work, 'k')), 'busy', 'holding two');
      for (const j of [first, second]) j.finish();
      await g.drain();
      assert.deepEqual(await Promise.all(runs), ['ran', 'ran']);
    });

    it('what a key holds goes down by one as each of its hashes ends, and to nothing', async () => {
      const gate = new HashGate({ concurrency: 1, maxQueued: 8, perKey: 2 });
      // The key takes the slot and two places: it holds three.
      const mine = [job(), job(), job()];
      const runs = mine.map((j) => settle(gate.run(j.work, 'k')));
      const others = [job(), job()];
      const otherRuns = others.map((j) => settle(gate.run(j.work)));
      assert.equal(gate.waiting, 4);
      assert.equal(await settle(gate.run(job().work, 'k')), 'busy', 'holds three');
      mine[0]!.finish();
      await tick();
      // Its next one took the slot: it holds two, three wait; one more arrives.
      const filler = job();
      const fillerRun = settle(gate.run(filler.work));
      assert.equal(gate.waiting, 4);
      assert.equal(await settle(gate.run(job().work, 'k')), 'busy', 'holds two');
      mine[1]!.finish();
      await tick();
      const filler2 = job();
      const filler2Run = settle(gate.run(filler2.work));
      assert.equal(gate.waiting, 4);
      const last = job();
      const lastRun = settle(gate.run(last.work, 'k'));
      assert.equal(gate.waiting, 5, 'holds one: let in');
      assert.equal(gate.refused, 2);
      for (const j of [mine[2]!, ...others, filler, filler2, last]) j.finish();
      assert.deepEqual(await Promise.all([...runs, ...otherRuns, fillerRun, filler2Run, lastRun]), Array(8).fill('ran'));
      assert.deepEqual([gate.running, gate.waiting], [0, 0]);
      // Holding nothing now, with the queue half full again it is let in twice more.
      const g2 = [job(), ...Array.from({ length: 4 }, job)];
      const g2Runs = g2.map((j) => settle(gate.run(j.work)));
      const again = [job(), job()];
      const againRuns = again.map((j) => settle(gate.run(j.work, 'k')));
      assert.deepEqual([gate.waiting, gate.refused], [6, 2]);
      for (const j of [...g2, ...again]) j.finish();
      assert.deepEqual(await Promise.all([...g2Runs, ...againRuns]), Array(7).fill('ran'));
    });
  });
});
