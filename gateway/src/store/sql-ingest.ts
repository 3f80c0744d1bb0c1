import { type Batch, batchSchema, ZERO_HASH } from '../../../protocol/src/index.js';
import { num, one, type ColumnType, type Queryable, type SqlDriver } from './sql.js';
import type { IngestStore } from './store.js';
import type { Anomaly, AnomalyInput, BatchHead, StoreOutcome } from './types.js';

const RECORD_COLUMNS: Array<[string, ColumnType]> = [
  ['router', 'text'],
  ['id', 'bigint'],
  ['batch_seq', 'bigint'],
  ['session_id', 'bigint'],
  ['channel_id', 'bigint'],
  ['start_ms', 'bigint'],
  ['end_ms', 'bigint'],
  ['bytes_down', 'bigint'],
  ['bytes_up', 'bigint'],
  ['seconds', 'bigint'],
  ['cost', 'bigint'],
  ['voucher_amount', 'bigint'],
  ['voucher_sig', 'text'],
  ['unused_voucher_amount', 'bigint'],
  ['unused_voucher_sig', 'text'],
  ['zero_down', 'bigint'],
  ['zero_up', 'bigint'],
];

/** Thrown inside a transaction to roll it back with an answer rather than an error. */
class Refused {
  constructor(readonly outcome: StoreOutcome) {}
}

export interface AnomalyRow {
  id: number;
  router: string;
  kind: Anomaly['kind'];
  seq: number;
  hash: string;
  detail: string;
  payload: string | null;
  status: Anomaly['status'];
  count: number;
  first_at: number;
  last_at: number;
}
export const toAnomaly = (r: AnomalyRow): Anomaly => ({
  id: num(r.id),
  router: r.router,
  kind: r.kind,
  seq: num(r.seq),
  hash: r.hash,
  detail: r.detail,
  // Stored by this gateway after verification; parsed again so a hand-edited row cannot smuggle a bad batch in.
  payload: r.payload === null ? null : batchSchema.parse(JSON.parse(r.payload)),
  status: r.status,
  count: num(r.count),
  firstAt: num(r.first_at),
  lastAt: num(r.last_at),
});

/** The IngestStore over either SQL driver. */
export class SqlIngestStore implements IngestStore {
  constructor(private readonly db: SqlDriver) {}

  async storeBatch(address: string, b: Batch, receivedAt: number, unused: ReadonlySet<number> = new Set()): Promise<StoreOutcome> {
    try {
      return await this.db.tx((q) => this.#store(q, address, b, receivedAt, unused));
    } catch (e) {
      if (e instanceof Refused) return e.outcome;
      throw e;
    }
  }

  async #store(q: Queryable, address: string, b: Batch, at: number, unused: ReadonlySet<number>): Promise<StoreOutcome> {
    const first = b.records[0]!.id;
    const last = b.records[b.records.length - 1]!.id;
    // The primary key decides between concurrent gateways: a second insert of (router, seq) waits for the first and does nothing.
    const inserted = await q.run(
      `INSERT INTO batches (router, seq, hash, prev, root, router_key, signature, from_ms, to_ms,
      first_record, last_record, records, received_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (router, seq) DO NOTHING`,
      [address, b.seq, b.hash, b.prev, b.root, b.router, b.signature, b.fromMs, b.toMs, first, last, b.records.length, at],
    );
    if (inserted === 0) {
      const have = await one<{ hash: string }>(q, 'SELECT hash FROM batches WHERE router = ? AND seq = ?', [address, b.seq]);
      return have?.hash === b.hash ? { kind: 'duplicate' } : { kind: 'fork', reason: `batch ${b.seq} is already stored with another hash` };
    }
    if (b.seq === 1) {
      if (b.prev !== ZERO_HASH) throw new Refused({ kind: 'fork', reason: 'batch 1 must have a zero previous hash' });
    } else {
      const prev = await one<{ hash: string; last_record: number }>(q, 'SELECT hash, last_record FROM batches WHERE router = ? AND seq = ?', [
        address,
        b.seq - 1,
      ]);
      if (!prev) {
        const h = await one<{ seq: number | null }>(q, 'SELECT MAX(seq) AS seq FROM batches WHERE router = ? AND seq < ?', [address, b.seq]);
        throw new Refused({ kind: 'gap', head: num(h?.seq) });
      }
      if (prev.hash !== b.prev) throw new Refused({ kind: 'fork', reason: `previous hash is not the hash of batch ${b.seq - 1}` });
      if (first <= num(prev.last_record))
        throw new Refused({ kind: 'fork', reason: `record ids not above batch ${b.seq - 1}'s last (${num(prev.last_record)})` });
    }
    await q.insertMany(
      'records',
      RECORD_COLUMNS,
      b.records.map((r) => {
        const ok = r.voucher && !unused.has(r.id) ? r.voucher : null;
        const bad = r.voucher && unused.has(r.id) ? r.voucher : null;
        return [
          address,
          r.id,
          b.seq,
          r.sessionId,
          r.channelId,
          r.startMs,
          r.endMs,
          r.bytesDown,
          r.bytesUp,
          r.seconds,
          r.cost,
          ok?.amount ?? null,
          ok?.signature ?? null,
          bad?.amount ?? null,
          bad?.signature ?? null,
          r.zeroDown ?? 0,
          r.zeroUp ?? 0,
        ];
      }),
    );
    await q.run('INSERT INTO round_queue (router, seq) VALUES (?, ?)', [address, b.seq]);
    return { kind: 'stored' };
  }

  async head(address: string): Promise<BatchHead | null> {
    const r = await one<{ seq: number; hash: string; last_record: number }>(
      this.db,
      'SELECT seq, hash, last_record FROM batches WHERE router = ? ORDER BY seq DESC LIMIT 1',
      [address],
    );
    return r ? { seq: num(r.seq), hash: r.hash, lastRecord: num(r.last_record) } : null;
  }

  async report(a: AnomalyInput, status: 'held' | 'reported'): Promise<number> {
    const row = await one<{ id: number }>(
      this.db,
      `INSERT INTO anomalies (router, kind, seq, hash, detail, payload, status, count, first_at, last_at)
      VALUES (?, ?, ?, ?, ?, ?, ?, 1, ?, ?) ON CONFLICT (router, kind, seq, hash)
      DO UPDATE SET count = anomalies.count + 1, last_at = excluded.last_at, detail = excluded.detail RETURNING id`,
      [a.router, a.kind, a.seq, a.hash, a.detail.slice(0, 500), a.payload ? JSON.stringify(a.payload) : null, status, a.at, a.at],
    );
    return num(row?.id);
  }

  async held(address: string, seq: number): Promise<Anomaly[]> {
    const rows = await this.db.all<AnomalyRow>(`SELECT * FROM anomalies WHERE status = 'held' AND router = ? AND seq = ? ORDER BY id`, [address, seq]);
    return rows.map(toAnomaly);
  }

  async resolve(id: number, at: number): Promise<void> {
    await this.db.run(`UPDATE anomalies SET status = 'resolved', last_at = ? WHERE id = ?`, [at, id]);
  }
}
