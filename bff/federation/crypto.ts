/**
 * Encryption at rest for upstream secrets (connection client secrets, upstream
 * tokens): AES-256-GCM under a key derived with HKDF from the cookie secrets.
 * The highest secret id encrypts; every id still configured decrypts, so the
 * secrets rotate like the cookies do. Each value is bound to its row through
 * the additional authenticated data, so a ciphertext cannot be moved to
 * another row.
 *
 * Format: `fed1.<secret id>.<iv>.<ciphertext>.<tag>` (base64url parts).
 */
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

const VERSION = 'fed1';
const SALT = 'portal-federation-at-rest';

export interface Sealer {
  seal(plain: string, aad: string): string;
  /** The plaintext, or null when it cannot be opened (tampered, other row, secret removed). */
  open(sealed: string, aad: string): string | null;
  /** True when the value was sealed under an older secret and should be re-sealed. */
  stale(sealed: string): boolean;
}

/** `purpose` separates the keys of different kinds of value (tokens, client secrets). */
export function createSealer(cookieSecrets: Readonly<Record<number, string>>, purpose: string): Sealer {
  const ids = Object.keys(cookieSecrets).map(Number).sort((a, b) => b - a);
  const current = ids[0]!;
  const keys = new Map<number, Buffer>();
  const keyFor = (id: number): Buffer | null => {
    const secret = cookieSecrets[id];
    if (secret === undefined) return null;
    let key = keys.get(id);
    if (!key) {
      key = Buffer.from(hkdfSync('sha256', secret, SALT, `portal federation ${purpose}`, 32));
      keys.set(id, key);
    }
    return key;
  };

  return {
    seal(plain, aad) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', keyFor(current)!, iv, { authTagLength: 16 });
      cipher.setAAD(Buffer.from(aad, 'utf8'));
      const ct = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
      return [VERSION, String(current), iv.toString('base64url'), ct.toString('base64url'), cipher.getAuthTag().toString('base64url')].join('.');
    },
    open(sealed, aad) {
      const parts = sealed.split('.');
      if (parts.length !== 5 || parts[0] !== VERSION) return null;
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
  };
}

/** Connection client secrets, bound to their connection id. */
export function clientSecretSealer(cookieSecrets: Readonly<Record<number, string>>): Sealer {
  return createSealer(cookieSecrets, 'connection-client-secret');
}

/** Upstream tokens, bound to their (connection, subject). */
export function tokenSealer(cookieSecrets: Readonly<Record<number, string>>): Sealer {
  return createSealer(cookieSecrets, 'upstream-tokens');
}
