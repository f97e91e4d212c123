/**
 * urlProblem() (input-guard.ts), the check of a raw URL and its Basic
 * credentials that the Express guard and the gateway both ask, pinned without
 * the app so that mutation testing (docs/mutation.md) kills its mutants in a
 * second: the path and the query each checked on its own (raw UTF-8 in the
 * path beside an escape in the query is fine), a URL without a
 * query read to its last character, each problem's sentence, and Basic
 * credentials checked only when the URL is fine. input-guard-mutants.test.ts
 * checks the guard through the running app.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { urlProblem } from './input-guard.ts';

const b64 = (s: string) => Buffer.from(s, 'latin1').toString('base64');

describe('urlProblem, without the app', () => {
  it('checks the path and the query, each as a whole, and says which problem', () => {
    const cases: Array<[string, string | null]> = [
      ['/a%41', null],
      ['/a%41?b=%42', null],
      ['/a?b=%C3%A9&c', null],
      ['/a%zz?b=1', 'The request URL has malformed percent-encoding.'],
      ['/a?b=%zz', 'The request URL has malformed percent-encoding.'],
      ['?b=%zz', 'The request URL has malformed percent-encoding.'],
      ['/a?b=%4', 'The request URL has malformed percent-encoding.'],
      ['/a%00?b=%zz', 'The request URL contains a NUL character.'],
      ['/a?b=%00', 'The request URL contains a NUL character.'],
      ['/a?b=%C3', 'The request URL has percent-encoded bytes that are not UTF-8.'],
      ['/a%C3?b=1', 'The request URL has percent-encoded bytes that are not UTF-8.'],
      // Raw UTF-8 in the path (Node hands its bytes over as latin1 characters) beside an escape in the query:
      // the query is checked from the character after '?', never with the path's last byte.
      ['/caf\u00c3\u00a9?x=%41', null],
      // Only percent-encoded bytes are decoded: a raw byte in a path without escapes is not checked with the query's.
      ['/\u00ff?x=%41', null],
    ];
    for (const [url, problem] of cases) assert.equal(urlProblem(url, undefined), problem, url);
  });

  it('checks Basic credentials only when the URL is fine', () => {
    const basic = `Basic ${b64('a%zz:b')}`;
    assert.equal(urlProblem('/oauth/token', basic), 'The Authorization header has malformed percent-encoding.');
    assert.equal(urlProblem('/oauth/token?x=%41', basic), 'The Authorization header has malformed percent-encoding.');
    assert.equal(urlProblem('/oauth/token?x=%zz', basic), 'The request URL has malformed percent-encoding.');
    assert.equal(urlProblem('/oauth/token', `Basic ${b64('a%41:b')}`), null);
  });
});
