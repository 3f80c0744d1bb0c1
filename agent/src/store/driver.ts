/**
 * The little the agent's stores need from SQLite, in the names and shapes
 * better-sqlite3 and node:sqlite (DatabaseSync, StatementSync; Node 22.5+)
 * share, so a router runs on whichever its node has. Only the driver modules
 * import a SQLite library; test/suites/sql-driver.suite.ts holds each driver
 * to this contract and test/suites/agent-store.suite.ts the stores over it.
 *
 * Integers are read as JS numbers (both libraries' default; neither is asked
 * for BigInts, and every integer the stores keep is below 2^53: amounts that
 * may not be are kept as text). A bigint binds as an exact 64-bit integer.
 */
export type SqlValue = number | bigint | string | null;

/** Positional parameters, or one object of named ones: `@name` in the SQL, `{ name }` here. */
export type Params = SqlValue[] | [Record<string, SqlValue>];

export interface RunResult {
  /** Rows the statement inserted, updated or deleted. */
  changes: number;
  /** The rowid of the row it inserted last. */
  lastInsertRowid: number | bigint;
}

/** A prepared statement; prepare once, run many times. */
export interface Statement<P extends Params = SqlValue[], R = unknown> {
  run(...params: P): RunResult;
  /** The first row, or undefined when there is none. */
  get(...params: P): R | undefined;
  all(...params: P): R[];
}

/** One open database. */
export interface Db {
  /** Runs one or more statements that take no parameters (schema, PRAGMA), ignoring any rows. */
  exec(sql: string): void;
  prepare<P extends Params = SqlValue[], R = unknown>(sql: string): Statement<P, R>;
  /**
   * The same, but each row is an array of its columns in the SELECT's order:
   * for a hot read of many rows (the poll's), where making row objects costs
   * more than the query.
   */
  prepareTuples<P extends Params = SqlValue[], R extends unknown[] = unknown[]>(sql: string): Statement<P, R>;
  /**
   * Runs fn in a transaction and returns what it returns: committed when fn
   * returns, rolled back (and the error thrown on) when it throws. Called
   * inside another transaction's fn it is a savepoint: its throw undoes only
   * its own writes. fn must be synchronous.
   */
  transaction<T>(fn: () => T): T;
  close(): void;
}

/** A SQLite library behind the contract: opens a file, or ':memory:'. */
export interface SqlDriver {
  readonly name: string;
  open(path: string): Db;
}
