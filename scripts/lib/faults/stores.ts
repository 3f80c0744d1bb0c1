import Database from 'better-sqlite3';
import { join } from 'node:path';
import { openSqliteStore } from '../../../gateway/src/store/sqlite.js';
import type { GatewayStores } from '../../../gateway/src/store/store.js';

/** A batch as both sides keep it. */
export interface BatchRow {
  seq: number;
  hash: string;
  prev: string;
  root: string;
  firstRecord: number;
  lastRecord: number;
  records: number;
}

export interface AgentSession {
  id: number;
  mac: string;
  plan: string | null;
  channelId: number | null;
  state: string;
  endReason: string | null;
  bytesDown: number;
  bytesUp: number;
  startedAt: number;
  endedAt: number | null;
}

const BATCH_COLUMNS = 'seq, hash, prev, root, first_record AS firstRecord, last_record AS lastRecord, records';

/** Read-only queries on the agent's SQLite store, beside the running agent (WAL lets both in). */
export class AgentStore {
  readonly #db: Database.Database;

  constructor(stateDir: string) {
    this.#db = new Database(join(stateDir, 'agent-data', 'qlink.db'), { readonly: true, fileMustExist: true });
  }

  #n(sql: string): number {
    return (this.#db.prepare(sql).get() as { n: number }).n;
  }

  outbox(): number {
    return this.#n('SELECT count(*) AS n FROM usage_outbox');
  }

  /** Records cut but in no batch yet. */
  unbatched(): number {
    return this.#n('SELECT count(*) AS n FROM usage_records WHERE batch_seq IS NULL');
  }

  openSessions(): number {
    return this.#n("SELECT count(*) AS n FROM sessions WHERE state != 'ended'");
  }

  sessions(): AgentSession[] {
    return this.#db
      .prepare(`SELECT id, mac, plan, channel_id AS channelId, state, end_reason AS endReason, bytes_down AS bytesDown,
      bytes_up AS bytesUp, started_at AS startedAt, ended_at AS endedAt FROM sessions ORDER BY id`)
      .all() as AgentSession[];
  }

  batches(): Array<BatchRow & { ackedAt: number | null }> {
    return this.#db.prepare(`SELECT ${BATCH_COLUMNS}, acked_at AS ackedAt FROM usage_batches ORDER BY seq`).all() as Array<
      BatchRow & { ackedAt: number | null }
    >;
  }

  /** The newest voucher the router holds per channel: what the owner must be paid. */
  vouchers(): Map<number, bigint> {
    const rows = this.#db.prepare('SELECT channel_id AS c, amount AS a FROM vouchers').all() as Array<{ c: string; a: string }>;
    return new Map(rows.map((r) => [Number(r.c), BigInt(r.a)]));
  }

  /** The gate rebuilds after the kernel lost the table, with the window whose bytes it could not read. */
  restores(): Array<{ at: number; lossWindowMs: number | null }> {
    const rows = this.#db.prepare("SELECT at, detail FROM events WHERE kind = 'gate-restored' ORDER BY id").all() as Array<{
      at: number;
      detail: string | null;
    }>;
    return rows.map((r) => ({ at: r.at, lossWindowMs: (JSON.parse(r.detail ?? '{}') as { lossWindowMs?: number | null }).lossWindowMs ?? null }));
  }

  close(): void {
    this.#db.close();
  }
}

/**
 * The gateway's SQLite store: raw read-only queries for the checks (an
 * auditor reads the tables, not the gateway's own answers), and the
 * gateway's store code only to ask whether settlement has anything left.
 */
export class GatewayStoreReader {
  readonly #db: Database.Database;

  private constructor(
    path: string,
    private readonly store: GatewayStores,
  ) {
    this.#db = new Database(path, { readonly: true, fileMustExist: true });
  }

  static async open(path: string): Promise<GatewayStoreReader> {
    return new GatewayStoreReader(path, await openSqliteStore(path));
  }

  batches(router: string): BatchRow[] {
    return this.#db.prepare(`SELECT ${BATCH_COLUMNS} FROM batches WHERE router = ? ORDER BY seq`).all(router) as BatchRow[];
  }

  batchCount(): number {
    return (this.#db.prepare('SELECT count(*) AS n FROM batches').get() as { n: number }).n;
  }

  /** Record ids of a router: how many, and the lowest and highest. */
  recordIds(router: string): { n: number; min: number | null; max: number | null } {
    return this.#db.prepare('SELECT count(*) AS n, min(id) AS min, max(id) AS max FROM records WHERE router = ?').get(router) as {
      n: number;
      min: number | null;
      max: number | null;
    };
  }

  /** Records whose batch is not stored, or whose id lies outside its batch's range: none, if the books are whole. */
  strayRecords(router: string): number {
    return (
      this.#db
        .prepare(`SELECT count(*) AS n FROM records r LEFT JOIN batches b ON b.router = r.router AND b.seq = r.batch_seq
      WHERE r.router = ? AND (b.seq IS NULL OR r.id < b.first_record OR r.id > b.last_record)`)
        .get(router) as { n: number }
    ).n;
  }

  bySession(router: string): Map<number, { down: number; up: number; records: number }> {
    const rows = this.#db
      .prepare(`SELECT session_id AS s, sum(bytes_down) AS down, sum(bytes_up) AS up, count(*) AS records
      FROM records WHERE router = ? GROUP BY session_id`)
      .all(router) as Array<{ s: number; down: number; up: number; records: number }>;
    return new Map(rows.map((r) => [r.s, { down: r.down, up: r.up, records: r.records }]));
  }

  anomalies(): Array<{ kind: string; seq: number; status: string; count: number }> {
    return this.#db.prepare('SELECT kind, seq, status, count FROM anomalies ORDER BY id').all() as Array<{
      kind: string;
      seq: number;
      status: string;
      count: number;
    }>;
  }

  txs(): Array<{ txid: string; status: string; vmstate: string | null; createdAt: number }> {
    return this.#db.prepare('SELECT txid, status, vmstate, created_at AS createdAt FROM chain_txs ORDER BY created_at, txid').all() as Array<{
      txid: string;
      status: string;
      vmstate: string | null;
      createdAt: number;
    }>;
  }

  /**
   * Per batch of the router, the settlement rounds that hold it (round_batches: a batch in one round at most), with the
   * round's root and size, its leaf index, and how many confirmed transactions anchored that round.
   */
  roundsOf(router: string): Array<{ seq: number; anchorer: string; round: number; idx: number; root: string; size: number; confirmed: number }> {
    return this.#db
      .prepare(`SELECT rb.seq, rb.anchorer, rb.round, rb.idx, r.root, r.size,
      (SELECT count(*) FROM round_txs x JOIN chain_txs t ON t.txid = x.txid WHERE x.anchorer = rb.anchorer AND x.round = rb.round AND t.status = 'confirmed') AS confirmed
      FROM round_batches rb JOIN rounds r ON r.anchorer = rb.anchorer AND r.round = rb.round WHERE rb.router = ? ORDER BY rb.seq`)
      .all(router) as Array<{ seq: number; anchorer: string; round: number; idx: number; root: string; size: number; confirmed: number }>;
  }

  /** Every round in the books with its batch hashes in leaf order and its confirmed transaction: what the chain must show. */
  rounds(): Array<{ anchorer: string; round: number; root: string; hashes: string[]; txid: string | null }> {
    const rs = this.#db
      .prepare(`SELECT r.anchorer, r.round, r.root, (SELECT x.txid FROM round_txs x JOIN chain_txs t ON t.txid = x.txid
      WHERE x.anchorer = r.anchorer AND x.round = r.round AND t.status = 'confirmed') AS txid FROM rounds r ORDER BY r.anchorer, r.round`)
      .all() as Array<{ anchorer: string; round: number; root: string; txid: string | null }>;
    const leaves = this.#db.prepare(`SELECT b.hash FROM round_batches rb JOIN batches b ON b.router = rb.router AND b.seq = rb.seq
      WHERE rb.anchorer = ? AND rb.round = ? ORDER BY rb.idx`);
    return rs.map((r) => ({ ...r, hashes: (leaves.all(r.anchorer, r.round) as Array<{ hash: string }>).map((x) => x.hash) }));
  }

  /** Nothing pending, no voucher or batch waiting, no round cut and not anchored: what "settlement is idle" means. */
  async settled(): Promise<{ pending: number; vouchers: number; batches: number; rounds: number }> {
    const s = this.store.settlement;
    const [p, v, b] = await Promise.all([s.pendingRaw(), s.vouchersToRedeem(1000), s.roundQueue(1000)]);
    const open = (
      this.#db
        .prepare(`SELECT count(*) AS n FROM rounds r WHERE NOT EXISTS (SELECT 1 FROM round_txs x JOIN chain_txs t ON t.txid = x.txid
      WHERE x.anchorer = r.anchorer AND x.round = r.round AND t.status = 'confirmed')`)
        .get() as { n: number }
    ).n;
    return { pending: p.length, vouchers: v.length, batches: b.length, rounds: open };
  }

  async close(): Promise<void> {
    this.#db.close();
    await this.store.close();
  }
}
