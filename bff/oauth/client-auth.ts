/**
 * Client authentication for the compatibility adapters (WorkOS, SaG, Zenith),
 * in one place with one timing behaviour: one store lookup, then one
 * constant-time compare per presented form of the secret, against the
 * client's secret or, when the client is unknown or has none, against a dummy
 * of the same length. A refusal costs what an acceptance does, so the answer's
 * timing does not tell which client ids exist. /oauth/token does its own
 * (oidc-provider's) client authentication.
 */
import type { ClientRecord, Store } from '../store/store.ts';
import { safeEqual } from '../http/security.ts';

/** Stands in for the secret of a client that is unknown or has none (43 characters, as ours are). */
const DUMMY_SECRET = 'x'.repeat(43);

/** How many secret compares have run: tests count them to show every path does the same work. */
export const clientSecretWork = { compares: 0 };

/** Whether one of `presented` is `secret`; always compares every form, against a dummy when `secret` is null. */
export function secretMatches(secret: string | null, presented: readonly string[]): boolean {
  const stored = secret ?? DUMMY_SECRET;
  const results = presented.map((p) => {
    clientSecretWork.compares++;
    return safeEqual(stored, p);
  });
  return secret !== null && results.includes(true);
}

export interface ClientCheck {
  /** The client the id names, whoever asked (null when unknown). */
  client: ClientRecord | null;
  /** True only when the client exists, has a secret, and one presented form is it. */
  secretMatches: boolean;
}

/**
 * Looks the client up and compares what was presented (nothing: no compare
 * is skipped, a dummy value is compared instead). What a caller accepts
 * (public clients, the portal's own first-party client) stays its own rule.
 */
export async function checkClient(store: Store, clientId: string, presented: readonly string[]): Promise<ClientCheck> {
  const client = await store.clients.find(clientId);
  const forms = presented.length > 0 ? presented : [''];
  const matches = secretMatches(client?.secret ?? null, forms);
  return { client, secretMatches: presented.length > 0 && matches };
}
