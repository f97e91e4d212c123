/**
 * Changing a partner app after registration (issue 12): its name, redirect and
 * post-logout redirect URIs, default scope, access-token lifetime and the
 * legacy refresh mode, its back-channel logout URI, through the same checks as registration. The provider
 * reads a client from the store on every request (adapter.ts), so a change
 * takes effect on every instance at once. The CLI and the admin screen share
 * this; each audits what changed.
 */
import { z } from 'zod';
import type { ClientRecord, Store } from '../store/store.ts';
import { badRequest, notFound } from '../http/errors.ts';
import { validateClientInput } from './clients.ts';
import { validateClientOptions } from './client-options.ts';

export interface ClientPatch {
  name?: string;
  redirectUris?: string[];
  postLogoutRedirectUris?: string[];
  /** Space-separated or a list; empty: no default scope. */
  defaultScope?: string | string[] | null;
  /** Seconds; null: back to the ACCESS_TOKEN_TTL default. */
  accessTokenTtl?: number | null;
  legacyRefresh?: boolean;
  /** null or '': no back-channel logout any more. */
  backchannelLogoutUri?: string | null;
  backchannelLogoutSessionRequired?: boolean;
}

/** The admin API's body for a change: every field optional, unknown ones refused. */
export const clientPatchSchema = z
  .object({
    name: z.string().max(200),
    redirectUris: z.array(z.string().max(2000)).max(20),
    postLogoutRedirectUris: z.array(z.string().max(2000)).max(20),
    defaultScope: z.array(z.string().max(100)).max(20).nullable(),
    accessTokenTtl: z.number().int().nullable(),
    legacyRefresh: z.boolean(),
    backchannelLogoutUri: z.string().max(2000).nullable(),
    backchannelLogoutSessionRequired: z.boolean(),
  })
  .partial()
  .strict();

const FIELDS = [
  'name',
  'redirectUris',
  'postLogoutRedirectUris',
  'defaultScope',
  'accessTokenTtl',
  'legacyRefresh',
  'backchannelLogoutUri',
  'backchannelLogoutSessionRequired',
] as const;

/**
 * Applies `patch` to a partner app; returns the stored record and the names
 * of the fields whose value changed (empty when nothing did). Throws the
 * registration's own errors for a bad value, and not found for the portal's
 * own client or an unknown id.
 */
export async function updateClient(store: Store, clientId: string, patch: ClientPatch): Promise<{ client: ClientRecord; changed: string[] }> {
  const c = await store.clients.find(clientId);
  if (!c || c.firstParty) throw notFound('client_not_found', `No partner app with client id ${clientId}.`);
  const logoutPatched = patch.backchannelLogoutUri !== undefined || patch.backchannelLogoutSessionRequired !== undefined;
  if (
    c.machine &&
    (patch.redirectUris || patch.postLogoutRedirectUris || patch.defaultScope !== undefined || patch.legacyRefresh !== undefined || logoutPatched)
  ) {
    throw badRequest('invalid_client_metadata', 'A machine client signs nobody in: only its name and access-token lifetime can change.');
  }
  // A machine client (machine.ts) has no redirect URIs and resource scopes only: its name and
  // lifetime go through the same checks, its own URIs and scopes stay as they are.
  const v = validateClientInput({
    name: patch.name ?? c.name,
    redirectUris: c.machine ? ['https://machine.invalid/'] : (patch.redirectUris ?? c.redirectUris),
    postLogoutRedirectUris: patch.postLogoutRedirectUris ?? c.postLogoutRedirectUris,
    isPublic: c.secret === null,
    scopes: c.machine ? [] : c.scopes,
    logoUrl: c.logoUrl,
    defaultScope: patch.defaultScope === undefined ? (c.defaultScope ?? null) : patch.defaultScope,
    accessTokenTtl: patch.accessTokenTtl === undefined ? (c.accessTokenTtl ?? null) : patch.accessTokenTtl,
    legacyRefresh: patch.legacyRefresh ?? c.legacyRefresh === true,
  });
  const logoutUri = patch.backchannelLogoutUri === undefined ? (c.backchannelLogoutUri ?? null) : patch.backchannelLogoutUri;
  // Clearing the URI clears the session requirement with it, unless the patch says otherwise.
  const logout = validateClientOptions(
    {
      backchannelLogoutUri: logoutUri,
      backchannelLogoutSessionRequired: patch.backchannelLogoutSessionRequired ?? (Boolean(logoutUri) && c.backchannelLogoutSessionRequired === true),
    },
    false,
  );
  const next: ClientRecord = {
    ...c,
    name: v.name,
    redirectUris: c.machine ? c.redirectUris : v.redirectUris,
    postLogoutRedirectUris: v.postLogoutRedirectUris ?? [],
    defaultScope: v.defaultScope,
    accessTokenTtl: v.accessTokenTtl,
    legacyRefresh: v.legacyRefresh,
    backchannelLogoutUri: logout.backchannelLogoutUri ?? null,
    backchannelLogoutSessionRequired: logout.backchannelLogoutSessionRequired === true,
  };
  const before: Record<string, unknown> = {
    ...c,
    defaultScope: c.defaultScope ?? null,
    accessTokenTtl: c.accessTokenTtl ?? null,
    legacyRefresh: c.legacyRefresh === true,
    backchannelLogoutUri: c.backchannelLogoutUri ?? null,
    backchannelLogoutSessionRequired: c.backchannelLogoutSessionRequired === true,
  };
  const changed = FIELDS.filter((k) => JSON.stringify(before[k]) !== JSON.stringify(next[k]));
  // The whole record, secret and options included, as read: upsert replaces the row.
  if (changed.length) await store.clients.upsert(next);
  return { client: next, changed };
}

/** What the audit log keeps of a change: the names of the changed fields and their new values (none is a secret). */
export function clientUpdateAuditData(client: ClientRecord, changed: readonly string[]): Record<string, unknown> {
  const data: Record<string, unknown> = { clientId: client.clientId, changed };
  for (const k of changed) data[k] = client[k as keyof ClientRecord] ?? null;
  return data;
}
