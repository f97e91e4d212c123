/** `portal api-route …`: the gateway's remote API routes from the command line (issue 18). */
import type { Store, Role } from '../store/store.ts';
import type { Audit } from '../audit/audit.ts';
import { badRequest } from '../http/errors.ts';
import { createApiRoute, deleteApiRoute, parseSize } from './route-table.ts';

export const API_ROUTE_USAGE = `  api-route create --path /api/NAME --upstream URL --resource URI [--scope S …] [--require-role admin|user]
                   [--anonymous] [--allow-redirects] [--max-body 10mb] [--timeout 30s]
  api-route list
  api-route delete --path /api/NAME`;

export const API_ROUTE_CLI_OPTIONS = {
  path: { type: 'string' },
  upstream: { type: 'string' },
  resource: { type: 'string' },
  'require-role': { type: 'string' },
  anonymous: { type: 'boolean' },
  'allow-redirects': { type: 'boolean' },
  'max-body': { type: 'string' },
  timeout: { type: 'string' },
} as const;

type Opts = Record<string, unknown>;

function required(opts: Opts, name: string): string {
  const v = opts[name];
  if (typeof v !== 'string' || !v) throw badRequest('missing_option', `--${name} is required`);
  return v;
}

/** `30`, `30s` or `2m` as milliseconds; NaN otherwise. */
function parseDuration(raw: string): number {
  const m = /^(\d+)\s*(s|m)?$/i.exec(raw.trim());
  return m ? Number(m[1]) * (m[2]?.toLowerCase() === 'm' ? 60_000 : 1_000) : NaN;
}

export async function runApiRouteCommand(action: string, opts: Opts, ctx: { store: Store; audit: Audit; now: number }): Promise<unknown> {
  const { store, audit, now } = ctx;
  switch (action) {
    case 'create': {
      const maxBody = opts['max-body'] as string | undefined;
      const timeout = opts.timeout as string | undefined;
      const route = await createApiRoute(
        store,
        {
          path: required(opts, 'path'),
          upstream: required(opts, 'upstream'),
          resource: (opts.resource as string | undefined) ?? null,
          scopes: (opts.scope as string[] | undefined) ?? [],
          requireRole: (opts['require-role'] as Role | undefined) ?? null,
          anonymous: opts.anonymous === true,
          allowRedirects: opts['allow-redirects'] === true,
          ...(maxBody !== undefined ? { maxBodyBytes: parseSize(maxBody) } : {}),
          ...(timeout !== undefined ? { timeoutMs: parseDuration(timeout) } : {}),
        },
        now,
      );
      await audit.record('api_route_created', {
        data: { path: route.path, upstream: route.upstream, resource: route.resource, scopes: route.scopes, via: 'cli' },
      });
      return route;
    }
    case 'list':
      return store.apiRoutes.list();
    case 'delete': {
      const path = required(opts, 'path');
      await deleteApiRoute(store, path);
      await audit.record('api_route_deleted', { data: { path, via: 'cli' } });
      return { deleted: path };
    }
    default:
      throw badRequest('unknown_command', `unknown command: api-route ${action}`);
  }
}
