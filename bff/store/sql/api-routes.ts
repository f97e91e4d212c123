/** The gateway's remote API routes over SQL. */
import type { ApiRoute, Role, Store } from '../store.ts';
import type { Driver } from './driver.ts';
import { parseJson } from './rows.ts';

interface RouteRow {
  path: string;
  upstream: string;
  resource: string | null;
  scopes: string;
  require_role: string | null;
  anonymous: number | boolean;
  allow_redirects: number | boolean;
  max_body_bytes: number | string;
  timeout_ms: number;
  created_at: number | string;
}

function toRoute(r: RouteRow): ApiRoute {
  return {
    path: r.path,
    upstream: r.upstream,
    resource: r.resource,
    scopes: parseJson<string[]>(r.scopes, []),
    requireRole: (r.require_role as Role | null) ?? null,
    anonymous: Boolean(Number(r.anonymous)),
    allowRedirects: Boolean(Number(r.allow_redirects)),
    maxBodyBytes: Number(r.max_body_bytes),
    timeoutMs: Number(r.timeout_ms),
    createdAt: Number(r.created_at),
  };
}

export function sqlApiRoutes(db: Driver): Store['apiRoutes'] {
  return {
    async create(r) {
      await db.run(
        `INSERT INTO api_routes (path, upstream, resource, scopes, require_role, anonymous, allow_redirects, max_body_bytes, timeout_ms, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
        [
          r.path,
          r.upstream,
          r.resource,
          JSON.stringify(r.scopes),
          r.requireRole,
          r.anonymous ? 1 : 0,
          r.allowRedirects ? 1 : 0,
          r.maxBodyBytes,
          r.timeoutMs,
          r.createdAt,
        ],
      );
    },
    async list() {
      return (await db.query<RouteRow>('SELECT * FROM api_routes ORDER BY path')).map(toRoute);
    },
    async delete(path) {
      const { changes } = await db.run('DELETE FROM api_routes WHERE path = $1', [path]);
      return changes === 1;
    },
  };
}
