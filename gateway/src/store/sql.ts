/**
 * The little the gateway's stores need from a SQL database. SQL is written once
 * with `?` placeholders in the subset SQLite and PostgreSQL share (upserts,
 * RETURNING, partial indexes); the PostgreSQL driver numbers them.
 */
import type { SettlerLock } from './store.js';

export type Row = Record<string, unknown>;
export type Param = string | number | null;
export type ColumnType = 'bigint' | 'text';

export interface Queryable {
  all<T = Row>(sql: string, params?: Param[]): Promise<T[]>;
  /** Rows changed. */
  run(sql: string, params?: Param[]): Promise<number>;
  /** Many rows in one statement where the database allows it; same column order as `columns`. */
  insertMany(table: string, columns: Array<[string, ColumnType]>, rows: Param[][]): Promise<void>;
}

export interface SqlDriver extends Queryable {
  readonly dialect: 'sqlite' | 'postgres';
  /** A new handle on the settler's lead (store.ts SettlerLock). */
  settlerLock(): SettlerLock;
  /** Commits when fn resolves, rolls back when it throws. */
  tx<T>(fn: (q: Queryable) => Promise<T>): Promise<T>;
  /** Runs the schema migrations not applied yet, exclusively (several gateways may start at once). */
  migrate(steps: string[]): Promise<void>;
  close(): Promise<void>;
}

export async function one<T = Row>(q: Queryable, sql: string, params?: Param[]): Promise<T | undefined> {
  return (await q.all<T>(sql, params))[0];
}

/** Numbers from either driver (PostgreSQL's bigint and numeric arrive as numbers via the driver's type parsers). */
export const num = (v: unknown): number => (v === null || v === undefined ? 0 : Number(v));
export const numOrNull = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));
