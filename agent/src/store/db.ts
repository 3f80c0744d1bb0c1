import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

export type Db = Database.Database;

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
];

export function migrate(db: Db): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > MIGRATIONS.length) throw new Error(`store schema ${current} is newer than this agent (${MIGRATIONS.length})`);
  for (let v = current; v < MIGRATIONS.length; v++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[v]!);
      db.pragma(`user_version = ${v + 1}`);
    })();
  }
}

/** Opens (creating if needed) the agent's store in WAL mode, so a power cut loses at most the open transaction. */
export function openStore(dataDir: string): Db {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const db = new Database(join(dataDir, 'qlink.db'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  migrate(db);
  return db;
}

export function openMemoryStore(): Db {
  const db = new Database(':memory:');
  migrate(db);
  return db;
}
