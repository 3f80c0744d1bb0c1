import { num, numOrNull, type Queryable, type SqlDriver } from './sql.js';
import type { ChainTx, PassedVoucher, PendingTx, TxSettlement, TxStatus, VoucherToRedeem } from './types.js';

// "Covered" = a pending or confirmed transaction already carries it: neither
// is built again, so a crash between recording and sending pays nobody twice.
const COVERED = `t.status IN ('pending', 'confirmed')`;

/** The transaction and everything it settles, in one write, before a byte of it is sent. */
export async function addPending(db: SqlDriver, p: PendingTx): Promise<void> {
  await db.tx(async (q) => {
    await q.run(`INSERT INTO chain_txs (txid, kind, status, raw, valid_until_block, created_at) VALUES (?, ?, 'pending', ?, ?, ?)`,
      [p.txid, p.kind, p.raw, p.validUntilBlock, p.at]);
    for (const i of p.items) {
      if (i.kind === 'redeem') {
        await q.run(`INSERT INTO tx_items (txid, kind, channel_id, amount, owner) VALUES (?, 'redeem', ?, ?, ?)`, [p.txid, i.channelId, i.amount, i.owner]);
      } else {
        await q.run(`INSERT INTO tx_items (txid, kind, router, seq) VALUES (?, 'anchor', ?, ?)`, [p.txid, i.router, i.seq]);
      }
    }
  });
}

/** Only a pending transaction settles, once: a second application log (another gateway) changes nothing. */
export async function settle(q: Queryable, txid: string, s: TxSettlement): Promise<void> {
  await q.run(`UPDATE chain_txs SET status = ?, settled_at = ?, vmstate = ?, detail = ?, gas_fee = ? WHERE txid = ? AND status = 'pending'`,
    [s.status, s.at, s.vmstate, s.detail, s.gasFee, txid]);
}

export async function transactions(q: Queryable, o: { status?: TxStatus; limit?: number }): Promise<ChainTx[]> {
  const filter = o.status ? 'WHERE c.status = ?' : '';
  const rows = await q.all<Record<string, unknown>>(`SELECT c.*, (SELECT COUNT(*) FROM tx_items i WHERE i.txid = c.txid) AS items
    FROM chain_txs c ${filter} ORDER BY c.created_at DESC, c.txid LIMIT ?`, [...(o.status ? [o.status] : []), o.limit ?? 100]);
  return rows.map((r) => ({
    txid: String(r.txid), kind: r.kind as ChainTx['kind'], status: r.status as TxStatus, validUntilBlock: num(r.valid_until_block),
    items: num(r.items), createdAt: num(r.created_at), settledAt: numOrNull(r.settled_at), vmstate: (r.vmstate as string | null) ?? null,
    detail: (r.detail as string | null) ?? null, gasFee: numOrNull(r.gas_fee),
  }));
}

export async function pendingRaw(q: Queryable): Promise<Array<{ txid: string; raw: string; validUntilBlock: number }>> {
  const rows = await q.all<{ txid: string; raw: string; valid_until_block: number }>(
    `SELECT txid, raw, valid_until_block FROM chain_txs WHERE status = 'pending' ORDER BY created_at, txid`);
  return rows.map((r) => ({ txid: r.txid, raw: r.raw, validUntilBlock: num(r.valid_until_block) }));
}

// Vouchers from usage records and from the channel RPC, as one set.
const ALL_VOUCHERS = `SELECT channel_id, voucher_amount AS amount, voucher_sig AS sig, router FROM records
  WHERE channel_id IS NOT NULL AND voucher_amount IS NOT NULL
  UNION ALL SELECT channel_id, amount, signature AS sig, router FROM vouchers`;

export async function vouchersToRedeem(q: Queryable, limit: number): Promise<VoucherToRedeem[]> {
  const rows = await q.all<Record<string, unknown>>(`WITH v AS (${ALL_VOUCHERS})
    SELECT v.channel_id, v.amount, MIN(v.sig) AS sig, MIN(v.router) AS router
    FROM v JOIN (SELECT channel_id, MAX(amount) AS amount FROM v GROUP BY channel_id) m
    ON m.channel_id = v.channel_id AND m.amount = v.amount
    WHERE NOT EXISTS (SELECT 1 FROM tx_items i JOIN chain_txs t ON t.txid = i.txid
      WHERE i.kind = 'redeem' AND i.channel_id = v.channel_id AND i.amount >= v.amount AND ${COVERED})
    GROUP BY v.channel_id, v.amount ORDER BY v.channel_id LIMIT ?`, [limit]);
  return rows.map((r) => ({ channelId: num(r.channel_id), amount: num(r.amount), signature: String(r.sig), router: String(r.router) }));
}

/** Keeps a router's voucher if it is the newest the gateway holds for its channel; true when it was. */
export async function putVoucher(db: SqlDriver, v: PassedVoucher): Promise<boolean> {
  return db.tx(async (q) => {
    const cur = await newestVoucher(q, v.channelId);
    if (cur && cur.amount >= v.amount) return false;
    await q.run(`INSERT INTO vouchers (channel_id, amount, signature, router, received_at) VALUES (?, ?, ?, ?, ?)
      ON CONFLICT (channel_id) DO UPDATE SET amount = excluded.amount, signature = excluded.signature, router = excluded.router,
      received_at = excluded.received_at WHERE excluded.amount > vouchers.amount`, [v.channelId, v.amount, v.signature, v.router, v.at]);
    return true;
  });
}

/** The newest voucher the gateway holds for a channel, from records or the RPC. */
export async function newestVoucher(q: Queryable, channelId: number): Promise<{ amount: number; signature: string; router: string } | null> {
  const rows = await q.all<Record<string, unknown>>(`WITH v AS (${ALL_VOUCHERS})
    SELECT amount, sig, router FROM v WHERE channel_id = ? ORDER BY amount DESC, sig LIMIT 1`, [channelId]);
  const r = rows[0];
  return r ? { amount: num(r.amount), signature: String(r.sig), router: String(r.router) } : null;
}

export async function pendingFor(q: Queryable, channelId: number): Promise<string | null> {
  const rows = await q.all<{ txid: string }>(`SELECT t.txid FROM tx_items i JOIN chain_txs t ON t.txid = i.txid
    WHERE i.kind = 'redeem' AND i.channel_id = ? AND t.status = 'pending' ORDER BY t.created_at LIMIT 1`, [channelId]);
  return rows[0]?.txid ?? null;
}

export async function batchesToAnchor(q: Queryable, limit: number) {
  const rows = await q.all<Record<string, unknown>>(`SELECT b.router, b.router_key, b.seq, b.prev, b.root, b.signature FROM batches b
    WHERE NOT EXISTS (SELECT 1 FROM tx_items i JOIN chain_txs t ON t.txid = i.txid
      WHERE i.kind = 'anchor' AND i.router = b.router AND i.seq = b.seq AND ${COVERED})
    ORDER BY b.router, b.seq LIMIT ?`, [limit]);
  return rows.map((r) => ({ router: String(r.router), routerKey: String(r.router_key), seq: num(r.seq), prev: String(r.prev), root: String(r.root), signature: String(r.signature) }));
}
