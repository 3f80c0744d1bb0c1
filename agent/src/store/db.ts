import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { defaultSqlDriver } from './choose-driver.js';
import type { Db, SqlDriver } from './driver.js';

/** Each entry upgrades the schema by one version; never edit a released one, append. */
const MIGRATIONS: string[] = [
  `CREATE TABLE guests (
     mac TEXT PRIMARY KEY,
     hostname TEXT,
     first_seen INTEGER NOT NULL,
     last_seen INTEGER NOT NULL
   );
   CREATE TABLE guest_addresses (
     ip TEXT PRIMARY KEY,
     mac TEXT NOT NULL,
     family INTEGER NOT NULL CHECK (family IN (4, 6)),
     source TEXT NOT NULL,
     last_seen INTEGER NOT NULL
   );
   CREATE INDEX guest_addresses_by_mac ON guest_addresses(mac);
   -- AUTOINCREMENT: a session id names kernel counters and conntrack marks, so it is never reused.
   CREATE TABLE sessions (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     mac TEXT NOT NULL,
     state TEXT NOT NULL CHECK (state IN ('active', 'ending', 'ended')),
     started_at INTEGER NOT NULL,
     ends_at INTEGER,
     quota_bytes INTEGER,
     bytes_down INTEGER NOT NULL DEFAULT 0,
     bytes_up INTEGER NOT NULL DEFAULT 0,
     dn_handle INTEGER,
     dn_seen INTEGER NOT NULL DEFAULT 0,
     up_handle INTEGER,
     up_seen INTEGER NOT NULL DEFAULT 0,
     metered_at INTEGER,
     ended_at INTEGER,
     end_reason TEXT
   );
   CREATE UNIQUE INDEX sessions_one_open_per_mac ON sessions(mac) WHERE state != 'ended';
   CREATE TABLE events (
     id INTEGER PRIMARY KEY,
     at INTEGER NOT NULL,
     kind TEXT NOT NULL,
     mac TEXT,
     session_id INTEGER,
     detail TEXT
   );`,
  // Usage log (issue 4): a session's totals at its last record, records, sealed batches and the outbox.
  `ALTER TABLE sessions ADD COLUMN usage_from INTEGER;
   ALTER TABLE sessions ADD COLUMN usage_down INTEGER NOT NULL DEFAULT 0;
   ALTER TABLE sessions ADD COLUMN usage_up INTEGER NOT NULL DEFAULT 0;
   ALTER TABLE sessions ADD COLUMN channel_id INTEGER;
   -- AUTOINCREMENT: a record id is in the signed bytes, so it is never reused, even after acked records are pruned.
   CREATE TABLE usage_records (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     session_id INTEGER NOT NULL,
     channel_id INTEGER,
     start_ms INTEGER NOT NULL,
     end_ms INTEGER NOT NULL,
     bytes_down INTEGER NOT NULL,
     bytes_up INTEGER NOT NULL,
     seconds INTEGER NOT NULL,
     cost INTEGER NOT NULL,
     voucher_amount INTEGER,
     voucher_sig TEXT,
     batch_seq INTEGER
   );
   CREATE INDEX usage_records_by_batch ON usage_records(batch_seq);
   CREATE TABLE usage_batches (
     seq INTEGER PRIMARY KEY,
     hash TEXT NOT NULL,
     prev TEXT NOT NULL,
     root TEXT NOT NULL,
     from_ms INTEGER NOT NULL,
     to_ms INTEGER NOT NULL,
     first_record INTEGER NOT NULL,
     last_record INTEGER NOT NULL,
     records INTEGER NOT NULL,
     sealed_at INTEGER NOT NULL,
     acked_at INTEGER
   );
   CREATE TABLE usage_outbox (
     seq INTEGER PRIMARY KEY,
     payload TEXT NOT NULL
   );`,
  // Plans and shaping: a session's plan, its rates and its queue (the tc class minor, stable across restarts).
  `ALTER TABLE sessions ADD COLUMN plan TEXT;
   ALTER TABLE sessions ADD COLUMN down_bps INTEGER;
   ALTER TABLE sessions ADD COLUMN up_bps INTEGER;
   ALTER TABLE sessions ADD COLUMN class_minor INTEGER;
   ALTER TABLE sessions ADD COLUMN last_active_at INTEGER;`,
  // Remote commands (issue 4): nonces already run, kept until their command expires, so a replay is refused across restarts.
  `CREATE TABLE remote_nonces (
     nonce TEXT PRIMARY KEY,
     expires INTEGER NOT NULL
   );
   CREATE INDEX remote_nonces_by_expiry ON remote_nonces(expires);`,
  // Vouchers (issue 6): the newest per channel only, amounts as text (up to 2^63 - 1, beyond a JS number).
  `CREATE TABLE vouchers (
     channel_id TEXT PRIMARY KEY,
     amount TEXT NOT NULL,
     -- the amount as 16 hex digits, so SQL compares amounts above 2^53 exactly
     amount_sort TEXT NOT NULL,
     signature TEXT NOT NULL,
     session_id INTEGER,
     at INTEGER NOT NULL
   );`,
  // Roaming and the gateway (issue 6): what other routers took on a channel before it came here (counted as spent here),
  // and whether the newest voucher has reached the gateway yet.
  `ALTER TABLE vouchers ADD COLUMN elsewhere TEXT NOT NULL DEFAULT '0';
   ALTER TABLE vouchers ADD COLUMN pushed INTEGER NOT NULL DEFAULT 0;
   CREATE INDEX vouchers_unpushed ON vouchers(at) WHERE pushed = 0;`,
  // Zero-rated destinations (issue 19): their bytes apart, with their own counter cursors and record cursor;
  // a zero-only session (credit out, the plan keeps its zero-rated destinations) is let through to those only.
  `ALTER TABLE sessions ADD COLUMN zero_down INTEGER NOT NULL DEFAULT 0;
   ALTER TABLE sessions ADD COLUMN zero_up INTEGER NOT NULL DEFAULT 0;
   ALTER TABLE sessions ADD COLUMN zdn_handle INTEGER;
   ALTER TABLE sessions ADD COLUMN zdn_seen INTEGER NOT NULL DEFAULT 0;
   ALTER TABLE sessions ADD COLUMN zup_handle INTEGER;
   ALTER TABLE sessions ADD COLUMN zup_seen INTEGER NOT NULL DEFAULT 0;
   ALTER TABLE sessions ADD COLUMN usage_zero_down INTEGER NOT NULL DEFAULT 0;
   ALTER TABLE sessions ADD COLUMN usage_zero_up INTEGER NOT NULL DEFAULT 0;
   ALTER TABLE sessions ADD COLUMN zero_only INTEGER NOT NULL DEFAULT 0;
   ALTER TABLE usage_records ADD COLUMN zero_down INTEGER NOT NULL DEFAULT 0;
   ALTER TABLE usage_records ADD COLUMN zero_up INTEGER NOT NULL DEFAULT 0;`,
  // Plans on chain (issue 19): the owner, plan and version a session's channel was opened under (what it is priced by),
  // the terms of every version read (they never change), and the owner's current list as last read.
  `ALTER TABLE sessions ADD COLUMN plan_owner TEXT;
   ALTER TABLE sessions ADD COLUMN plan_id INTEGER;
   ALTER TABLE sessions ADD COLUMN plan_version INTEGER;
   CREATE TABLE plan_versions (
     owner TEXT NOT NULL,
     plan_id INTEGER NOT NULL,
     version INTEGER NOT NULL,
     terms TEXT NOT NULL,
     read_at INTEGER NOT NULL,
     PRIMARY KEY (owner, plan_id, version)
   );
   -- one row per current plan; a single row of NULLs: the router had no owner at read_at
   CREATE TABLE plan_heads (
     owner TEXT,
     plan_id INTEGER,
     version INTEGER,
     read_at INTEGER NOT NULL
   );`,
];

/** A row of usage_records as the migrations leave it (SELECT *). */
export interface UsageRecordRow {
  id: number;
  session_id: number;
  channel_id: number | null;
  start_ms: number;
  end_ms: number;
  bytes_down: number;
  bytes_up: number;
  seconds: number;
  cost: number;
  voucher_amount: number | null;
  voucher_sig: string | null;
  /** The batch that sealed it; null until then. */
  batch_seq: number | null;
  zero_down: number;
  zero_up: number;
}

export function migrate(db: Db): void {
  const current = db.prepare<[], { user_version: number }>('PRAGMA user_version').get()!.user_version;
  if (current > MIGRATIONS.length) throw new Error(`store schema ${current} is newer than this agent (${MIGRATIONS.length})`);
  for (let v = current; v < MIGRATIONS.length; v++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[v]!);
      db.exec(`PRAGMA user_version = ${v + 1}`);
    });
  }
}

/** Opens (creating if needed) the agent's store in WAL mode, so a power cut loses at most the open transaction. */
export function openStore(dataDir: string, driver: SqlDriver = defaultSqlDriver().driver): Db {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const db = driver.open(join(dataDir, 'qlink.db'));
  db.exec('PRAGMA journal_mode = WAL');
  db.exec('PRAGMA synchronous = NORMAL');
  db.exec('PRAGMA foreign_keys = ON');
  migrate(db);
  return db;
}

export function openMemoryStore(driver: SqlDriver = defaultSqlDriver().driver): Db {
  const db = driver.open(':memory:');
  migrate(db);
  return db;
}
