/** API resources (RFC 8707) over SQL. */
import type { ApiResource, Store } from '../store.ts';
import type { Driver } from './driver.ts';
import { firstOr, parseJson } from './rows.ts';

interface ResourceRow {
  identifier: string;
  name: string;
  scopes: string;
  created_at: number;
}

function toResource(r: ResourceRow): ApiResource {
  return { identifier: r.identifier, name: r.name, scopes: parseJson<string[]>(r.scopes, []), createdAt: Number(r.created_at) };
}

export function sqlResources(db: Driver): Store['resources'] {
  return {
    async create(r) {
      await db.run('INSERT INTO api_resources (identifier, name, scopes, created_at) VALUES ($1, $2, $3, $4)', [
        r.identifier,
        r.name,
        JSON.stringify(r.scopes),
        r.createdAt,
      ]);
    },
    async find(identifier) {
      const rows = await db.query<ResourceRow>('SELECT * FROM api_resources WHERE identifier = $1', [identifier]);
      return firstOr(rows, toResource);
    },
    async list() {
      return (await db.query<ResourceRow>('SELECT * FROM api_resources ORDER BY created_at, identifier')).map(toResource);
    },
    async delete(identifier) {
      const { changes } = await db.run('DELETE FROM api_resources WHERE identifier = $1', [identifier]);
      return changes === 1;
    },
  };
}
