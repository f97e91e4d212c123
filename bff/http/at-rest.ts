/**
 * Encryption at rest: AES-256-GCM under a key derived with HKDF from a
 * configured `{id: secret}` map. The highest id encrypts; every id still
 * configured decrypts, so the keys rotate: add a higher id, re-encrypt
 * (`stale` says which values need it), then remove the old id. Each value is
 * bound to its row through the additional authenticated data, so a ciphertext
 * cannot be moved to another row.
 *
 * Format: `<version>.<secret id>.<iv>.<ciphertext>.<tag>` (base64url parts).
 */
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

export interface Sealer {
  seal(plain: string, aad: string): string;
  /** The plaintext, or null when it cannot be opened (tampered, other row, secret removed). */
  open(sealed: string, aad: string): string | null;
  /** True when the value was sealed under an older secret and should be re-sealed. */
  stale(sealed: string): boolean;
  /** True when the value has this sealer's format (as opposed to a legacy plaintext). */
  isSealed(value: string): boolean;
}

export interface SealerOptions {
  /** First part of every sealed value, e.g. `fed1`. */
  version: string;
  salt: string;
  /** HKDF info: separates the keys of different kinds of value. */
  info: string;
}

export function createSealer(secrets: Readonly<Record<number, string>>, opts: SealerOptions): Sealer {
  const ids = Object.keys(secrets)
    .map(Number)
    .sort((a, b) => b - a);
  const current = ids[0]!;
  const keys = new Map<number, Buffer>();
  const keyFor = (id: number): Buffer | null => {
    const secret = secrets[id];
    if (secret === undefined) return null;
    let key = keys.get(id);
    if (!key) {
      key = Buffer.from(hkdfSync('sha256', secret, opts.salt, opts.info, 32));
      keys.set(id, key);
    }
    return key;
  };
  const isSealed = (value: string) => {
    const parts = value.split('.');
    return parts.length === 5 && parts[0] === opts.version && /^\d+$/.test(parts[1]!);
  };

  return {
    seal(plain, aad) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', keyFor(current)!, iv, { authTagLength: 16 });
      cipher.setAAD(Buffer.from(aad, 'utf8'));
      const ct = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
      return [opts.version, String(current), iv.toString('base64url'), ct.toString('base64url'), cipher.getAuthTag().toString('base64url')].join('.');
    },
    open(sealed, aad) {
      if (!isSealed(sealed)) return null;
      const parts = sealed.split('.');
      const key = keyFor(Number(parts[1]));
      if (!key) return null;
      try {
        const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(parts[2]!, 'base64url'), { authTagLength: 16 });
        decipher.setAAD(Buffer.from(aad, 'utf8'));
        decipher.setAuthTag(Buffer.from(parts[4]!, 'base64url'));
        return Buffer.concat([decipher.update(Buffer.from(parts[3]!, 'base64url')), decipher.final()]).toString('utf8');
      } catch {
        return null;
      }
    },
    stale(sealed) {
      return sealed.split('.')[1] !== String(current);
    },
    isSealed,
  };
}
