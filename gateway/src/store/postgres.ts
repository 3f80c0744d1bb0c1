import pg from 'pg';
import type { ColumnType, Param, Queryable, Row, SqlDriver } from './sql.js';
import { SqlGatewayStore } from './sql-store.js';

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

  constructor(connectionString: string, max: number) {
    this.#pool = new pg.Pool({ connectionString, max, types });
    // An idle client losing its connection (server restart) must not crash the gateway; the pool replaces it.
    this.#pool.on('error', () => undefined);
    this.#q = queryable(this.#pool);
  }

  all<T = Row>(sql: string, params?: Param[]): Promise<T[]> { return this.#q.all<T>(sql, params); }
  run(sql: string, params?: Param[]): Promise<number> { return this.#q.run(sql, params); }
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

/** A store in a PostgreSQL database shared by several gateways, migrated to the newest schema. */
export async function openPgStore(url: string, poolSize = 8): Promise<SqlGatewayStore> {
  const store = new SqlGatewayStore(new PgDriver(url, poolSize));
  await store.migrate();
  return store;
}
