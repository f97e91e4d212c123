/**
 * Email addresses (email.ts), where mutation testing (docs/mutation.md) asks for
 * the edges: normalisation (NFC, trimmed, lower-cased) and the 254-character limit
 * from both sides, with the exact sentence. Pure.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { emailProblem, normaliseEmail } from './email.ts';

const BAD = 'That is not a valid email address.';
const DOMAIN = '@example.com';

describe('email addresses', () => {
  it('normalise to NFC, trimmed and lower-cased', () => {
    assert.equal(normaliseEmail('  Ann.Lee@Example.COM\t'), 'ann.lee@example.com');
    assert.equal(normaliseEmail('Jose\u0301@example.com'), 'jos\u00e9@example.com');
  });

  it('take up to 254 characters once normalised', () => {
    const at254 = `${'a'.repeat(254 - DOMAIN.length)}${DOMAIN}`;
    assert.equal(at254.length, 254);
    assert.equal(emailProblem(at254), null);
    assert.equal(emailProblem(`  ${at254.toUpperCase()}  `), null);
    assert.equal(emailProblem(`a${at254}`), BAD);
  });

  it('refuse what is not an address, with one sentence', () => {
    assert.equal(emailProblem('ann@example.com'), null);
    assert.equal(emailProblem(' Ann@Example.com '), null);
    assert.equal(emailProblem('ann'), BAD);
    assert.equal(emailProblem('ann@'), BAD);
    assert.equal(emailProblem(''), BAD);
  });
});
