import { num, numOrNull, one, type Param, type SqlDriver } from './sql.js';
import type { OwnerViewStore } from './store.js';
import type { ChainHead, DayTotals, RouterProblem, SettlementTx, StoredBatch, TxKind, TxStatus } from './types.js';

const DAY_MS = 86_400_000;
const isoDay = (n: number) => new Date(n * DAY_MS).toISOString().slice(0, 10);
const OWNED = 'SELECT address FROM routers WHERE owner = ?';

/** ` AND <col> IN (the owner's routers)` and its parameter, or nothing for the whole fleet. */
const ownedBy = (col: string, owner: string | undefined): [string, Param[]] => (owner ? [` AND ${col} IN (${OWNED})`, [owner]] : ['', []]);

/**
 * Redeem items with what each pays: a redeem pays the rise of its channel's
 * voucher over the channel's earlier confirmed redeems (a pending one over
 * all confirmed ones: what it claims). `where` narrows the items (alias i, t).
 */
const rises = (where: string) => `SELECT i.txid, i.owner, t.settled_at, i.amount - COALESCE((SELECT MAX(i2.amount)
    FROM tx_items i2 JOIN chain_txs t2 ON t2.txid = i2.txid
    WHERE i2.kind = 'redeem' AND i2.channel_id = i.channel_id AND t2.status = 'confirmed' AND t2.txid <> t.txid
      AND (t.status <> 'confirmed' OR t2.settled_at < t.settled_at OR (t2.settled_at = t.settled_at AND t2.txid < t.txid))), 0) AS rise
  FROM tx_items i JOIN chain_txs t ON t.txid = i.txid WHERE i.kind = 'redeem'${where}`;
const PAID = 'SUM(CASE WHEN rise > 0 THEN rise ELSE 0 END)';

/** A record's voucher as the router sent it, whether it passed the check at ingest or not: the batch's root covers it. */
const voucherOf = (r: Record<string, unknown>): StoredBatch['records'][number]['voucher'] => {
  if (r.voucher_amount !== null && r.voucher_amount !== undefined) return { amount: num(r.voucher_amount), signature: String(r.voucher_sig) };
  if (r.unused_voucher_amount !== null && r.unused_voucher_amount !== undefined)
    return { amount: num(r.unused_voucher_amount), signature: String(r.unused_voucher_sig) };
  return null;
};

/** The OwnerViewStore over either SQL driver (gateway/src/api/owner): each query narrows to one owner's routers when given the owner's script hash. */
export class SqlOwnerViewStore implements OwnerViewStore {
  constructor(private readonly db: SqlDriver) {}

  async chainHeads(owner?: string): Promise<ChainHead[]> {
    const [and, p] = ownedBy('router', owner);
    const rows = await this.db.all<Record<string, unknown>>(
      `SELECT router, COUNT(*) AS batches, MIN(seq) AS first_seq, MAX(seq) AS last_seq,
      SUM(records) AS records, MAX(received_at) AS last_at FROM batches WHERE 1 = 1${and} GROUP BY router ORDER BY router`,
      p,
    );
    return rows.map((r) => ({
      router: String(r.router),
      batches: num(r.batches),
      firstSeq: num(r.first_seq),
      lastSeq: num(r.last_seq),
      records: num(r.records),
      lastReceivedAt: num(r.last_at),
    }));
  }

  /** A router's batches after a sequence number, in order, each with its records: enough to verify each again from scratch. */
  async storedBatches(router: string, afterSeq: number, limit: number): Promise<StoredBatch[]> {
    const bs = await this.db.all<Record<string, unknown>>(
      `SELECT seq, hash, prev, root, router_key, signature, from_ms, to_ms, first_record, last_record
      FROM batches WHERE router = ? AND seq > ? ORDER BY seq LIMIT ?`,
      [router, afterSeq, limit],
    );
    if (!bs.length) return [];
    const first = bs[0]!;
    const last = bs[bs.length - 1]!;
    // By the primary key's id range (an index), then by batch: a record moved to another batch shows up as a root that no longer matches.
    const rs = await this.db.all<Record<string, unknown>>(
      `SELECT * FROM records WHERE router = ? AND id >= ? AND id <= ?
      AND batch_seq >= ? AND batch_seq <= ? ORDER BY id`,
      [router, num(first.first_record), num(last.last_record), num(first.seq), num(last.seq)],
    );
    const bySeq = new Map<number, StoredBatch['records']>();
    for (const r of rs) {
      const seq = num(r.batch_seq);
      const list = bySeq.get(seq) ?? [];
      list.push({
        id: num(r.id),
        sessionId: num(r.session_id),
        channelId: numOrNull(r.channel_id),
        startMs: num(r.start_ms),
        endMs: num(r.end_ms),
        bytesDown: num(r.bytes_down),
        bytesUp: num(r.bytes_up),
        seconds: num(r.seconds),
        cost: num(r.cost),
        voucher: voucherOf(r),
        // As the router sent it: a record without zero-rated bytes has no such fields (version 1 bytes, the root it was signed with).
        ...(num(r.zero_down) || num(r.zero_up) ? { zeroDown: num(r.zero_down), zeroUp: num(r.zero_up) } : {}),
      });
      bySeq.set(seq, list);
    }
    return bs.map((b) => ({
      router: String(b.router_key),
      seq: num(b.seq),
      prev: String(b.prev),
      root: String(b.root),
      hash: String(b.hash),
      fromMs: num(b.from_ms),
      toMs: num(b.to_ms),
      records: bySeq.get(num(b.seq)) ?? [],
      signature: String(b.signature),
    }));
  }

  async batchHash(address: string, seq: number): Promise<string | null> {
    return (await one<{ hash: string }>(this.db, 'SELECT hash FROM batches WHERE router = ? AND seq = ?', [address, seq]))?.hash ?? null;
  }

  /** Days that have usage or payments in [fromMs, toMs), oldest first; days with neither are left out. */
  async dailyTotals(o: { owner?: string; fromMs: number; toMs: number }): Promise<DayTotals[]> {
    const [and, p] = ownedBy('router', o.owner);
    const usage = await this.db.all<Record<string, unknown>>(
      `SELECT start_ms / ${DAY_MS} AS day, SUM(bytes_down) AS down, SUM(bytes_up) AS up,
      SUM(zero_down) AS zdown, SUM(zero_up) AS zup, COUNT(DISTINCT router || ':' || session_id) AS sessions, SUM(cost) AS metered
      FROM records WHERE start_ms >= ? AND start_ms < ?${and} GROUP BY start_ms / ${DAY_MS}`,
      [o.fromMs, o.toMs, ...p],
    );
    const paid = await this.db.all<Record<string, unknown>>(
      `SELECT settled_at / ${DAY_MS} AS day, ${PAID} AS paid
      FROM (${rises(` AND t.status = 'confirmed' AND t.settled_at >= ? AND t.settled_at < ?${o.owner ? ' AND i.owner = ?' : ''}`)}) r
      GROUP BY settled_at / ${DAY_MS}`,
      [o.fromMs, o.toMs, ...(o.owner ? [o.owner] : [])],
    );
    const days = new Map<number, DayTotals>();
    const at = (d: number) => {
      let x = days.get(d);
      if (!x) days.set(d, (x = { day: isoDay(d), bytesDown: 0, bytesUp: 0, zeroDown: 0, zeroUp: 0, sessions: 0, metered: 0, paid: 0 }));
      return x;
    };
    for (const u of usage) {
      Object.assign(at(num(u.day)), {
        bytesDown: num(u.down),
        bytesUp: num(u.up),
        zeroDown: num(u.zdown),
        zeroUp: num(u.zup),
        sessions: num(u.sessions),
        metered: num(u.metered),
      });
    }
    for (const x of paid) at(num(x.day)).paid = num(x.paid);
    return [...days.entries()].sort((a, b) => a[0] - b[0]).map((e) => e[1]);
  }

  /** The newest settlement transactions (those touching the owner, when one is given) with what each carries and pays. */
  async settlementTxs(o: { owner?: string; limit: number }): Promise<SettlementTx[]> {
    const ownRedeem = o.owner ? ' AND i.owner = ?' : '';
    const ownAnchor = o.owner ? ` AND rb.router IN (${OWNED})` : '';
    const own = o.owner ? [o.owner] : [];
    const roundOf = 'FROM round_txs rt JOIN round_batches rb ON rb.anchorer = rt.anchorer AND rb.round = rt.round WHERE rt.txid = c.txid';
    const touches = o.owner
      ? `WHERE EXISTS (SELECT 1 FROM tx_items i WHERE i.txid = c.txid AND i.owner = ?)
      OR EXISTS (SELECT 1 ${roundOf}${ownAnchor})`
      : '';
    const rows = await this.db.all<Record<string, unknown>>(
      `SELECT c.txid, c.kind, c.status, c.created_at, c.settled_at, c.gas_fee, c.detail,
      (SELECT COUNT(*) FROM tx_items i WHERE i.txid = c.txid AND i.kind = 'redeem'${ownRedeem}) AS channels,
      (SELECT COUNT(*) ${roundOf}${ownAnchor}) AS anchors,
      (SELECT rt.round FROM round_txs rt WHERE rt.txid = c.txid) AS round
      FROM chain_txs c ${touches} ORDER BY c.created_at DESC, c.txid LIMIT ?`,
      [...own, ...own, ...own, ...own, o.limit],
    );
    if (!rows.length) return [];
    const ids = rows.map((r) => String(r.txid));
    const paid = await this.db.all<Record<string, unknown>>(
      `SELECT txid, ${PAID} AS paid
      FROM (${rises(` AND t.status IN ('pending', 'confirmed') AND i.txid IN (${ids.map(() => '?').join(', ')})${ownRedeem}`)}) r GROUP BY txid`,
      [...ids, ...own],
    );
    const paidBy = new Map(paid.map((x) => [String(x.txid), num(x.paid)]));
    return rows.map((r) => ({
      txid: String(r.txid),
      kind: r.kind as TxKind,
      status: r.status as TxStatus,
      createdAt: num(r.created_at),
      settledAt: numOrNull(r.settled_at),
      gasFee: numOrNull(r.gas_fee),
      detail: (r.detail as string | null) ?? null,
      channels: num(r.channels),
      anchors: num(r.anchors),
      round: numOrNull(r.round),
      paid: paidBy.get(String(r.txid)) ?? 0,
    }));
  }

  /** Anomalies not resolved yet, grouped per router, kind and status. */
  async openProblems(owner?: string): Promise<RouterProblem[]> {
    const [and, p] = ownedBy('router', owner);
    const rows = await this.db.all<Record<string, unknown>>(
      `SELECT router, kind, status, COUNT(*) AS problems, SUM(count) AS seen,
      MIN(seq) AS first_seq, MAX(seq) AS last_seq, MAX(last_at) AS last_at, MIN(detail) AS detail
      FROM anomalies WHERE status <> 'resolved'${and} GROUP BY router, kind, status ORDER BY router, kind, status`,
      p,
    );
    return rows.map((r) => ({
      router: String(r.router),
      kind: r.kind as RouterProblem['kind'],
      status: r.status as RouterProblem['status'],
      problems: num(r.problems),
      seen: num(r.seen),
      firstSeq: num(r.first_seq),
      lastSeq: num(r.last_seq),
      lastAt: num(r.last_at),
      detail: String(r.detail),
    }));
  }
}
