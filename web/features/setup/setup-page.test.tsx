import { describe, expect, it } from 'vitest';
import { readSetupToken } from './setup-page.tsx';

describe('readSetupToken', () => {
  it.each([
    ['#token=abc123', 'abc123'],
    ['token=abc123', 'abc123'],
    ['#foo=1&token=a%2Bb%3D', 'a+b='],
    ['#token=a+b', 'a+b'],
    ['#token=', null],
    ['#other=1', null],
    ['', null],
    ['#token=%E0%A4%A', null],
  ])('%s → %s', (hash, token) => {
    expect(readSetupToken(hash)).toBe(token);
  });
});
