import { describe, expect, it } from 'vitest';
import { loginUrl } from './navigation.ts';

describe('loginUrl', () => {
  it('is the bare BFF login without a return path', () => {
    expect(loginUrl()).toBe('/bff/login');
  });

  it('keeps slashes readable and escapes the rest', () => {
    expect(loginUrl('/account')).toBe('/bff/login?returnTo=/account');
    expect(loginUrl('/a?b=c&d')).toBe('/bff/login?returnTo=/a%3Fb%3Dc%26d');
    expect(new URL(loginUrl('/a?b=c&d'), 'https://portal.test').searchParams.get('returnTo')).toBe('/a?b=c&d');
  });
});
