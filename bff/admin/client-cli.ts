/**
 * `portal client update`: changes a partner app's settings after registration
 * (client-update.ts). Only the options given change; the CLI's switch prints
 * what this returns as JSON.
 */
import type { Store } from '../store/store.ts';
import type { Audit } from '../audit/audit.ts';
import { badRequest } from '../http/errors.ts';
import { publicClient } from '../oauth/clients.ts';
import { clientUpdateAuditData, updateClient, type ClientPatch } from '../oauth/client-update.ts';

export const CLIENT_UPDATE_USAGE = `  client update --client-id ID [--name N] [--redirect-uri U …] [--post-logout-redirect-uri U …]
                [--default-scope S] [--access-token-ttl SECONDS|default] [--legacy-refresh | --no-legacy-refresh]
                [--backchannel-logout-uri U] [--backchannel-logout-session-required | --no-backchannel-logout-session-required]
      (a list option replaces the whole list; --post-logout-redirect-uri '', --default-scope '' and
       --backchannel-logout-uri '' clear them)`;

/** A repeatable option given once as '' means "none". */
const list = (v: unknown): string[] | undefined => (Array.isArray(v) ? v.filter((x) => x !== '') : undefined);

export async function runClientUpdate(opts: Record<string, unknown>, ctx: { store: Store; audit: Audit }): Promise<unknown> {
  const clientId = opts['client-id'];
  if (typeof clientId !== 'string' || !clientId) throw badRequest('missing_option', '--client-id is required');
  if (opts['legacy-refresh'] && opts['no-legacy-refresh']) throw badRequest('conflicting_options', 'give --legacy-refresh or --no-legacy-refresh, not both');
  const patch: ClientPatch = {};
  if (typeof opts.name === 'string') patch.name = opts.name;
  if (opts['redirect-uri'] !== undefined) patch.redirectUris = list(opts['redirect-uri']);
  if (opts['post-logout-redirect-uri'] !== undefined) patch.postLogoutRedirectUris = list(opts['post-logout-redirect-uri']);
  if (typeof opts['default-scope'] === 'string') patch.defaultScope = opts['default-scope'];
  const ttl = opts['access-token-ttl'];
  if (typeof ttl === 'string') {
    if (ttl !== 'default' && !/^\d+$/.test(ttl)) throw badRequest('invalid_client_metadata', '--access-token-ttl takes whole seconds, or "default"');
    patch.accessTokenTtl = ttl === 'default' ? null : Number(ttl);
  }
  if (opts['legacy-refresh']) patch.legacyRefresh = true;
  if (opts['no-legacy-refresh']) patch.legacyRefresh = false;
  if (typeof opts['backchannel-logout-uri'] === 'string') patch.backchannelLogoutUri = opts['backchannel-logout-uri'] || null;
  if (opts['backchannel-logout-session-required'] && opts['no-backchannel-logout-session-required']) {
    throw badRequest('conflicting_options', 'give --backchannel-logout-session-required or --no-backchannel-logout-session-required, not both');
  }
  if (opts['backchannel-logout-session-required']) patch.backchannelLogoutSessionRequired = true;
  if (opts['no-backchannel-logout-session-required']) patch.backchannelLogoutSessionRequired = false;
  if (Object.keys(patch).length === 0) throw badRequest('missing_option', 'nothing to change: give at least one setting (see portal --help)');
  const { client, changed } = await updateClient(ctx.store, clientId, patch);
  if (changed.length) await ctx.audit.record('client_updated', { data: { ...clientUpdateAuditData(client, changed), via: 'cli' } });
  return { ...publicClient(client), changed };
}
