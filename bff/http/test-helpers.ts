/**
 * Helpers only the http/ tests import (never the app; kept out of mutation
 * testing by its name, stryker.config.mjs). One statement of the security
 * headers every answer carries, so primitives-mutants.test.ts (a bare Express
 * app) and security-mutants.test.ts (the running app) assert the same six.
 */
import assert from 'node:assert/strict';

export const CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' https: data:; connect-src 'self'; " +
  "font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/** The six security headers of an answer, exactly: HSTS only when the portal is served over https. */
export function assertSecurityHeaders(headers: Headers, https: boolean): void {
  const names = [
    'content-security-policy',
    'x-content-type-options',
    'x-frame-options',
    'referrer-policy',
    'cross-origin-opener-policy',
    'strict-transport-security',
  ];
  assert.deepEqual(Object.fromEntries(names.map((n) => [n, headers.get(n)])), {
    'content-security-policy': CSP,
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'DENY',
    'referrer-policy': 'no-referrer',
    'cross-origin-opener-policy': 'same-origin',
    'strict-transport-security': https ? 'max-age=31536000; includeSubDomains' : null,
  });
}
