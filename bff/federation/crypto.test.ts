import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createSealer, tokenSealer } from './crypto.ts';

const OLD = 'old-secret-old-secret-old-secret-0001';
const NEW = 'new-secret-new-secret-new-secret-0002';

describe('federation encryption at rest', () => {
  it('round-trips, and never shows the plaintext', () => {
    const s = tokenSealer({ 1: OLD });
    const sealed = s.seal('{"access_token":"at-123"}', 'conn\nsub');
    assert.match(sealed, /^fed1\.1\./);
    assert.ok(!sealed.includes('at-123'));
    assert.equal(s.open(sealed, 'conn\nsub'), '{"access_token":"at-123"}');
    assert.notEqual(s.seal('x', 'a'), s.seal('x', 'a'), 'a fresh IV each time');
  });

  it('refuses a value moved to another row, tampered with, or of another purpose', () => {
    const s = tokenSealer({ 1: OLD });
    const sealed = s.seal('secret', 'conn-a\nsub');
    assert.equal(s.open(sealed, 'conn-b\nsub'), null);
    const parts = sealed.split('.');
    const [first] = parts.splice(3, 1);
    assert.ok(first, 'a sealed value has a ciphertext part');
    const ct = Buffer.from(first, 'base64url');
    ct.writeUInt8(ct.readUInt8(0) ^ 1, 0);
    parts.splice(3, 0, ct.toString('base64url'));
    assert.equal(s.open(parts.join('.'), 'conn-a\nsub'), null);
    assert.equal(s.open(sealed.slice(0, -4), 'conn-a\nsub'), null, 'a truncated tag');
    assert.equal(createSealer({ 1: OLD }, 'other-purpose').open(sealed, 'conn-a\nsub'), null);
    assert.equal(s.open('not-a-sealed-value', 'conn-a\nsub'), null);
  });

  it('rotates with the cookie secrets: the highest id seals, any configured id opens', () => {
    const before = tokenSealer({ 1: OLD }).seal('secret', 'row');
    const rotated = tokenSealer({ 1: OLD, 2: NEW });
    assert.equal(rotated.open(before, 'row'), 'secret');
    assert.equal(rotated.stale(before), true);
    const after = rotated.seal('secret', 'row');
    assert.match(after, /^fed1\.2\./);
    assert.equal(rotated.stale(after), false);
    assert.equal(tokenSealer({ 2: NEW }).open(before, 'row'), null, 'a removed secret opens nothing');
    assert.equal(tokenSealer({ 2: NEW }).open(after, 'row'), 'secret');
  });
});
