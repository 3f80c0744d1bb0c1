import pg from 'pg';
import type { ColumnType, Param, Queryable, Row, SqlDriver } from './sql.js';
import { sqlStores } from './sql-stores.js';
import type { GatewayStores, SettlerLock } from './store.js';

/** The advisory lock key of the settler's lead (the migrations' transaction lock is 7171707). */
const SETTLER_LOCK = 7171708;

/**
 * The lead held as a session-level advisory lock on a connection of its
 * own, outside the pool: the lock lives exactly as long as that session, so
 * a gateway killed with SIGKILL (its socket closed by the kernel) or cut off
 * from the database loses it, and another takes it on its next try. Each
 * lead() of a held lock checks the session still answers.
 */
class PgSettlerLock implements SettlerLock {
  #client: pg.Client | null = null;
  #held = false;

  constructor(
    private readonly url: string,
    private readonly timeoutMs = 5_000,
  ) {}

  async lead(): Promise<boolean> {
    if (this.#held && this.#client) {
      try {
        await this.#client.query({ text: 'SELECT 1', query_timeout: this.timeoutMs } as pg.QueryConfig);
        return true;
      } catch {
        this.#drop();
      }
    }
    try {
      if (!this.#client) {
        const c = new pg.Client({ connectionString: this.url, keepAlive: true, connectionTimeoutMillis: this.timeoutMs });
        c.on('error', () => this.#drop());
        c.on('end', () => this.#drop());
        await c.connect();
        this.#client = c;
      }
      const r = await this.#client.query<{ ok: boolean }>({
        text: 'SELECT pg_try_advisory_lock($1) AS ok',
        values: [SETTLER_LOCK],
        query_timeout: this.timeoutMs,
      } as pg.QueryConfig);
      this.#held = r.rows[0]?.ok === true;
      return this.#held;
    } catch {
      this.#drop();
      return false;
    }
  }

  async release(): Promise<void> {
    const c = this.#client;
    this.#drop();
    // Ending the session releases the lock with it.
    await c?.end().catch(() => undefined);
  }

  #drop(): void {
    this.#held = false;
    const c = this.#client;
    this.#client = null;
    c?.end().catch(() => undefined);
  }
}

// bigint (20) and numeric (1700, what SUM(bigint) gives) as JS numbers: every
// stored integer is capped at 2^53 by the wire schema, so nothing is rounded.
const INT8 = 20;
const NUMERIC = 1700;
const types = {
  getTypeParser: ((oid: number, format?: string) =>
    oid === INT8 || oid === NUMERIC ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
};

/** `?` placeholders, as the shared SQL writes them, to PostgreSQL's $1, $2, … */
const numbered = (sql: string): string => {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
};

const queryable = (c: pg.Pool | pg.PoolClient): Queryable => ({
  all: async <T>(sql: string, params: Param[] = []) => (await c.query(numbered(sql), params)).rows as T[],
  run: async (sql: string, params: Param[] = []) => (await c.query(numbered(sql), params)).rowCount ?? 0,
  // One statement per batch of records: unnest turns one array per column into rows.
  insertMany: async (table: string, columns: Array<[string, ColumnType]>, rows: Param[][]) => {
    if (!rows.length) return;
    const arrays = columns.map((_, i) => rows.map((r) => r[i] ?? null));
    const sql = `INSERT INTO ${table} (${columns.map((c) => c[0]).join(', ')})
      SELECT * FROM unnest(${columns.map((c, i) => `$${i + 1}::${c[1]}[]`).join(', ')})`;
    await c.query(sql, arrays);
  },
});

class PgDriver implements SqlDriver {
  readonly dialect = 'postgres' as const;
  readonly #pool: pg.Pool;
  readonly #q: Queryable;

  settlerLock(): SettlerLock {
    return new PgSettlerLock(this.connectionString);
  }

  constructor(
    private readonly connectionString: string,
    max: number,
  ) {
    this.#pool = new pg.Pool({ connectionString, max, types });
    // An idle client losing its connection (server restart) must not crash the gateway; the pool replaces it.
    this.#pool.on('error', () => undefined);
    this.#q = queryable(this.#pool);
  }

  all<T = Row>(sql: string, params?: Param[]): Promise<T[]> {
    return this.#q.all<T>(sql, params);
  }
  run(sql: string, params?: Param[]): Promise<number> {
    return this.#q.run(sql, params);
  }
  insertMany(table: string, columns: Array<[string, ColumnType]>, rows: Param[][]): Promise<void> {
    return this.#q.insertMany(table, columns, rows);
  }

  async tx<T>(fn: (q: Queryable) => Promise<T>): Promise<T> {
    const c = await this.#pool.connect();
    try {
      await c.query('BEGIN');
      const out = await fn(queryable(c));
      await c.query('COMMIT');
      return out;
    } catch (e) {
      await c.query('ROLLBACK').catch(() => undefined);
      throw e;
    } finally {
      c.release();
    }
  }

  async migrate(steps: string[]): Promise<void> {
    await this.tx(async (q) => {
      // Gateways starting together take turns; the lock ends with the transaction.
      await q.all('SELECT pg_advisory_xact_lock(7171707)');
      await q.run('CREATE TABLE IF NOT EXISTS schema_version (version BIGINT NOT NULL)');
      const row = (await q.all<{ version: number }>('SELECT version FROM schema_version'))[0];
      const current = row?.version ?? 0;
      for (let v = current; v < steps.length; v++) await q.run(steps[v]!);
      if (!row) await q.run('INSERT INTO schema_version (version) VALUES (?)', [steps.length]);
      else await q.run('UPDATE schema_version SET version = ?', [steps.length]);
    });
  }

  close(): Promise<void> {
    return this.#pool.end();
  }
}

/** The gateway's stores in a PostgreSQL database shared by several gateways, migrated to the newest schema. */
export function openPgStore(url: string, poolSize = 8): Promise<GatewayStores> {
  return sqlStores(new PgDriver(url, poolSize));
}
