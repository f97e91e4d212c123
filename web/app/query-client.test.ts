import { describe, expect, it } from 'vitest';
import { ApiError } from '../lib/api-client.ts';
import { shouldRetry } from './query-client.ts';

const error = (status: number) => new ApiError({ status, code: 'x', message: 'x' });

describe('query retries', () => {
  it.each([400, 401, 403, 404, 410, 429])('never retries a %i', (status) => {
    expect(shouldRetry(0, error(status))).toBe(false);
  });

  it('retries server and network failures, twice at most', () => {
    expect(shouldRetry(0, error(503))).toBe(true);
    expect(shouldRetry(1, error(0))).toBe(true);
    expect(shouldRetry(2, error(503))).toBe(false);
  });
});
