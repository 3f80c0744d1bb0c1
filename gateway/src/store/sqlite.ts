import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { ColumnType, Param, Queryable, Row, SqlDriver } from './sql.js';
import { sqlStores } from './sql-stores.js';
import type { GatewayStores, SettlerLock } from './store.js';

/** One gateway per SQLite file: it always leads. */
const SOLE_LEAD: SettlerLock = { lead: async () => true, release: async () => undefined };

/**
 * better-sqlite3 is synchronous, but the store's code is async (for
 * PostgreSQL): a promise-chain lock keeps one transaction's statements from
 * interleaving with another caller's on the single connection.
 */
class SqliteDriver implements SqlDriver {
  readonly dialect = 'sqlite' as const;
  settlerLock(): SettlerLock {
    return SOLE_LEAD;
  }
  readonly #db: Database.Database;
  readonly #stmts = new Map<string, Database.Statement>();
  #lock: Promise<unknown> = Promise.resolve();

  constructor(path: string) {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    this.#db = new Database(path);
    this.#db.pragma('journal_mode = WAL');
    // WAL with NORMAL loses at most the last commits on power loss, never consistency; the router resends unacked batches.
    this.#db.pragma('synchronous = NORMAL');
    this.#db.pragma('foreign_keys = ON');
    this.#db.pragma('busy_timeout = 5000');
  }

  #stmt(sql: string): Database.Statement {
    let s = this.#stmts.get(sql);
    if (!s) this.#stmts.set(sql, (s = this.#db.prepare(sql)));
    return s;
  }

  readonly #direct: Queryable = {
    all: async <T>(sql: string, params: Param[] = []) => {
      const s = this.#stmt(sql);
      return (s.reader ? s.all(...params) : (s.run(...params), [])) as T[];
    },
    run: async (sql: string, params: Param[] = []) => this.#stmt(sql).run(...params).changes,
    insertMany: async (table: string, columns: Array<[string, ColumnType]>, rows: Param[][]) => {
      const s = this.#stmt(`INSERT INTO ${table} (${columns.map((c) => c[0]).join(', ')}) VALUES (${columns.map(() => '?').join(', ')})`);
      for (const r of rows) s.run(...r);
    },
  };

  #exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.#lock.then(fn, fn);
    this.#lock = next.catch(() => undefined);
    return next;
  }

  all<T = Row>(sql: string, params?: Param[]): Promise<T[]> {
    return this.#exclusive(() => this.#direct.all<T>(sql, params));
  }
  run(sql: string, params?: Param[]): Promise<number> {
    return this.#exclusive(() => this.#direct.run(sql, params));
  }
  insertMany(table: string, columns: Array<[string, ColumnType]>, rows: Param[][]): Promise<void> {
    return this.#exclusive(() => this.#direct.insertMany(table, columns, rows));
  }

  tx<T>(fn: (q: Queryable) => Promise<T>): Promise<T> {
    return this.#exclusive(async () => {
      this.#db.exec('BEGIN IMMEDIATE');
      try {
        const out = await fn(this.#direct);
        this.#db.exec('COMMIT');
        return out;
      } catch (e) {
        this.#db.exec('ROLLBACK');
        throw e;
      }
    });
  }

  async migrate(steps: string[]): Promise<void> {
    this.#db
      .transaction(() => {
        const current = this.#db.pragma('user_version', { simple: true }) as number;
        for (let v = current; v < steps.length; v++) this.#db.exec(steps[v]!);
        this.#db.pragma(`user_version = ${steps.length}`);
      })
      .immediate();
  }

  async close(): Promise<void> {
    await this.#lock;
    this.#db.close();
  }
}

/** The gateway's stores in one SQLite file (or ':memory:'), migrated to the newest schema. */
export function openSqliteStore(path: string): Promise<GatewayStores> {
  return sqlStores(new SqliteDriver(path));
}
