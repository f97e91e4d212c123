/**
 * Encryption at rest for upstream secrets (connection client secrets, upstream
 * tokens): the shared sealer (http/at-rest.ts) keyed from the cookie secrets,
 * so they rotate like the cookies do. Format `fed1.<secret id>.<iv>.<ct>.<tag>`.
 */
import { createSealer as createAtRestSealer, type Sealer } from '../http/at-rest.ts';

export type { Sealer };

/** `purpose` separates the keys of different kinds of value (tokens, client secrets). */
export function createSealer(cookieSecrets: Readonly<Record<number, string>>, purpose: string): Sealer {
  return createAtRestSealer(cookieSecrets, { version: 'fed1', salt: 'portal-federation-at-rest', info: `portal federation ${purpose}` });
}

/** Connection client secrets, bound to their connection id. */
export function clientSecretSealer(cookieSecrets: Readonly<Record<number, string>>): Sealer {
  return createSealer(cookieSecrets, 'connection-client-secret');
}

/** Upstream tokens, bound to their (connection, subject). */
export function tokenSealer(cookieSecrets: Readonly<Record<number, string>>): Sealer {
  return createSealer(cookieSecrets, 'upstream-tokens');
}
