import type { Db, Params, SqlDriver, Statement } from './driver.js';

// node:sqlite's shapes (Node 22.5+; unflagged from 22.13), typed here because
// the project's @types/node is Node 20's. Only what the driver calls.
interface StatementSync {
  run(...params: unknown[]): { changes: number | bigint; lastInsertRowid: number | bigint };
  get(...params: unknown[]): unknown;
  all(...params: unknown[]): unknown[];
  /** Rows as arrays (Node 22.16+, 24+). */
  setReturnArrays?(enabled: boolean): void;
}
interface DatabaseSync {
  exec(sql: string): void;
  prepare(sql: string): StatementSync;
  close(): void;
}
interface SqliteModule {
  DatabaseSync: new (path: string) => DatabaseSync;
}

const getBuiltin = (process as unknown as { getBuiltinModule?: (id: string) => unknown }).getBuiltinModule;

/** node:sqlite when this node has it without a flag (22.13+, 23.4+), else null. */
export function nodeSqliteModule(): SqliteModule | null {
  try {
    return (getBuiltin?.call(process, 'node:sqlite') as SqliteModule | undefined) ?? null;
  } catch {
    return null;
  }
}

/**
 * node:sqlite (built into Node 22.13+): no addon to build per router CPU.
 * Its statements already have the contract's run/get/all; transactions are
 * BEGIN/COMMIT with savepoints inside, as better-sqlite3's are.
 */
export const nodeSqlite: SqlDriver = {
  name: 'node:sqlite',
  open(path: string): Db {
    const mod = nodeSqliteModule();
    if (!mod) throw new Error(`node:sqlite is not available in node ${process.version} (it needs 22.13 or newer)`);
    const db = new mod.DatabaseSync(path);
    let depth = 0;
    return {
      exec: (sql) => db.exec(sql),
      prepare: <P extends Params, R>(sql: string) => db.prepare(sql) as unknown as Statement<P, R>,
      prepareTuples: <P extends Params, R extends unknown[]>(sql: string) => {
        const st = db.prepare(sql);
        if (st.setReturnArrays) {
          st.setReturnArrays(true);
          return st as unknown as Statement<P, R>;
        }
        // An older node:sqlite makes objects; their keys are the columns in the SELECT's order.
        return {
          run: (...params: P) => {
            const r = st.run(...params);
            return { changes: Number(r.changes), lastInsertRowid: r.lastInsertRowid };
          },
          get: (...params: P) => {
            const row = st.get(...params);
            return row === undefined ? undefined : (Object.values(row as object) as R);
          },
          all: (...params: P) => st.all(...params).map((row) => Object.values(row as object) as R),
        };
      },
      transaction<T>(fn: () => T): T {
        const sp = `qlink_sp${depth}`;
        db.exec(depth === 0 ? 'BEGIN' : `SAVEPOINT ${sp}`);
        depth++;
        let result: T;
        try {
          result = fn();
        } catch (e) {
          depth--;
          try {
            db.exec(depth === 0 ? 'ROLLBACK' : `ROLLBACK TO ${sp}; RELEASE ${sp}`);
          } catch {
            /* SQLite may already have rolled back (e.g. SQLITE_FULL): nothing left to undo */
          }
          throw e;
        }
        depth--;
        try {
          db.exec(depth === 0 ? 'COMMIT' : `RELEASE ${sp}`);
        } catch (e) {
          if (depth === 0)
            try {
              db.exec('ROLLBACK');
            } catch {
              /* already gone */
            }
          throw e;
        }
        return result;
      },
      close: () => db.close(),
    };
  },
};
