/**
 * The `portal connection …` commands: create (after discovery), list (never a
 * secret), delete. The CLI's switch calls runConnectionCommand and prints
 * what it returns as JSON.
 */
import type { Store } from '../store/store.ts';
import type { Audit } from '../audit/audit.ts';
import { badRequest, notFound } from '../http/errors.ts';
import { createConnection, publicConnection } from './connections.ts';

export const CONNECTION_USAGE = `  connection create --name N --issuer URL --client-id ID --client-secret S [--scope S …] [--org O] [--domain example.com …]
  connection list
  connection delete --id ID`;

export interface ConnectionCommandContext {
  store: Store;
  audit: Audit;
  now: number;
  cookieSecrets: Readonly<Record<number, string>>;
  allowPrivate: boolean;
}

function need(opts: Record<string, unknown>, name: string): string {
  const v = opts[name];
  if (typeof v !== 'string' || !v) throw badRequest('missing_option', `--${name} is required`);
  return v;
}

export async function runConnectionCommand(action: string, opts: Record<string, unknown>, ctx: ConnectionCommandContext): Promise<unknown> {
  const { store, audit, now } = ctx;
  switch (action) {
    case 'create': {
      const c = await createConnection(
        { store, cookieSecrets: ctx.cookieSecrets, now, allowPrivate: ctx.allowPrivate },
        {
          name: need(opts, 'name'),
          issuer: need(opts, 'issuer'),
          clientId: need(opts, 'client-id'),
          clientSecret: need(opts, 'client-secret'),
          scopes: opts.scope as string[] | undefined,
          org: opts.org as string | undefined,
          domains: (opts.domain as string[] | undefined) ?? [],
        },
      );
      await audit.record('connection_created', { data: { connection: c.id, name: c.name, issuer: c.issuer, orgId: c.orgId, domains: c.domains, via: 'cli' } });
      return publicConnection(c);
    }
    case 'list':
      return (await store.federation.listConnections()).map(publicConnection);
    case 'delete': {
      const id = need(opts, 'id');
      const c = await store.federation.findConnection(id);
      if (!c || !(await store.federation.deleteConnection(id))) throw notFound('connection_not_found', `no connection with id ${id}`);
      await audit.record('connection_deleted', { data: { connection: id, name: c.name, via: 'cli' } });
      return { deleted: id };
    }
    default:
      throw badRequest('unknown_command', `unknown command: connection ${action}`);
  }
}
