import { createRequire } from 'node:module';
import type BetterSqlite3 from 'better-sqlite3';
import type { Db, Params, SqlDriver, Statement } from './driver.js';

/**
 * better-sqlite3 (a native addon, built for the router's CPU and node 20):
 * its Database and Statement already have the contract's shape. Loaded on the
 * first open, so a node that uses node:sqlite never maps the addon.
 */
export const betterSqlite3: SqlDriver = {
  name: 'better-sqlite3',
  open(path: string): Db {
    const Database = createRequire(import.meta.url)('better-sqlite3') as typeof BetterSqlite3;
    const db = new Database(path);
    return {
      exec: (sql) => void db.exec(sql),
      // Its statements are returned as they are: no wrapper on the poll's hot path.
      prepare: <P extends Params, R>(sql: string) => db.prepare(sql) as unknown as Statement<P, R>,
      prepareTuples: <P extends Params, R extends unknown[]>(sql: string) => db.prepare(sql).raw(true) as unknown as Statement<P, R>,
      transaction: (fn) => db.transaction(fn)(),
      close: () => void db.close(),
    };
  },
};
