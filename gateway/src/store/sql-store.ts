import { ZERO_HASH } from '../../../agent/src/usage/format.js';
import type { Batch } from '../../../agent/src/usage/wire.js';
import { migrations } from './migrations.js';
import * as owners from './sql-owner.js';
import * as reports from './sql-reports.js';
import * as settlement from './sql-settlement.js';
import { num, one, type ColumnType, type Queryable, type SqlDriver } from './sql.js';
import type { GatewayStore } from './store.js';
import type {
  Anomaly, AnomalyInput, BatchHead, ChainHead, ChainTx, DayTotals, DayUsage, OwnerEarnings, PassedVoucher, PendingTx, Range, RouterInfo,
  RouterProblem, SessionUsage, SettlementTx, StoreOutcome, StoredBatch, Totals, TxSettlement, TxStatus, VoucherToRedeem,
} from './types.js';

const RECORD_COLUMNS: Array<[string, ColumnType]> = [
  ['router', 'text'], ['id', 'bigint'], ['batch_seq', 'bigint'], ['session_id', 'bigint'], ['channel_id', 'bigint'],
  ['start_ms', 'bigint'], ['end_ms', 'bigint'], ['bytes_down', 'bigint'], ['bytes_up', 'bigint'], ['seconds', 'bigint'],
  ['cost', 'bigint'], ['voucher_amount', 'bigint'], ['voucher_sig', 'text'],
];

/** Thrown inside a transaction to roll it back with an answer rather than an error. */
class Refused {
  constructor(readonly outcome: StoreOutcome) {}
}

interface RouterRow { address: string; public_key: string; owner: string; price_per_mb: number; price_per_minute: number; active: number; checked_at: number }
const toRouter = (r: RouterRow): RouterInfo => ({
  address: r.address, publicKey: r.public_key, owner: r.owner, pricePerMB: num(r.price_per_mb),
  pricePerMinute: num(r.price_per_minute), active: num(r.active) === 1, checkedAt: num(r.checked_at),
});

/** The GatewayStore over either SQL driver: the SQL is the same, only the driver differs. */
export class SqlGatewayStore implements GatewayStore {
  constructor(readonly db: SqlDriver) {}

  get dialect(): 'sqlite' | 'postgres' { return this.db.dialect; }

  migrate(): Promise<void> { return this.db.migrate(migrations(this.db.dialect)); }

  async putRouter(r: RouterInfo): Promise<void> {
    await this.db.run(`INSERT INTO routers (address, public_key, owner, price_per_mb, price_per_minute, active, checked_at)
      VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (address) DO UPDATE SET public_key = excluded.public_key, owner = excluded.owner,
      price_per_mb = excluded.price_per_mb, price_per_minute = excluded.price_per_minute, active = excluded.active, checked_at = excluded.checked_at`,
    [r.address, r.publicKey, r.owner, r.pricePerMB, r.pricePerMinute, r.active ? 1 : 0, r.checkedAt]);
  }
  async getRouter(address: string): Promise<RouterInfo | null> {
    const r = await one<RouterRow>(this.db, 'SELECT * FROM routers WHERE address = ?', [address]);
    return r ? toRouter(r) : null;
  }
  async listRouters(): Promise<RouterInfo[]> {
    return (await this.db.all<RouterRow>('SELECT * FROM routers ORDER BY address')).map(toRouter);
  }

  async storeBatch(address: string, b: Batch, receivedAt: number): Promise<StoreOutcome> {
    try {
      return await this.db.tx((q) => this.#store(q, address, b, receivedAt));
    } catch (e) {
      if (e instanceof Refused) return e.outcome;
      throw e;
    }
  }

  async #store(q: Queryable, address: string, b: Batch, at: number): Promise<StoreOutcome> {
    const first = b.records[0]!.id;
    const last = b.records[b.records.length - 1]!.id;
    // The primary key decides between concurrent gateways: a second insert of (router, seq) waits for the first and does nothing.
    const inserted = await q.run(`INSERT INTO batches (router, seq, hash, prev, root, router_key, signature, from_ms, to_ms,
      first_record, last_record, records, received_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (router, seq) DO NOTHING`,
    [address, b.seq, b.hash, b.prev, b.root, b.router, b.signature, b.fromMs, b.toMs, first, last, b.records.length, at]);
    if (inserted === 0) {
      const have = await one<{ hash: string }>(q, 'SELECT hash FROM batches WHERE router = ? AND seq = ?', [address, b.seq]);
      return have?.hash === b.hash ? { kind: 'duplicate' } : { kind: 'fork', reason: `batch ${b.seq} is already stored with another hash` };
    }
    if (b.seq === 1) {
      if (b.prev !== ZERO_HASH) throw new Refused({ kind: 'fork', reason: 'batch 1 must have a zero previous hash' });
    } else {
      const prev = await one<{ hash: string; last_record: number }>(q,
        'SELECT hash, last_record FROM batches WHERE router = ? AND seq = ?', [address, b.seq - 1]);
      if (!prev) {
        const h = await one<{ seq: number | null }>(q, 'SELECT MAX(seq) AS seq FROM batches WHERE router = ? AND seq < ?', [address, b.seq]);
        throw new Refused({ kind: 'gap', head: num(h?.seq) });
      }
      if (prev.hash !== b.prev) throw new Refused({ kind: 'fork', reason: `previous hash is not the hash of batch ${b.seq - 1}` });
      if (first <= num(prev.last_record)) throw new Refused({ kind: 'fork', reason: `record ids not above batch ${b.seq - 1}'s last (${num(prev.last_record)})` });
    }
    await q.insertMany('records', RECORD_COLUMNS, b.records.map((r) => [
      address, r.id, b.seq, r.sessionId, r.channelId, r.startMs, r.endMs, r.bytesDown, r.bytesUp, r.seconds, r.cost,
      r.voucher?.amount ?? null, r.voucher?.signature ?? null,
    ]));
    return { kind: 'stored' };
  }

  async head(address: string): Promise<BatchHead | null> {
    const r = await one<{ seq: number; hash: string; last_record: number }>(this.db,
      'SELECT seq, hash, last_record FROM batches WHERE router = ? ORDER BY seq DESC LIMIT 1', [address]);
    return r ? { seq: num(r.seq), hash: r.hash, lastRecord: num(r.last_record) } : null;
  }
  async batchHash(address: string, seq: number): Promise<string | null> {
    return (await one<{ hash: string }>(this.db, 'SELECT hash FROM batches WHERE router = ? AND seq = ?', [address, seq]))?.hash ?? null;
  }
  async noteAcks(address: string, seqs: number[], at: number): Promise<void> {
    await this.db.tx(async (q) => {
      for (const s of seqs) {
        await q.run(`INSERT INTO acks (router, seq, acks, last_at) VALUES (?, ?, 1, ?)
          ON CONFLICT (router, seq) DO UPDATE SET acks = acks.acks + 1, last_at = excluded.last_at`, [address, s, at]);
      }
    });
  }

  report(a: AnomalyInput, status: 'held' | 'reported'): Promise<number> { return reports.report(this.db, a, status); }
  held(address: string, seq: number): Promise<Anomaly[]> { return reports.held(this.db, address, seq); }
  async resolve(id: number, at: number): Promise<void> {
    await this.db.run(`UPDATE anomalies SET status = 'resolved', last_at = ? WHERE id = ?`, [at, id]);
  }
  anomalies(o: { status?: Anomaly['status']; router?: string; limit?: number }): Promise<Anomaly[]> { return reports.anomalies(this.db, o); }

  usagePerDay(r: Range): Promise<DayUsage[]> { return reports.usagePerDay(this.db, r); }
  sessions(r: Range): Promise<SessionUsage[]> { return reports.sessions(this.db, r); }
  earnings(): Promise<OwnerEarnings[]> { return reports.earnings(this.db); }
  totals(): Promise<Totals> { return reports.totals(this.db); }

  chainHeads(owner?: string): Promise<ChainHead[]> { return owners.chainHeads(this.db, owner); }
  storedBatches(router: string, afterSeq: number, limit: number): Promise<StoredBatch[]> { return owners.storedBatches(this.db, router, afterSeq, limit); }
  dailyTotals(o: { owner?: string; fromMs: number; toMs: number }): Promise<DayTotals[]> { return owners.dailyTotals(this.db, o); }
  settlementTxs(o: { owner?: string; limit: number }): Promise<SettlementTx[]> { return owners.settlementTxs(this.db, o); }
  openProblems(owner?: string): Promise<RouterProblem[]> { return owners.openProblems(this.db, owner); }

  addPending(tx: PendingTx): Promise<void> { return settlement.addPending(this.db, tx); }
  settle(txid: string, s: TxSettlement): Promise<void> { return settlement.settle(this.db, txid, s); }
  transactions(o: { status?: TxStatus; limit?: number }): Promise<ChainTx[]> { return settlement.transactions(this.db, o); }
  pendingRaw(): Promise<Array<{ txid: string; raw: string; validUntilBlock: number }>> { return settlement.pendingRaw(this.db); }
  vouchersToRedeem(limit: number): Promise<VoucherToRedeem[]> { return settlement.vouchersToRedeem(this.db, limit); }
  batchesToAnchor(limit: number) { return settlement.batchesToAnchor(this.db, limit); }
  putVoucher(v: PassedVoucher): Promise<boolean> { return settlement.putVoucher(this.db, v); }
  newestVoucher(channelId: number) { return settlement.newestVoucher(this.db, channelId); }
  pendingFor(channelId: number): Promise<string | null> { return settlement.pendingFor(this.db, channelId); }

  close(): Promise<void> { return this.db.close(); }
}
