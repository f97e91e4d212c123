/**
 * Migration runner. Migrations are plain SQL files named `NNN_name.sql` under
 * migrations/<kind>/, applied in version order and recorded in
 * schema_migrations. Everything runs in one transaction behind an advisory
 * lock, so instances starting together apply each migration exactly once: the
 * loser of the race waits, then finds nothing pending.
 */
import { readdir, readFile } from 'node:fs/promises';
import { LOCK_MIGRATIONS, type Driver } from './driver.ts';

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export async function loadMigrations(kind: Driver['kind']): Promise<Migration[]> {
  const dir = new URL(`../migrations/${kind}/`, import.meta.url);
  const migrations: Migration[] = [];
  for (const file of (await readdir(dir)).sort()) {
    const match = /^(\d+)_(.+)\.sql$/.exec(file);
    const [, number, name] = match ?? [];
    if (number === undefined || name === undefined) continue;
    const version = Number(number);
    if (migrations.some((m) => m.version === version)) throw new Error(`duplicate migration version ${version} (${file})`);
    migrations.push({ version, name, sql: await readFile(new URL(file, dir), 'utf8') });
  }
  return migrations.sort((a, b) => a.version - b.version);
}

/** Applies pending migrations; returns the versions this call applied. */
export async function runMigrations(driver: Driver, migrations?: Migration[], now: () => number = Date.now): Promise<number[]> {
  const all = migrations ?? (await loadMigrations(driver.kind));
  return driver.transaction(async (tx) => {
    // The lock comes before CREATE TABLE IF NOT EXISTS, which itself races on PostgreSQL.
    await tx.lock(LOCK_MIGRATIONS);
    await tx.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)');
    const done = new Set((await tx.query<{ version: number }>('SELECT version FROM schema_migrations')).map((r) => r.version));
    const applied: number[] = [];
    for (const m of all) {
      if (done.has(m.version)) continue;
      await tx.exec(m.sql);
      await tx.run('INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)', [m.version, m.name, now()]);
      applied.push(m.version);
    }
    return applied;
  });
}
