import { betterSqlite3 } from './better-sqlite3.js';
import type { SqlDriver } from './driver.js';
import { nodeSqlite, nodeSqliteModule } from './node-sqlite.js';

export interface DriverChoice {
  driver: SqlDriver;
  reason: string;
}

const BY_NAME: Record<string, SqlDriver> = { 'node:sqlite': nodeSqlite, 'better-sqlite3': betterSqlite3 };

/**
 * Which SQLite the agent uses, in this order: QLINK_SQLITE if set (tests,
 * benchmarks), then node:sqlite where this node has it built in (22.13+: no
 * addon per router CPU), else the better-sqlite3 addon (node 20, as OpenWrt
 * 24.10 ships). The reason is logged at start.
 */
export function chooseSqlDriver(env: NodeJS.ProcessEnv = process.env, hasNodeSqlite = nodeSqliteModule() !== null): DriverChoice {
  const wanted = env.QLINK_SQLITE;
  if (wanted) {
    const driver = BY_NAME[wanted];
    if (!driver) throw new Error(`QLINK_SQLITE=${wanted}: expected one of ${Object.keys(BY_NAME).join(', ')}`);
    if (driver === nodeSqlite && !hasNodeSqlite) throw new Error(`QLINK_SQLITE=node:sqlite, but node ${process.version} has no node:sqlite`);
    return { driver, reason: `QLINK_SQLITE=${wanted}` };
  }
  if (hasNodeSqlite) return { driver: nodeSqlite, reason: `node ${process.version} has node:sqlite built in` };
  return { driver: betterSqlite3, reason: `node ${process.version} has no node:sqlite; the better-sqlite3 addon` };
}

let chosen: DriverChoice | undefined;
/** The choice for this process, made once. */
export function defaultSqlDriver(): DriverChoice {
  return (chosen ??= chooseSqlDriver());
}
