import { describe, expect, it } from 'vitest';
import { checkRedirectUris, isValidRedirectUri, logoUrlProblem, redirectUriProblem, splitRedirectUris } from './redirect-uri.ts';

describe('redirect URI validation', () => {
  const good = [
    'https://app.example.com/cb',
    'https://app.example.com:8443/oauth/callback?x=1',
    'http://127.0.0.1:8080/cb',
    'http://localhost:5173/callback',
    'http://LOCALHOST/cb',
    'http://[::1]:3000/cb',
  ];
  const bad: [string, RegExp][] = [
    ['javascript:alert(1)', /javascript: addresses are not allowed/],
    ['JaVaScRiPt:x', /javascript: addresses are not allowed/],
    ['data:text/html,x', /data: addresses are not allowed/],
    ['http://example.com/cb', /http:\/\/ is allowed only for localhost/],
    ['http://localhost.evil.com/cb', /http:\/\/ is allowed only for localhost/],
    ['http://127.0.0.2/cb', /http:\/\/ is allowed only for localhost/],
    ['https://a.com/cb#frag', /fragment/],
    ['https://a.com/cb#', /fragment/],
    ['/relative/cb', /not a valid URL/],
    ['app.example.com/cb', /not a valid URL/],
    ['ftp://example.com/cb', /https:\/\//],
    ['com.example.app:/cb', /https:\/\//],
    ['https://a.com/c b', /spaces/],
    ['', /Enter a redirect URI/],
    ['https://user:pw@app.example.com/cb', /user name or password/],
    [`https://app.example.com/${'a'.repeat(2000)}`, /at most 2000 characters/],
  ];

  it.each(good)('accepts %s', (uri) => {
    expect(redirectUriProblem(uri)).toBeNull();
    expect(isValidRedirectUri(uri)).toBe(true);
  });

  it.each(bad)('rejects %s', (uri, message) => {
    const problem = redirectUriProblem(uri);
    expect(problem).not.toBeNull();
    expect(problem).toMatch(message);
    expect(isValidRedirectUri(uri)).toBe(false);
  });
});

describe('the redirect URIs textarea', () => {
  it('takes one URI per line, ignoring blank lines and spaces around them', () => {
    expect(splitRedirectUris('  https://a.com/cb  \r\n\n http://127.0.0.1:8080/cb\n')).toEqual(['https://a.com/cb', 'http://127.0.0.1:8080/cb']);
  });

  it('names every bad line and passes good ones through', () => {
    const result = checkRedirectUris('https://a.com/cb\nhttp://example.com/cb\njavascript:alert(1)');
    expect(result.uris).toHaveLength(3);
    expect(result.errors).toHaveLength(2);
    expect(result.errors[0]).toMatch(/^http:\/\/example\.com\/cb: /);
    expect(result.errors[1]).toMatch(/^javascript:alert\(1\): /);
  });

  it('requires at least one URI', () => {
    expect(checkRedirectUris(' \n ').errors).toEqual(['Enter at least one redirect URI.']);
  });

  it('flags duplicates', () => {
    expect(checkRedirectUris('https://a.com/cb\nhttps://a.com/cb').errors).toEqual(['https://a.com/cb: listed more than once.']);
  });

  it('is happy with a list of good URIs', () => {
    expect(checkRedirectUris('https://app.example.com/cb\nhttp://[::1]:3000/cb').errors).toEqual([]);
  });
});

describe('logo URL validation', () => {
  it('allows an empty or https logo', () => {
    expect(logoUrlProblem('')).toBeNull();
    expect(logoUrlProblem('https://cdn.example.com/logo.png')).toBeNull();
  });

  it('rejects non-https and non-URLs', () => {
    expect(logoUrlProblem('http://cdn.example.com/logo.png')).not.toBeNull();
    expect(logoUrlProblem('javascript:alert(1)')).not.toBeNull();
    expect(logoUrlProblem('logo.png')).not.toBeNull();
  });
});
