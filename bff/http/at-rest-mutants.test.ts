/**
 * Encryption at rest (at-rest.ts), pinned where mutation testing
 * (docs/mutation.md) needs it: the exact format, the key derivation checked
 * against an independent HKDF + AES-256-GCM, the highest numeric id sealing,
 * the row binding, and every malformed or foreign value opening to null
 * rather than throwing. Pure functions: no store.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createCipheriv, createDecipheriv, hkdfSync } from 'node:crypto';
import { createSealer } from './at-rest.ts';

const OPTS = { version: 'enc9', salt: 'a-salt', info: 'a kind of value' };
const SECRETS = { 2: 'second-secret-second-secret-second', 10: 'tenth-secret-tenth-secret-tenth-se' };

const keyOf = (secret: string, salt = OPTS.salt, info = OPTS.info) => Buffer.from(hkdfSync('sha256', secret, salt, info, 32));

/** Opens a sealed value without the module: the format and derivation as documented. */
function openIndependently(sealed: string, secret: string, aad: string): string {
  const [, , iv, ct, tag] = sealed.split('.');
  const d = createDecipheriv('aes-256-gcm', keyOf(secret), Buffer.from(iv!, 'base64url'), { authTagLength: 16 });
  d.setAAD(Buffer.from(aad, 'utf8'));
  d.setAuthTag(Buffer.from(tag!, 'base64url'));
  return Buffer.concat([d.update(Buffer.from(ct!, 'base64url')), d.final()]).toString('utf8');
}

/** Seals without the module, with a chosen iv. */
function sealIndependently(plain: string, id: number, secret: string, aad: string, version = OPTS.version): string {
  const iv = Buffer.alloc(12, 7);
  const c = createCipheriv('aes-256-gcm', keyOf(secret), iv, { authTagLength: 16 });
  c.setAAD(Buffer.from(aad, 'utf8'));
  const ct = Buffer.concat([c.update(plain, 'utf8'), c.final()]);
  return [version, String(id), iv.toString('base64url'), ct.toString('base64url'), c.getAuthTag().toString('base64url')].join('.');
}

describe('encryption at rest, exactly', () => {
  const sealer = createSealer(SECRETS, OPTS);
  const PLAIN = 'a secret — naïve ✓';
  const AAD = 'row-é-1';

  it('seals as version.id.iv.ciphertext.tag under the highest numeric id, with HKDF-SHA-256 of that secret', () => {
    const sealed = sealer.seal(PLAIN, AAD);
    const parts = sealed.split('.');
    assert.equal(parts.length, 5);
    assert.equal(parts[0], 'enc9');
    assert.equal(parts[1], '10', '10 is higher than 2 (numeric, not text order)');
    assert.equal(Buffer.from(parts[2]!, 'base64url').length, 12, 'a 96-bit iv');
    assert.equal(Buffer.from(parts[3]!, 'base64url').length, Buffer.byteLength(PLAIN, 'utf8'), 'GCM adds no padding');
    assert.equal(Buffer.from(parts[4]!, 'base64url').length, 16, 'a 128-bit tag');
    assert.equal(openIndependently(sealed, SECRETS[10], AAD), PLAIN);
    assert.throws(() => openIndependently(sealed, SECRETS[2], AAD), 'not under the older secret');
    assert.notEqual(sealer.seal(PLAIN, AAD).split('.')[2], parts[2], 'a fresh iv each time');
  });

  it('opens what was sealed as documented, under every configured id, bound to its row', () => {
    const under10 = sealIndependently(PLAIN, 10, SECRETS[10], AAD);
    const under2 = sealIndependently(PLAIN, 2, SECRETS[2], AAD);
    assert.equal(sealer.open(under10, AAD), PLAIN);
    assert.equal(sealer.open(under2, AAD), PLAIN, 'older ids still open');
    assert.equal(sealer.open(sealer.seal(PLAIN, AAD), AAD), PLAIN);
    assert.equal(sealer.open(under10, 'row-e-1'), null, 'another row');
    assert.equal(sealer.open(under10, ''), null);
    // Opened twice: the derived key is reused, not re-derived wrongly.
    assert.equal(sealer.open(under2, AAD), PLAIN);
  });

  it('separates kinds of value by salt and info', () => {
    const sealed = sealer.seal(PLAIN, AAD);
    assert.equal(createSealer(SECRETS, { ...OPTS, info: 'another kind' }).open(sealed, AAD), null);
    assert.equal(createSealer(SECRETS, { ...OPTS, salt: 'another salt' }).open(sealed, AAD), null);
    assert.equal(createSealer(SECRETS, { ...OPTS, version: 'enc8' }).open(sealed, AAD), null, 'another version is not its format');
  });

  it('opens anything malformed, foreign or tampered to null, never throwing', () => {
    const good = sealIndependently(PLAIN, 10, SECRETS[10], AAD);
    const [v, id, iv, ct, tag] = good.split('.') as [string, string, string, string, string];
    const flip = (s: string) => (s[0] === 'A' ? 'B' : 'A') + s.slice(1);
    const cases: Record<string, string> = {
      'four parts': [v, id, iv, ct].join('.'),
      'six parts': [v, id, iv, ct, tag, 'x'].join('.'),
      'another version': ['enc1', id, iv, ct, tag].join('.'),
      'an id that is not a number': [v, '1a', iv, ct, tag].join('.'),
      'a negative id': [v, '-10', iv, ct, tag].join('.'),
      'an empty id': [v, '', iv, ct, tag].join('.'),
      'an id not configured': [v, '3', iv, ct, tag].join('.'),
      'the wrong configured id': [v, '2', iv, ct, tag].join('.'),
      'a tampered iv': [v, id, flip(iv), ct, tag].join('.'),
      'an iv of the wrong length': [v, id, iv.slice(0, 8), ct, tag].join('.'),
      'a tampered ciphertext': [v, id, iv, flip(ct), tag].join('.'),
      'a tampered tag': [v, id, iv, ct, flip(tag)].join('.'),
      'a short tag': [v, id, iv, ct, tag.slice(0, 10)].join('.'),
      // 12 bytes of the right tag: a valid GCM tag length, so only the fixed 16-byte length refuses it.
      'the right tag cut to 12 bytes': [v, id, iv, ct, tag.slice(0, 16)].join('.'),
      plaintext: 'just-a-legacy-secret',
      empty: '',
    };
    for (const [what, value] of Object.entries(cases)) assert.equal(sealer.open(value, AAD), null, what);
  });

  it('says which values an older secret sealed, and which values have its format', () => {
    assert.equal(sealer.stale(sealIndependently(PLAIN, 2, SECRETS[2], AAD)), true);
    assert.equal(sealer.stale(sealer.seal(PLAIN, AAD)), false);
    assert.equal(createSealer({ 2: SECRETS[2] }, OPTS).stale(sealIndependently(PLAIN, 2, SECRETS[2], AAD)), false, 'current when 2 is the only id');
    assert.equal(sealer.isSealed(sealer.seal(PLAIN, AAD)), true);
    assert.equal(sealer.isSealed('enc9.10.a.b.c'), true, 'the shape alone');
    assert.equal(sealer.isSealed('enc9.10.a.b'), false);
    assert.equal(sealer.isSealed('enc9.10.a.b.c.d'), false);
    assert.equal(sealer.isSealed('enc8.10.a.b.c'), false);
    assert.equal(sealer.isSealed('enc9.x10.a.b.c'), false, 'digits only, from the start');
    assert.equal(sealer.isSealed('enc9.10x.a.b.c'), false, 'digits only, to the end');
    assert.equal(sealer.isSealed('enc9..a.b.c'), false);
    assert.equal(sealer.isSealed('plain-secret'), false);
  });
});
