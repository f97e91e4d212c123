import { describe, expect, it } from 'vitest';
import { formatRemaining, formatWait, toEpochMs } from './time.ts';

describe('formatRemaining', () => {
  it.each([
    [0, '00:00'],
    [-5000, '00:00'],
    [999, '00:01'],
    [59_000, '00:59'],
    [60_000, '01:00'],
    [14 * 60_000 + 5_000, '14:05'],
    [75 * 60_000, '75:00'],
  ])('%i ms → %s', (ms, text) => {
    expect(formatRemaining(ms)).toBe(text);
  });
});

describe('toEpochMs', () => {
  it('reads ISO strings, epoch seconds and epoch milliseconds alike', () => {
    const ms = Date.UTC(2025, 0, 2, 3, 4, 5);
    expect(toEpochMs('2025-01-02T03:04:05Z')).toBe(ms);
    expect(toEpochMs(ms / 1000)).toBe(ms);
    expect(toEpochMs(ms)).toBe(ms);
    expect(toEpochMs(String(ms / 1000))).toBe(ms);
  });

  it('gives null for nothing or nonsense', () => {
    expect(toEpochMs(null)).toBeNull();
    expect(toEpochMs(undefined)).toBeNull();
    expect(toEpochMs('not a date')).toBeNull();
  });
});

describe('formatWait', () => {
  it.each([
    [0, '0 seconds'],
    [1, '1 second'],
    [40.2, '41 seconds'],
    [60, '1 minute'],
    [61, '2 minutes'],
    [891, '15 minutes'],
  ])('%f s → %s', (seconds, text) => {
    expect(formatWait(seconds)).toBe(text);
  });
});
