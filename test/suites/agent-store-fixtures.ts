import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Test } from 'tap';
import { openMemoryStore, openStore } from '../../agent/src/store/db.js';
import type { Db, SqlDriver } from '../../agent/src/store/driver.js';

export const T0 = 1_700_000_000_000;
export const MAC_A = '02:00:00:00:00:01';
export const MAC_B = '02:00:00:00:00:02';
export const MAC_C = '02:00:00:00:00:03';

/**
 * The agent's store on one driver, migrated: in memory, or in a file with a
 * second connection to it. The second connection is opened while the first
 * is still open, so it sees only what was committed: what an agent
 * restarted after kill -9 would find.
 */
export function agentStores(t: Test, driver: SqlDriver): { memory(): Db; file(): { db: Db; restarted(): Db } } {
  return {
    memory() {
      const db = openMemoryStore(driver);
      t.teardown(() => db.close());
      return db;
    },
    file() {
      const dir = mkdtempSync(join(tmpdir(), 'qlink-agent-store-'));
      const opened: Db[] = [];
      const open = () => {
        const db = openStore(dir, driver);
        opened.push(db);
        return db;
      };
      t.teardown(() => {
        for (const db of opened.reverse()) db.close();
        rmSync(dir, { recursive: true, force: true });
      });
      return { db: open(), restarted: open };
    },
  };
}

/** Records cut and not batched yet, straight into the table (the recorder's suite holds how they are cut). */
export function addRecords(db: Db, n: number, o: { sessionId?: number; channelId?: number | null; from?: number } = {}): void {
  const insert = db.prepare(`INSERT INTO usage_records (session_id, channel_id, start_ms, end_ms, bytes_down, bytes_up, seconds, cost)
    VALUES (?, ?, ?, ?, ?, ?, 60, 0)`);
  const from = o.from ?? T0;
  db.transaction(() => {
    for (let i = 0; i < n; i++) insert.run(o.sessionId ?? 1, o.channelId ?? null, from + i * 60_000, from + (i + 1) * 60_000, 1000 + i, 100 + i);
  });
}

export const count = (db: Db, sql: string, ...params: number[]): number => db.prepare<number[], { n: number }>(sql).get(...params)!.n;
