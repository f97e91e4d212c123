/**
 * Counts what the Store sends to its database, at the Driver seam every store
 * method goes through: statements (query, run, exec) and transactions. The
 * bench reads the counts, and the server's CPU time, around a timed slice, so
 * it can say how many statements and how much CPU one exchange costs. CPU per
 * request barely moves when other work shares the machine; requests per
 * second do.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Driver } from '../bff/store/sql/driver.ts';

export interface QueryCounts {
  statements: number;
  transactions: number;
}

/** `driver` with every statement counted into `counts`, inside transactions too. */
export function countingDriver(driver: Driver, counts: QueryCounts): Driver {
  const wrap = (d: Driver): Driver => ({
    kind: d.kind,
    query: (sql, params) => {
      counts.statements++;
      return d.query(sql, params);
    },
    run: (sql, params) => {
      counts.statements++;
      return d.run(sql, params);
    },
    exec: (script) => {
      counts.statements++;
      return d.exec(script);
    },
    transaction: (fn) => {
      counts.transactions++;
      return d.transaction((tx) => fn(wrap(tx)));
    },
    lock: (key) => d.lock(key),
    close: () => d.close(),
    ...(d.checkSpace ? { checkSpace: () => d.checkSpace!() } : {}),
    ...(d.notifications ? { notifications: d.notifications } : {}),
  });
  return wrap(driver);
}

export interface Meter extends QueryCounts {
  /** User + system CPU time of the server process, µs. */
  cpuMicros: number;
}

/** When each meter reading was taken (monotonic µs, the clock of V8's CPU profiles): readings come in pairs around a timed slice. */
const readings: number[] = [];

/** The counts so far and this process's CPU time. */
export function meter(counts: QueryCounts): Meter {
  readings.push(Number(process.hrtime.bigint() / 1000n));
  const { user, system } = process.cpuUsage();
  return { ...counts, cpuMicros: user + system };
}

/**
 * Under `--cpu-prof`, writes the timed windows next to the profile (windows.json), so that
 * profile-summary.ts can leave out everything else (minting, warm-up, idle waits).
 */
export function saveProfileWindows(): void {
  const dir = process.execArgv.find((a) => a.startsWith('--cpu-prof-dir='))?.slice('--cpu-prof-dir='.length);
  if (!dir) return;
  const windows: Array<[number, number]> = [];
  for (let i = 0; i + 1 < readings.length; i += 2) windows.push([readings[i]!, readings[i + 1]!]);
  writeFileSync(join(dir, `windows-${process.pid}.json`), JSON.stringify(windows));
}
