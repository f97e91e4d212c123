/**
 * WorkOS's `organization_selection_required`: a user in several organizations
 * who signs in without naming one gets a pending authentication token and the
 * organizations; `authenticateWithOrganizationSelection` then names one. The
 * code is redeemed at once (it lives seconds); its refresh token waits here,
 * sealed (DATA_ENCRYPTION_KEYS), single use, for ten minutes, and the chosen
 * organization's token is minted from it at the real token endpoint.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Deps } from '../../deps.ts';
import type { User } from '../../store/store.ts';
import { createSealer } from '../../http/at-rest.ts';
import { WorkOSError, workosUser } from './map.ts';

const TTL_MS = 10 * 60 * 1000;

export interface PendingAuthentication {
  refreshToken: string;
  clientId: string;
  accountId: string;
  grantId: string;
  amr?: string[];
  acr?: string;
}

const keyOf = (token: string) => `workos-pending:${createHash('sha256').update(token).digest('base64url')}`;
const sealer = (deps: Deps) => createSealer(deps.config.dataEncryptionKeys, { version: 'wpa1', salt: 'portal-workos', info: 'workos pending authentication' });

/**
 * Seals `value` in the store for `ttlMs` (ten minutes) under a fresh pending authentication token,
 * which it returns. The row carries its expiry too, so the periodic sweep deletes it once lapsed.
 */
export async function putPending(deps: Deps, value: object, ttlMs = TTL_MS): Promise<string> {
  const token = randomBytes(32).toString('base64url');
  const key = keyOf(token);
  const expiresAt = deps.now() + ttlMs;
  await deps.store.settings.set(key, sealer(deps).seal(JSON.stringify({ ...value, expiresAt }), key), expiresAt);
  return token;
}

/** What `putPending` stored under `token`, without spending it (null: unknown, used or expired); `take` spends it, once. */
export async function readPending<T>(deps: Deps, token: string, take: boolean): Promise<T | null> {
  const key = keyOf(token);
  const sealed = await deps.store.settings.get(key);
  if (!sealed || (take && !(await deps.store.settings.takeIf(key, sealed)))) return null;
  const plain = sealer(deps).open(sealed, key);
  if (!plain) return null;
  const { expiresAt, ...value } = JSON.parse(plain) as T & { expiresAt: number };
  return expiresAt > deps.now() ? (value as T) : null;
}

/** Stores the pending authentication and answers the SDK's AuthenticationException (403). */
export async function requireOrganizationSelection(deps: Deps, pending: PendingAuthentication, user: User, organizationIds: string[]): Promise<never> {
  const token = await putPending(deps, pending);
  const organizations = [];
  for (const id of organizationIds) {
    const org = await deps.store.orgs.find(id);
    if (org) organizations.push({ id: org.id, name: org.name });
  }
  throw new WorkOSError(403, 'organization_selection_required', 'The user must choose the organization to sign in to.', {
    code: 'organization_selection_required',
    extra: { pending_authentication_token: token, user: workosUser(user), organizations },
  });
}

/** The pending authentication, once (null: unknown, used or expired). */
export async function takePendingAuthentication(deps: Deps, token: string): Promise<PendingAuthentication | null> {
  const p = await readPending<PendingAuthentication & { kind?: string }>(deps, token, true);
  // An email verification's pending token is not an organization selection's.
  return p && p.kind === undefined ? p : null;
}
