/**
 * Client-side mirror of the BFF's redirect URI rules, so the form can say
 * what is wrong before it is sent. The server still decides.
 *
 * A redirect URI must:
 * - parse as an absolute URL;
 * - use https, or http only on a loopback host (localhost, 127.0.0.1, [::1]);
 * - have no fragment and no user name or password;
 * - never be javascript: or data: (any letter case);
 * - be at most 2000 characters.
 */

export const LOOPBACK_HOSTS: ReadonlySet<string> = new Set(['localhost', '127.0.0.1', '[::1]']);

const MAX_LENGTH = 2000;

const FORBIDDEN_SCHEMES: ReadonlySet<string> = new Set(['javascript:', 'data:', 'vbscript:']);

/** The problem with one redirect URI, or null when it is acceptable. */
export function redirectUriProblem(raw: string): string | null {
  const value = raw.trim();
  if (value === '') return 'Enter a redirect URI.';
  if (/\s/.test(value)) return 'A redirect URI cannot contain spaces.';
  if (value.length > MAX_LENGTH) return `A redirect URI can be at most ${MAX_LENGTH} characters long.`;

  // Judge the scheme on the raw text too, in case the URL parser rejects the rest.
  const rawScheme = /^([a-z][a-z0-9+.-]*:)/i.exec(value)?.[1]?.toLowerCase();
  if (rawScheme !== undefined && FORBIDDEN_SCHEMES.has(rawScheme)) {
    return `${rawScheme} addresses are not allowed.`;
  }

  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'This is not a valid URL. Write the full address, like https://app.example.com/callback.';
  }

  if (FORBIDDEN_SCHEMES.has(url.protocol)) return `${url.protocol} addresses are not allowed.`;
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    return 'Use an https:// address (http:// is allowed only for localhost).';
  }
  if (value.includes('#')) return 'A redirect URI cannot contain a fragment (#…).';
  if (url.hostname === '') return 'The address needs a host name.';
  if (url.username !== '' || url.password !== '') return 'A redirect URI cannot contain a user name or password.';
  if (url.protocol === 'http:' && !LOOPBACK_HOSTS.has(url.hostname.toLowerCase())) {
    return 'http:// is allowed only for localhost, 127.0.0.1 or [::1]. Use https:// for other hosts.';
  }
  return null;
}

export function isValidRedirectUri(raw: string): boolean {
  return redirectUriProblem(raw) === null;
}

/** One URI per line; blank lines and surrounding spaces are ignored. */
export function splitRedirectUris(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '');
}

export interface RedirectUrisCheck {
  uris: string[];
  /** One message per bad line, naming the line; empty when all are fine. */
  errors: string[];
}

export function checkRedirectUris(text: string): RedirectUrisCheck {
  const uris = splitRedirectUris(text);
  if (uris.length === 0) return { uris, errors: ['Enter at least one redirect URI.'] };
  const errors: string[] = [];
  for (const uri of uris) {
    const problem = redirectUriProblem(uri);
    if (problem !== null) errors.push(`${uri}: ${problem}`);
  }
  const duplicates = uris.filter((uri, index) => uris.indexOf(uri) !== index);
  for (const uri of new Set(duplicates)) errors.push(`${uri}: listed more than once.`);
  return { uris, errors };
}

/** The logo is optional; when given it must be an https:// URL (http:// only on loopback). */
export function logoUrlProblem(raw: string): string | null {
  const value = raw.trim();
  if (value === '') return null;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'This is not a valid URL. Write the full address, like https://app.example.com/logo.png.';
  }
  if (url.protocol === 'https:') return null;
  if (url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname.toLowerCase())) return null;
  return 'Use an https:// address for the logo.';
}
